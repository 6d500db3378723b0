"""Repair GBK punctuation-swap tears (docs/site-notes.md §6 item 4).

The mirror GBK-encoded the (already Traditional) text, replaced every byte pair ``A3 xx``
(full-width forms) by the ASCII character ``xx - 0x80`` ignoring character boundaries, and
decoded again.  A character whose trail byte is ``A3`` (模 ``C4 A3``, 。 ``A1 A3``) loses that
byte: its lead byte turns into an orphan shown as ``?``/U+FFFD (a following digit may be
swallowed with it), and the next bytes decode one byte out of step (rare characters,
private-use code points) until an ASCII byte resynchronises.

Repair, per damaged window (from the first ``?``/U+FFFD/private-use/rare character of a
cluster, with an orphan ``?`` just before it, through the out-of-step run to the first ASCII
character after which a dictionary word follows, plus a few characters): re-encode every
character to its GB18030 bytes, and read them again along every way the ambiguous
characters can be read:

* ASCII ``!``..``~``: itself, or a swapped full-width pair ``A3 (c+0x80)``;
* ``?``: itself, a swapped ``？``, or one lost byte (optionally followed by a swallowed digit);
* U+FFFD: one lost byte.

Each reading must decode in step as GB18030.  A lost byte is one of the common characters
that its neighbour byte allows (at most SLOT_TOP, then the SLOT_KEEP most plausible next to
the characters around it: a cut made before the search).  The readings form a lattice
(:func:`tearwindow._window_lattice`: nodes are positions with the decoder's pending byte, readings that
start with the same bytes share their edges) and the best one is a shortest path over it
(:func:`cleaning.repair.readings.best_reading`: a Viterbi search scored by jieba's word
frequencies over the Simplified form of the window and its context, so ``?;`` becomes ``模``
in ``規模化``; a chosen character that makes a word with a neighbour, or a ``。`` between a
word, or a number and its measure word, that ends and one that starts, earns a bonus), with
small costs per lost byte and per swap, and for a chosen character of the other script than
the text's.  A second pass reads every window again with the words of the rest of the
document as repaired (a cache model: a name the dictionary lacks, torn in one place and
intact or repaired in another), where they can change a score.  A swallowed digit that
starts a number is taken from the same number written out elsewhere in the text, and is
otherwise not read at all (no guess).  A window is only rewritten when its best reading beats the window as it is by
MIN_GAIN and changes more than flattened punctuation (a ``?`` between two intact
characters is left to the full-width stage).

The work is bounded per text (TEXT_WORK units, counted by the search), besides the window
counts: damage of another kind that looks like tears (flipped bytes, a wrong decoding) stops
there.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterator, Set as AbstractSet
from contextlib import contextmanager
from functools import lru_cache

from .charsets import common_chars, decode_block, is_cjk, is_pua
from .log import RepairEvent
from .params import (
    MAX_RUN,
    MAX_SEARCHED,
    MAX_WINDOWS,
    MIN_CHARS_PER_WINDOW,
    PROBE_MIN_SHARE,
    PROBE_WINDOWS,
    TEXT_WORK,
    WINDOW_TAIL,
)
from .lattice import Budget, BudgetExceeded, DocumentWords
from .readstate import WORD_MIN_FREQ
from .tearwindow import Window, WindowReading, foreign_test, gbk2, simplified
from .traditional import is_converted_traditional
from .wordmodel import word_freq


def _is_trigger(text: str, i: int) -> bool:
    ch = text[i]
    if ch != "?":
        if ch in "\ufffd" or is_pua(ch):
            return True
        return _is_rare_swappable(ch)
    for j in (i - 1, i + 1):
        if 0 <= j < len(text):
            n = text[j]
            if not n.isascii() and not n.isspace():
                return True
    # An orphan before a swapped pair read as ASCII, then the run (?9庑畔 for 海光信息).
    if i + 2 < len(text) and "!" <= text[i + 1] <= "~" and not text[i + 2].isascii() and not text[i + 2].isspace():
        return True
    return False


@lru_cache(maxsize=65536)
def _is_rare_swappable(ch: str) -> bool:
    """A CJK character outside the common set whose GB18030 trail byte is 40..7E: possibly a
    torn character's lead byte followed by a swapped full-width pair (模型 -> 腜...)."""
    if not is_cjk(ch) or ch in common_chars():
        return False
    b = gbk2(ch)
    return b is not None and 0x40 <= b[1] <= 0x7E


@lru_cache(maxsize=1)
def _candidate_re() -> re.Pattern[str]:
    """``?``, U+FFFD, a private-use character or a rare swappable one (one character class,
    built once from the codec: the scan of clean text runs in the regex engine)."""
    # Every such character is the decoding of a byte pair with a trail byte 40..7E: test those
    # (8,000 pairs) rather than every Han code point (28,000), each lead's row decoded at once
    # (charsets.decode_block). Each of these pairs decodes to one character whose 2-byte form
    # it is (tests/test_tearwindow_slots.py), so of _is_rare_swappable's tests the trail's holds.
    common = common_chars()
    pairs = decode_block("gb18030", range(0x81, 0xFF), range(0x40, 0x7F))
    rare = sorted(ord(ch) for ch in pairs if ch not in common and is_cjk(ch))
    ranges: list[list[int]] = []
    for cp in rare:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    cls = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)
    return re.compile(f"[?\ufffd\ue000-\uf8ff{cls}]")


def _scan_triggers(text: str) -> list[int]:
    return [m.start() for m in _candidate_re().finditer(text) if _is_trigger(text, m.start())]


def tear_marks(text: str) -> list[int]:
    """Where ``text`` holds a ``?``, U+FFFD, a private-use character or a rare swappable one
    (:func:`_candidate_re`, one scan): the characters a tear sign is looked for at. None in a
    text also says it holds no ``?``, U+FFFD or private-use character at all."""
    return [m.start() for m in _candidate_re().finditer(text)]


def has_tear_signs(text: str, marks: list[int] | None = None) -> bool:
    """Cheap pre-check: a ``?`` next to non-ASCII text, U+FFFD, a private-use character, or a
    rare character that may hide a swapped pair. ``marks``: :func:`tear_marks` of ``text``,
    when the caller has them."""
    return any(_is_trigger(text, i) for i in (tear_marks(text) if marks is None else marks))


#: Where a window stops: ASCII white space (U+3000, the full-width space A1 A1, may be part of
#: an out-of-step run: 市场。该 -> 谐\u30008).
_BREAK = frozenset(" \t\r\n\f\v")


def _in_step(text: str, j: int) -> bool:
    """Whether the text from ``j`` reads in step: a dictionary word among the next four
    characters (an out-of-step run is made of valid, even common, characters that form none:
    ``锌圃毫孔`` was ``中科院量``), or nothing more to read."""
    nxt = simplified(text[j : j + 4])
    if len(nxt) < 2 or nxt[0] in _BREAK:
        return True
    return any(word_freq(nxt[k : k + 2]) >= WORD_MIN_FREQ for k in range(len(nxt) - 1))


def _window_end(text: str, last: int) -> int:
    """Past the last trigger: through the out-of-step run, which ends at an ASCII byte that
    resynchronises. An ASCII character may also be a swapped pair inside the run (上海交 ->
    虾=煌ù髮W副): the run ends at the first one after which the text reads in step, plus
    WINDOW_TAIL characters; never across whitespace or a character GBK cannot hold, and at
    most MAX_RUN characters."""
    end = last + 1
    limit = min(len(text), last + MAX_RUN)
    while end < limit and text[end] not in _BREAK:
        ch = text[end]
        if gbk2(ch) is None and not ("!" <= ch <= "~"):
            break
        end += 1
        if ch.isascii() and _in_step(text, end):
            limit = min(limit, end + WINDOW_TAIL)
    return end


def _window_start(text: str, first: int) -> int:
    """Before the first trigger: an orphan ``?`` just before it, or an orphan and one swapped
    ASCII character (``3.5%?I`` + private-use character), belong to the same run."""
    if first >= 1 and text[first - 1] == "?":
        return first - 1
    if first >= 2 and text[first - 2] == "?" and "!" <= text[first - 1] <= "~" and text[first - 1] not in ")]}":
        return first - 2
    return first


def repair_tears(text: str) -> tuple[str, dict[str, int]]:
    """Repair every torn window in ``text``; returns (text, {"lost_lead_byte": n, "gbk_punct_swap": n})."""
    out, counts, _ = repair_tears_explained(text)
    return out, counts


def _windows(text: str, triggers: list[int]) -> list[tuple[int, int]]:
    """The triggers clustered into windows on the same line; a window reaching into the next
    one (its run took the next cluster's first trigger) is one window, read as a whole."""
    windows: list[tuple[int, int]] = []
    first = last = triggers[0]
    for t in triggers[1:]:
        if t - last <= 8 and "\n" not in text[last:t]:
            last = t
            continue
        windows.append((_window_start(text, first), _window_end(text, last)))
        first = last = t
    windows.append((_window_start(text, first), _window_end(text, last)))
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _unsure(readings: dict[int, WindowReading | None]) -> set[int]:
    """The windows whose reading holds a character chosen for a lost byte below
    :data:`params.TEAR_MODEL_MARGIN` (read at call time: ``bench.margins`` measures every margin)."""
    from . import params

    return {k for k, r in readings.items() if r is not None and r[1] and r[4] < params.TEAR_MODEL_MARGIN}


def repair_tears_explained(text: str) -> tuple[str, dict[str, int], list[RepairEvent]]:
    """:func:`repair_tears`, with an event per window rewritten (offsets in the result): ``model``
    where the word model chose a character for a lost byte, ``bytes`` where the bytes allowed one
    reading only. A window whose choice is below the margin stays as it was (``unrepaired``)."""
    counts = {"lost_lead_byte": 0, "gbk_punct_swap": 0}
    triggers = _scan_triggers(text)
    if not triggers:
        return text, counts, []
    with collector_paused():
        return _repair_windows(text, counts, _windows(text, triggers))


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the windows are read: the search allocates some
    hundred thousand short-lived tuples (edges, states, word paths) and makes no reference
    cycles, so the collections it would trigger (a fifth of its time, measured) free nothing;
    everything it leaves is freed by reference counting. Turned back on only if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _repair_windows(
    text: str, counts: dict[str, int], windows: list[tuple[int, int]]
) -> tuple[str, dict[str, int], list[RepairEvent]]:
    """:func:`repair_tears_explained` once the windows are found."""
    if len(windows) > MAX_WINDOWS and len(text) < MIN_CHARS_PER_WINDOW * len(windows):
        # Not a torn mirror copy but noise (binary junk, a wrong decoding): the
        # search would cost seconds per window for nothing. Leftover private-use
        # characters are removed by the later stages.
        counts["tear_windows_skipped"] = len(windows)
        return text, counts, []
    budget = Budget(TEXT_WORK)
    foreign = foreign_test(is_converted_traditional(text))
    read: dict[int, Window] = {}
    readings: dict[int, WindowReading | None] = {}  # window -> its reading (None: as it is)
    for k, (start, end) in enumerate(windows):  # in order, and apart since the merge
        repaired = sum(1 for r in readings.values() if r is not None)
        if len(readings) >= MAX_SEARCHED or (
            len(readings) >= PROBE_WINDOWS and repaired < len(readings) * PROBE_MIN_SHARE
        ):
            # The search budget is spent, or most windows so far read as no tear at all:
            # damage of another kind (flipped bytes, a wrong decoding), where the search
            # costs much and finds nothing.
            counts["tear_windows_skipped"] = counts.get("tear_windows_skipped", 0) + len(windows) - k
            break
        try:
            read[k] = Window(text, start, end, foreign)
            readings[k] = read[k].read(budget)
        except BudgetExceeded:
            counts["tear_windows_skipped"] = counts.get("tear_windows_skipped", 0) + len(windows) - k
            break
    sure = {k: (None if k in _unsure(readings) else r) for k, r in readings.items()}
    if any(r is not None for r in sure.values()):
        # Second pass: each window read again with the words of the rest of the document
        # as repaired (a name torn in one place and intact, or repaired, in another), where
        # they can change anything.
        joined, positions, _ = _assemble(text, windows, sure)
        doc = DocumentWords(simplified(joined), positions)
        for k in list(readings):
            if not read[k].depends_on(doc):
                continue
            try:
                readings[k] = read[k].read(budget, doc)
            except BudgetExceeded:
                break
    unsure = _unsure(readings)
    if unsure:
        counts["unrepaired"] = len(unsure)
        readings = {k: (None if k in unsure else r) for k, r in readings.items()}
    out, _, events = _assemble(text, windows, readings, unsure)
    for r in readings.values():
        if r is not None:
            counts["lost_lead_byte"] += r[1]
            counts["gbk_punct_swap"] += r[2]
    return out, counts, events


def _assemble(
    text: str,
    windows: list[tuple[int, int]],
    readings: dict[int, WindowReading | None],
    unsure: AbstractSet[int] = frozenset(),
) -> tuple[str, list[int], list[RepairEvent]]:
    """``text`` with the windows replaced by their readings, the position in ``text`` each of
    its characters was read from, and an event per window replaced; a window left as it was
    because the model was not sure (``unsure``) gets an event of rule ``unrepaired`` whose
    before and after are the window (no later stage may change it: :func:`cleaning.repair.repair_text`)."""
    out: list[str] = []
    positions: list[int] = []
    events: list[RepairEvent] = []
    pos = length = 0
    for k, (start, end) in enumerate(windows):
        r = readings.get(k)
        out.append(text[pos:start])
        positions.extend(range(pos, start))
        length += start - pos
        if r is not None:
            old, new = text[start:end], r[0]
            head = 0
            while head < min(len(old), len(new)) and old[head] == new[head]:
                head += 1
            tail = 0
            while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
                tail += 1
            by = "model" if r[1] and r[4] != math.inf else "bytes"
            events.append(
                RepairEvent(
                    "gbk_tear",
                    length + head,
                    old[head : len(old) - tail],
                    new[head : len(new) - tail],
                    by,
                    r[4] if by == "model" else None,
                )
            )
            out.append(new)
            positions.extend(r[3])
            length += len(new)
        else:
            out.append(text[start:end])
            positions.extend(range(start, end))
            if k in unsure:
                events.append(RepairEvent("unrepaired", length, text[start:end], text[start:end]))
            length += end - start
        pos = end
    out.append(text[pos:])
    positions.extend(range(pos, len(text)))
    return "".join(out), positions, events
