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
from dataclasses import dataclass
from itertools import compress, count
from operator import ne

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
        # the fields in order, the None ones left out, as ``asdict`` gives them: a copy of the
        # instance's dict, which ``__init__`` (and :meth:`at`) fill in the fields' order (asdict
        # deep-copies, 10 x slower; a loop over the fields, 3 x)
        d: dict[str, object] = self.__dict__.copy()
        if self.margin is None:
            del d["margin"]
        else:
            d["margin"] = round(self.margin, 2)
        if None in d.values():  # a field typed str or int left None: left out too
            d = {name: value for name, value in d.items() if value is not None}
        d.update(extra)
        return d

    def at(self, offset: int) -> RepairEvent:
        """This event at ``offset``: ``dataclasses.replace(self, offset=offset)``, built by hand
        (its fields copied, the offset set; a tenth of ``replace``'s cost, which runs ``__init__``
        and a frozen ``__setattr__`` per field): a page's thousands of events are moved often."""
        moved = _new(RepairEvent)
        fields_ = moved.__dict__
        fields_.update(self.__dict__)
        fields_["offset"] = offset
        return moved


_new = object.__new__


def diff_edits(before: str, after: str) -> list[tuple[int, str, str]]:
    """The edits that turn ``before`` into ``after``: ``(offset in after, old, new)``, in order.
    Texts of the same length are compared character by character (runs of changed characters
    are one edit); others with :mod:`difflib`'s opcodes (:func:`.diffmatch.opcodes`: the same,
    found faster where characters were only deleted), on the changed middle only."""
    if before == after:
        return []
    if len(before) == len(after):
        out: list[tuple[int, str, str]] = []
        start = end = -1
        # the changed places, found by C loops (map, compress): runs of them are one edit
        for i in compress(count(), map(ne, before, after)):
            if i != end:
                if end >= 0:
                    out.append((start, before[start:end], after[start:end]))
                start = i
            end = i + 1
        out.append((start, before[start:end], after[start:end]))
        return out
    shorter = min(len(before), len(after))
    head = next(compress(count(), map(ne, before, after)), shorter)
    tail = min(next(compress(count(), map(ne, reversed(before), reversed(after))), shorter), shorter - head)
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
    if not any(total):  # edits that keep the length (a same-length diff): no event moves
        return events
    out: list[RepairEvent] = []
    append, moved_to = out.append, RepairEvent.at
    for ev in events:
        # the edits before the event (at its offset too when it inserted nothing): a prefix of them
        at = ev.offset
        d = total[bisect_right(starts, at) if not ev.after else bisect_left(starts, at)]
        append(moved_to(ev, at + d) if d else ev)
    return out


def events_of(rule: str, before: str, after: str, by: str = "rule") -> list[RepairEvent]:
    """One event per edit between ``before`` and ``after``, all of ``rule`` and ``by``."""
    return [RepairEvent(rule, off, old, new, by) for off, old, new in diff_edits(before, after)]
