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
from dataclasses import replace

from cleaning.extract.html import normalize_ws
from cleaning.repair.log import RepairEvent


def _ws_offset(raw: str, offset: int) -> int:
    """Where ``raw[offset]`` stands once ``raw`` is white-space normalised (:func:`normalize_ws`)."""
    if offset <= 0:
        return 0
    return max(0, len(normalize_ws(raw[:offset] + "x")) - 1)


class RepairLog:
    """Repair events collected per field while a page is cleaned; :meth:`entries` places them."""

    def __init__(self) -> None:
        self._fields: list[tuple[str, RepairEvent, str]] = []  # (field, event, repaired text)
        self._body: list[tuple[int, RepairEvent, str]] = []  # (paragraph, event in it, repaired paragraph)

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
        for e in events:
            k = max(0, bisect.bisect_right(starts, e.offset) - 1)
            self._body.append((k, replace(e, offset=e.offset - starts[k]), lines[k]))

    def body_paragraph(self, index: int, events: list[RepairEvent], repaired: str) -> None:
        self._body += [(index, e, repaired) for e in events]

    def entries(self, paragraphs: list[str], kept: list[str], title: str) -> list[dict[str, object]]:
        """The log as the record keeps it: ``paragraphs`` are the body's normalised paragraphs
        before boilerplate stripping, ``kept`` the ones stored, ``title`` the stored title."""
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
        for index, e, repaired in self._body:
            off = _ws_offset(repaired, e.offset)
            if index in where:
                out.append(e.to_dict(field="body", offset=starts[where[index]] + off))
            elif index < len(paragraphs) and not paragraphs[index]:
                after = [k for i, k in where.items() if i > index]
                at = starts[min(after)] if after else pos - 1 if kept else 0
                out.append(e.to_dict(field="body", offset=max(0, at)))
        for name, e, repaired in self._fields:
            off = _ws_offset(repaired, e.offset)
            if name == "title" and not title:
                continue
            out.append(e.to_dict(field=name, offset=off))
        return sorted(out, key=lambda d: (d["field"] != "title", d["field"] != "body", d["field"], d["offset"]))
