"""The record's repair log: the events of :func:`cleaning.repair.repair_text` on each field of a
page (:class:`cleaning.repair.log.RepairEvent`), placed in the record's final text.

:func:`cleaning.document.clean_document` repairs the body as one text (its paragraphs joined
by newlines), normalises the white space of each paragraph and strips boilerplate paragraphs
afterwards; :class:`RepairLog` follows the events through both, so that an entry's ``offset``
is where its ``after`` stands in the stored ``body_text`` (field ``body``), or in the field's
text as extracted (``title``, ``summary``, ``author``, ``editor``, ``source``, ``node_name``,
``tags``, ``captions``; the title's offset is in the stored title). Events in a paragraph that
boilerplate stripping removed are left out (the text they changed is not stored); events that
emptied a paragraph (a line of U+FFFD dropped) stay, at the place where it was. A byte lost from
a GB page is repaired on the bytes, before extraction (:mod:`cleaning.repair.gbklost`): its
entries have field ``page`` and an offset in the decoded page.
"""

from __future__ import annotations

import bisect
from cleaning.extract.html import normalize_ws
from cleaning.repair.log import RepairEvent


def _ws_offset(raw: str, offset: int) -> int:
    """Where ``raw[offset]`` stands once ``raw`` is white-space normalised (:func:`normalize_ws`)."""
    if offset <= 0:
        return 0
    return max(0, len(normalize_ws(raw[:offset] + "x")) - 1)


def _kept_prefix(raw: str) -> int:
    """The largest ``k`` such that :func:`normalize_ws` leaves ``raw[:k] + "x"`` as it is, so that
    :func:`_ws_offset` is ``offset`` itself for every ``offset <= k`` (most of a paragraph: its
    first white space or zero-width character ends it). Found by bisection, a few
    :func:`normalize_ws` calls per paragraph instead of one per event: a prefix that normalisation
    changes stays changed when it grows (what it drops or merges is still there, and the ``x``
    put after it is no white space nor full-width punctuation)."""
    if normalize_ws(raw + "x") == raw + "x":
        return len(raw)
    lo, hi = 0, len(raw)  # kept at lo, changed at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if normalize_ws(raw[:mid] + "x") == raw[:mid] + "x":
            lo = mid
        else:
            hi = mid
    return lo


class RepairLog:
    """Repair events collected per field while a page is cleaned; :meth:`entries` places them."""

    def __init__(self) -> None:
        self._fields: list[tuple[str, RepairEvent, str]] = []  # (field, event, repaired text)
        # (paragraph, event, its offset in the paragraph, repaired paragraph): the offset kept
        # apart, no event moved (the entry takes the place's offset, not the event's)
        self._body: list[tuple[int, RepairEvent, int, str]] = []

    def field(self, name: str, events: list[RepairEvent], repaired: str) -> None:
        self._fields += [(name, e, repaired) for e in events]

    def body_joined(self, events: list[RepairEvent], repaired: str) -> None:
        """Events of the paragraphs repaired as one text (offsets in ``repaired``)."""
        if not events:
            return
        lines = repaired.split("\n")
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        body, find = self._body, bisect.bisect_right
        for e in events:
            k = max(0, find(starts, e.offset) - 1)
            body.append((k, e, e.offset - starts[k], lines[k]))

    def body_paragraph(self, index: int, events: list[RepairEvent], repaired: str) -> None:
        self._body += [(index, e, e.offset, repaired) for e in events]

    def entries(self, paragraphs: list[str], kept: list[str], title: str) -> list[dict[str, object]]:
        """The log as the record keeps it: ``paragraphs`` are the body's normalised paragraphs
        before boilerplate stripping, ``kept`` the ones stored, ``title`` the stored title."""
        if not (self._body or self._fields):  # nothing repaired (most pages): nothing to place
            return []
        where: dict[int, int] = {}  # paragraph before stripping -> its index among the kept
        j = 0
        for k, para in enumerate(kept):
            while j < len(paragraphs) and paragraphs[j] != para:
                j += 1
            if j < len(paragraphs):
                where[j] = k
                j += 1
        starts, pos = [], 0
        for para in kept:
            starts.append(pos)
            pos += len(para) + 1
        out: list[dict[str, object]] = []
        # the kept paragraph after an emptied one: the first index above it in ``where`` (whose
        # indices and places both ascend)
        after_index = list(where)
        kept_prefix: dict[str, int] = {}  # a repaired text -> its _kept_prefix

        def placed(repaired: str, offset: int) -> int:
            k = kept_prefix.get(repaired)
            if k is None:
                k = kept_prefix[repaired] = _kept_prefix(repaired)
            return max(0, offset) if offset <= k else _ws_offset(repaired, offset)

        for index, e, offset, repaired in self._body:
            if index in where:
                off = placed(repaired, offset)
                out.append(e.to_dict(field="body", offset=starts[where[index]] + off))
            elif index < len(paragraphs) and not paragraphs[index]:
                k = bisect.bisect_right(after_index, index)
                at = starts[where[after_index[k]]] if k < len(after_index) else pos - 1 if kept else 0
                out.append(e.to_dict(field="body", offset=max(0, at)))
        for name, e, repaired in self._fields:
            if name == "title" and not title:
                continue
            out.append(e.to_dict(field=name, offset=placed(repaired, e.offset)))
        return sorted(out, key=lambda d: (d["field"] != "title", d["field"] != "body", d["field"], d["offset"]))
