"""The repair log: every change the repair chain makes to a text, explained (as ftfy's
``fix_and_explain``).

A :class:`RepairEvent` says which rule changed what (``before`` -> ``after``), where (``offset``
in the text the chain returns), and what decided it (``by``):

* ``bytes``: the surviving bytes determine the new text (a whole UTF-8 or GBK sequence read
  again, a swapped pair put back, a byte lost where only one character can decode);
* ``model``: the word model chose among candidates the bytes leave open (a lost byte), above the
  margin at which its measured accuracy is at least 99.5 % (:mod:`.params`); 著 -> 着 too;
* ``rule``: a deterministic rule on the text (Traditional -> Simplified mapping, full-width
  punctuation, pinyin annotations, the mirror's host, U+FFFD and private-use characters dropped);
* ``page``: the page's own other copy of the text, undamaged there and agreeing on both sides
  of the span, determines it (:mod:`.pagecopy`, rule ``page_copy``).

A stage reports its own events with offsets in its output; the events of earlier stages are
moved along (:func:`shift`) by the edits of the later ones, which :func:`diff_edits` finds for
stages that report none.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, fields, replace

from .diffmatch import opcodes

BY = ("bytes", "model", "rule", "page")


@dataclass(frozen=True)
class RepairEvent:
    rule: str
    offset: int  # in the text after the repair
    before: str
    after: str
    by: str = "rule"
    margin: float | None = None  # the model's margin over the next candidate (``by == "model"``)

    def to_dict(self, **extra: object) -> dict[str, object]:
        # the fields in order, as ``asdict`` gives them (built by hand: asdict deep-copies, 10 x slower)
        d: dict[str, object] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None:
                d[name] = value
        if self.margin is not None:
            d["margin"] = round(self.margin, 2)
        d.update(extra)
        return d


_FIELDS = tuple(f.name for f in fields(RepairEvent))


def diff_edits(before: str, after: str) -> list[tuple[int, str, str]]:
    """The edits that turn ``before`` into ``after``: ``(offset in after, old, new)``, in order.
        Texts of the same length are compared character by character (runs of changed characters
        are one edit); others with :mod:`difflib`'s opcodes (:func:`.diffmatch.opcodes`: the same,
    found faster where characters were only deleted), on the changed middle only."""
    if before == after:
        return []
    if len(before) == len(after):
        out, i, n = [], 0, len(before)
        while i < n:
            if before[i] == after[i]:
                i += 1
                continue
            j = i
            while j < n and before[j] != after[j]:
                j += 1
            out.append((i, before[i:j], after[i:j]))
            i = j
        return out
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    a, b = before[head : len(before) - tail], after[head : len(after) - tail]
    out = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag != "equal":
            out.append((head + j1, a[i1:i2], b[j1:j2]))
    return out


def shift(events: list[RepairEvent], edits: list[tuple[int, str, str]]) -> list[RepairEvent]:
    """``events`` (offsets in a text) moved to the text after ``edits`` (offsets in the new text,
    in order, as :func:`diff_edits` gives them)."""
    if not edits or not events:
        return events
    starts = []  # offsets in the old text, ascending
    total = [0]  # total[i]: growth of the first i edits
    growth = 0
    for off, old, new in edits:
        starts.append(off - growth)
        growth += len(new) - len(old)
        total.append(growth)
    out = []
    for ev in events:
        # the edits before the event (at its offset too when it inserted nothing): a prefix of them
        d = total[bisect_right(starts, ev.offset) if not ev.after else bisect_left(starts, ev.offset)]
        out.append(replace(ev, offset=ev.offset + d) if d else ev)
    return out


def events_of(rule: str, before: str, after: str, by: str = "rule") -> list[RepairEvent]:
    """One event per edit between ``before`` and ``after``, all of ``rule`` and ``by``."""
    return [RepairEvent(rule, off, old, new, by) for off, old, new in diff_edits(before, after)]
