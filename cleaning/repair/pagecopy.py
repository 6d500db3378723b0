"""Damaged spans restored from the page's own other copy of the same text (issue 25, item 1).

A page states much of its text twice or more: the Next.js page's ``__NEXT_DATA__`` JSON and its
rendered body, the ``<h1>`` and the ``<title>``/``og:title``, the summary and the ``description``
meta, the list API item's title (:func:`cleaning.extract.copies.page_copies` gathers them). Where
the text the record keeps has a damaged span (a U+FFFD run dropped, a byte UTF-8 could not read,
a torn span the repair left ``unrepaired``) and another copy on the page is undamaged there, the
copy determines what was lost, under three conditions:

* **anchors**: the two copies agree on :data:`~.params.PAGE_COPY_ANCHOR` characters on each side
  of the span (2 x that in all), never across a line; a side may be shorter only where the line
  ends there, and the copy must end (or meet a separator: ``_ | - ·``, a space) at that place too;
* **one answer**: every place in every copy where the anchors agree gives the same characters
  (no line break, no white space at its ends, no more than the span can have lost: one per
  U+FFFD, one more than a torn span shows, at most :data:`~.params.PAGE_COPY_MAX_FILL`);
  copies that disagree, or one copy that agrees in two places with different text, leave the
  span as it is;
* **an undamaged copy**: the copy's own damage (its dropped U+FFFD, its unrepaired spans) and its
  model-chosen characters are not evidence: a match that touches them is not used.

A restored span is a :class:`~.log.RepairEvent` of rule ``page_copy``, decided ``by`` ``page``,
with what the page had there (``before``) and the copy's characters (``after``); it takes the
place of the event that dropped the span. A span the copies cannot restore stays as the repair
left it and is counted ``unrepaired``. Text with no other copy is never changed here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from . import params
from .log import RepairEvent

if TYPE_CHECKING:
    from . import RepairResult

#: Rules of the events that drop characters with nothing behind them (``after`` empty).
DROP_RULES = frozenset({"replacement_dropped", "dropped", "undecodable_bytes"})
_SEPARATORS = frozenset(" \t\u3000_|｜-–—·•:：/\\,，")
_NOT_TEXT = re.compile("[\ufffd\ue000-\uf8ff\n]")


@dataclass(frozen=True)
class Span:
    """A damaged span of a repaired text: ``[start, end)`` (empty where characters were
    dropped), what the page had there (``before``) and the rule that left it."""

    start: int
    end: int
    before: str
    rule: str


@dataclass
class Copy:
    """Another copy of text on the page, repaired like the field; ``bad``: its own damaged or
    model-chosen regions, which are no evidence."""

    text: str
    bad: list[tuple[int, int]] = field(default_factory=list)


def damaged_spans(log: Iterable[RepairEvent], kept: Iterable[RepairEvent]) -> list[Span]:
    """The damaged spans of a repair's result: its U+FFFD drops (``log``) and the spans it left
    unrepaired (``kept``), in order; drops at one place are one span."""
    spans: dict[int, Span] = {}
    for e in log:
        if e.rule in DROP_RULES and not e.after and "\ufffd" in e.before:
            old = spans.get(e.offset)
            spans[e.offset] = Span(e.offset, e.offset, (old.before if old else "") + e.before, e.rule)
    out = list(spans.values())
    out += [Span(e.offset, e.offset + len(e.after), e.before, "unrepaired") for e in kept]
    return sorted(out, key=lambda s: (s.start, s.end))


def copy_of(text: str, log: Iterable[RepairEvent], kept: Iterable[RepairEvent]) -> Copy:
    """A repaired copy and the regions of it that are not evidence."""
    log, kept = list(log), list(kept)
    bad = [(s.start, s.end) for s in damaged_spans(log, kept)]
    bad += [(e.offset, e.offset + len(e.after)) for e in log if e.by == "model"]
    return Copy(text, bad)


def _line(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def anchors(text: str, span: Span, size: int) -> tuple[str, str, bool, bool] | None:
    """``(left, right, left_ends_line, right_ends_line)``: the context around ``span`` the
    copies must agree on, ``2 * size`` characters within its line, at least ``size`` on a side
    unless the line ends there; None when the line is too short (the anchor is short)."""
    lo, hi = _line(text, span.start)
    room_left, room_right = span.start - lo, hi - span.end
    n_left = min(room_left, max(size, 2 * size - room_right))
    n_right = min(room_right, 2 * size - n_left)
    if (
        n_left + n_right < 2 * size
        or (n_left < size and n_left < room_left)
        or (n_right < size and n_right < room_right)
    ):
        return None
    left, right = text[span.start - n_left : span.start], text[span.end : span.end + n_right]
    return left, right, n_left == room_left, n_right == room_right


def _starts(hay: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    hi = len(hay) if hi is None else hi
    out, i = [], hay.find(needle, lo, hi + len(needle))
    while 0 <= i <= hi:
        out.append(i)
        i = hay.find(needle, i + 1, hi + len(needle))
    return out


def _boundary(text: str, at: int) -> bool:
    """Whether a field may end at ``at`` in a copy: its start or end, a line break, a separator."""
    return at <= 0 or at >= len(text) or text[at - 1] in _SEPARATORS | {"\n"} or text[at] in _SEPARATORS | {"\n"}


def _touches(bad: list[tuple[int, int]], lo: int, hi: int) -> bool:
    return any(s <= hi and e >= lo for s, e in bad)


def candidates(text: str, span: Span, copy: Copy, size: int, max_fill: int) -> set[str] | None:
    """What ``copy`` holds between the span's anchors, at every place they agree (an empty
    set: nowhere); None when the anchors are short."""
    got = anchors(text, span, size)
    if got is None:
        return None
    left, right, left_edge, right_edge = got
    hay, out = copy.text, set()
    for i in _starts(hay, left) if left else [k for k in range(len(hay) + 1) if _boundary(hay, k)]:
        p = i + len(left)
        if left_edge and not _boundary(hay, i):
            continue
        for q in _starts(hay, right, p, p + max_fill):
            end = q + len(right)
            if (right_edge and not _boundary(hay, end)) or _touches(copy.bad, i, end):
                continue
            out.add(hay[p:q])
    return out


def most_lost(span: Span) -> int:
    """The most characters a span can have lost: one per U+FFFD (a character's bytes, or a
    stray byte of one, make at least one), one more than a torn span shows."""
    return len(span.before) + 1 if span.rule == "unrepaired" else span.before.count("\ufffd")


@dataclass
class Filled:
    """What :func:`fill` did: the new text, its events (offsets in it), the spans it restored
    and those it could not."""

    text: str
    events: list[RepairEvent]
    restored: list[Span]
    refused: list[Span]


def fill(
    text: str,
    spans: list[Span],
    copies: list[Copy],
    *,
    size: int = params.PAGE_COPY_ANCHOR,
    max_fill: int = params.PAGE_COPY_MAX_FILL,
) -> Filled:
    """Each damaged span of ``text`` restored from ``copies`` where they determine it (module doc)."""
    out, events, restored, refused = [], [], [], []
    pos = growth = 0
    for span in spans:
        found: set[str] = set()
        short = True
        for c in copies:
            got = candidates(text, span, c, size, min(max_fill, most_lost(span)))
            if got is not None:
                short = False
                found |= got
        current = text[span.start : span.end]
        if short or len(found) != 1:
            refused.append(span)
            continue
        (new,) = found
        if new == current or _NOT_TEXT.search(new) or new != new.strip() or (span.rule == "unrepaired" and not new):
            if new != current:
                refused.append(span)
            continue
        out.append(text[pos : span.start])
        at = span.start + growth
        out.append(new)
        events.append(RepairEvent("page_copy", at, span.before, new, "page"))
        restored.append(span)
        growth += len(new) - len(current)
        pos = span.end
    out.append(text[pos:])
    return Filled("".join(out), events, restored, refused)


def moved(events: list[RepairEvent], restored: list[Span], fills: list[RepairEvent]) -> list[RepairEvent]:
    """``events`` of the text before :func:`fill`, placed in its result: the drops a restored
    span replaces left out, the others moved by the characters put in before them."""
    drops = {s.start for s in restored if s.rule != "unrepaired"}
    shifts = [(s.end, len(f.after) - (s.end - s.start)) for s, f in zip(restored, fills)]
    out = []
    for e in events:
        if e.offset in drops and e.rule in DROP_RULES and not e.after and "\ufffd" in e.before:
            continue
        d = sum(g for end, g in shifts if e.offset >= end)
        out.append(e.at(e.offset + d) if d else e)
    return out


def restore(res: RepairResult, page: PageCopies, own: str) -> None:
    """``res`` (the repair of the field text ``own``) with its damaged spans restored from the
    page's other copies where they determine it; its counts: ``page_copy`` per span restored,
    ``unrepaired`` per damaged span the copies could not restore (once per span)."""
    if not (res.log or res.kept):  # no damaged span (most fields): none built
        return
    spans = damaged_spans(res.log, res.kept)
    if not spans or not page:
        return
    done = fill(res.text, spans, page.copies(own))
    kept_spans = {(s.start, s.end) for s in done.restored if s.rule == "unrepaired"}
    res.kept = moved(
        [e for e in res.kept if (e.offset, e.offset + len(e.after)) not in kept_spans], done.restored, done.events
    )
    res.log = sorted(moved(res.log, done.restored, done.events) + done.events, key=lambda e: e.offset)
    res.text = done.text
    res.add("page_copy", len(done.restored))
    for s in done.restored:
        if s.rule == "unrepaired":
            res.add("unrepaired", -1)
        elif s.rule != "undecodable_bytes":  # counted by the page (cleaning.document), not here
            res.add("replacement_dropped", -s.before.count("\ufffd"))
    res.add("unrepaired", sum(1 for s in done.refused if s.rule != "unrepaired"))
    res.repairs = {k: n for k, n in res.repairs.items() if n > 0}


class PageCopies:
    """The page's other copies of its text, repaired (lazily, once) like its fields."""

    def __init__(
        self, texts: Iterable[str] | Callable[[], Iterable[str]], repair: Callable[[str], RepairResult]
    ) -> None:
        self._given = texts  # a callable: read when a damaged span first asks (most fields have none)
        self._repair = repair
        self._copies: list[tuple[str, Copy]] | None = None

    @cached_property
    def _texts(self) -> list[str]:
        texts = self._given() if callable(self._given) else self._given
        return [t for t in dict.fromkeys(texts) if t and t.strip()]

    def __bool__(self) -> bool:
        return bool(self._texts)

    def copies(self, own: str = "") -> list[Copy]:
        if self._copies is None:
            self._copies = []
            for t in self._texts:
                r = self._repair(t)
                self._copies.append((t, copy_of(r.text, r.log, r.kept)))
        return [c for t, c in self._copies if t != own]
