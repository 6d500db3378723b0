"""One byte lost from a page declared GBK/GB2312 (issue 25 item 6): found from the shifted run
that follows it, and repaired from the bytes.

In GB2312 text every Han character and full-width mark is two bytes in A1..FE, so a run of such
bytes has an even length. When one byte of a character is lost (a full-width comma's lead A3,
or a trail byte), the run becomes odd: from the lost byte on, the decoder pairs each byte with
the next one's neighbour (one byte out of step), reading rare characters, until the run's last
byte takes the ASCII byte after it (an ASCII letter read as a GBK trail, or, before a digit or a
space, an undecodable pair: U+FFFD).

:func:`repair_gb_lost_bytes` looks at every odd run, on the bytes. For each place the byte could
have been lost (an even number of bytes in step before it), the orphan byte left of the damaged
character is set aside and the rest of the run is read in step again: the place whose reading
is the likeliest text (:func:`wordmodel.text_logprob`) wins, when it beats the run as it was
decoded by ``GB_LOST_MIN_GAIN`` per character and the next place by ``GB_PLACE_MARGIN`` (where
the shift starts is a choice of the model, measured like the others: ``bench.margins``). The characters after
it are then determined by the bytes. The damaged character itself is one of those the orphan byte
allows (as a lead or as a trail): the word model's choice is put back only above
``TEAR_MODEL_MARGIN``; otherwise the orphan is dropped and counted (``gb_lost_dropped``), never
guessed.
"""

from __future__ import annotations

import math
import re

from .log import RepairEvent, diff_edits
from .params import GB_LOST_MIN_GAIN, GB_LOST_MIN_RUN

_RUN = re.compile(rb"[\xa1-\xfe]+")


def _read(data: bytes) -> str:
    return data.decode("gb18030", "replace")


def _score(text: str) -> float:
    from .wordmodel import text_logprob

    return text_logprob(text)


def _candidates(orphan: int) -> list[str]:
    """The common characters whose GBK form has ``orphan`` as its lead or its trail."""
    from .tearwindow import slot_tables

    by_trail, by_lead = slot_tables()
    return list(dict.fromkeys([*by_lead.get(orphan, ()), *by_trail.get(orphan, ())]))


def _context(data: bytes, start: int, end: int) -> tuple[str, str]:
    left = _read(data[max(0, start - 12) : start])[-4:]
    right = _read(data[end : end + 12])[:4]
    return left, right


def _fix_run(data: bytes, start: int, end: int) -> tuple[bytes, str, float, float] | None:
    """The run ``data[start:end]`` (odd length) read again: (new bytes for ``data[start:end + 1]``,
    how: ``model`` or ``dropped``, the margin of the place, of the character), or None when no
    place reads clearly better."""
    from . import params

    run = data[start:end]
    nxt = data[end : end + 1]
    left, right = _context(data, start, end + 1)
    as_is = _read(run + nxt)
    base = _score(left + as_is + right)
    places = []
    for k in range(0, len(run), 2):
        fixed = run[:k] + run[k + 1 :]
        text = _read(fixed)
        if "\ufffd" in text:
            continue
        places.append((_score(left + text + _read(nxt) + right), k, fixed))
    if not places:
        return None
    places.sort(reverse=True)
    best, k, fixed = places[0]
    chars = max(1, len(run) // 2)
    if best - base < GB_LOST_MIN_GAIN * chars:
        return None
    place_margin = best - places[1][0] if len(places) > 1 else math.inf
    if place_margin < params.GB_PLACE_MARGIN:
        return None
    orphan = run[k]
    head, tail = _read(run[:k]), _read(run[k + 1 :])
    scored = sorted(((_score(left + head + c + tail[:4]), c) for c in _candidates(orphan)), reverse=True)
    margin = (scored[0][0] - scored[1][0] if len(scored) > 1 else math.inf) if scored else -math.inf
    if margin >= params.TEAR_MODEL_MARGIN:
        return run[:k] + scored[0][1].encode("gb18030") + run[k + 1 :] + nxt, "model", place_margin, margin
    return fixed + nxt, "dropped", place_margin, margin


def repair_gb_lost_bytes(data: bytes, text: str) -> tuple[str, dict[str, int], list[RepairEvent]]:
    """``text`` (the gb18030 reading of ``data``) with every lost byte found and repaired (module
    doc); the counts (``gb_lost_byte``, ``gb_lost_dropped``) and an event per repair, offsets in
    the text returned."""
    counts: dict[str, int] = {}
    out = bytearray()
    pos = 0
    how_at: list[str] = []
    for m in _RUN.finditer(data):
        start, end = m.span()
        if (end - start) % 2 == 0 or end - start < 2 * GB_LOST_MIN_RUN + 1 or (end < len(data) and data[end] >= 0x80):
            continue
        fixed = _fix_run(data, start, end)
        if fixed is None:
            continue
        new, how = fixed[:2]
        out += data[pos:start] + new
        pos = end + 1
        how_at.append(how)
        counts["gb_lost_byte"] = counts.get("gb_lost_byte", 0) + 1
        if how == "dropped":
            counts["gb_lost_dropped"] = counts.get("gb_lost_dropped", 0) + 1
    if not how_at:
        return text, counts, []
    out += data[pos:]
    new_text = _read(bytes(out))
    edits = diff_edits(text, new_text)
    by = "model" if "model" in how_at else "bytes"
    return new_text, counts, [RepairEvent("gb_lost_byte", off, old, new, by) for off, old, new in edits]
