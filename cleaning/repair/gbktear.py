"""Repair GBK punctuation-swap tears (thepaper-site.md §6 item 4).

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
(:func:`_window_lattice`: nodes are positions with the decoder's pending byte, readings that
start with the same bytes share their edges) and the best one is a shortest path over it
(:func:`cleaning.repair.readings.best_reading`: a Viterbi search scored by jieba's word
frequencies over the Simplified form of the window and its context, so ``?;`` becomes ``模``
in ``規模化``; a chosen character that makes a word with a neighbour, or a ``。`` between a
word, or a number and its measure word, that ends and one that starts, earns a bonus), with
small costs per lost byte and per swap, and for a chosen character of the other script than
the text's.  A second pass reads every window again with the words of the rest of the
document as repaired (a cache model: a name the dictionary lacks, torn in one place and
intact or repaired in another), where they can change a score.  A swallowed digit that
starts a number is taken from the same number written out elsewhere in the text, else from
the shape of a year (``?024年`` -> ``2024年``), else by Benford's law (``1``) — a documented
guess.  A window is only rewritten when its best reading beats the window as it is by
MIN_GAIN and changes more than flattened punctuation (a ``?`` between two intact
characters is left to the full-width stage).

The work is bounded per text (TEXT_WORK units, counted by the search), besides the window
counts: damage of another kind that looks like tears (flipped bytes, a wrong decoding) stops
there.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from .charsets import CJK_PUNCT, common_chars, is_cjk, is_pua
from .traditional import is_converted_traditional
from .readings import WORD_MIN_FREQ, Budget, BudgetExceeded, DocumentWords, Lattice, best_reading, doc_matters
from .wordmodel import char_usage, word_freq

LOST = -1  # marker for a lost byte in a byte reading
LOST_COST = 3.0
SWAP_COST = 1.0
#: A character chosen for a lost byte that belongs to the other script than the text's.
SCRIPT_COST = 8.0
SLOT_TOP = 48
#: Of these, the candidates kept per lost byte, by a local test before the search
#: (:meth:`readings.Lattice.prune_slots`).
SLOT_KEEP = 12
WINDOW_TAIL = 3
MAX_RUN = 40
CONTEXT = 6

MIN_GAIN = 2.0
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


@lru_cache(maxsize=1)
def _t2s_char():
    import opencc

    conv = opencc.OpenCC("t2s")

    @lru_cache(maxsize=65536)
    def one(ch: str) -> str:
        return conv.convert(ch) if is_cjk(ch) else ch

    return one


def _simplified(chars) -> str:
    one = _t2s_char()
    return "".join(one(c) for c in chars)


@lru_cache(maxsize=1)
def _slot_tables():
    """(by_trail, by_lead): common characters (as GB18030 pairs) indexed by trail / lead byte,
    punctuation first, then by how much their Simplified form is used in words."""
    common = common_chars()
    by_trail: dict[int, list[str]] = {}
    by_lead: dict[int, list[str]] = {}
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                ch = bytes((lead, trail)).decode("gb18030")
            except UnicodeDecodeError:
                continue
            if ch in common or ch in CJK_PUNCT:
                by_trail.setdefault(trail, []).append(ch)
                by_lead.setdefault(lead, []).append(ch)

    def rank(chars: list[str]) -> list[str]:
        # By use in words, not as a word of its own (示 of 表示 would miss the cut).
        return sorted(chars, key=lambda c: (c not in CJK_PUNCT, -char_usage(_simplified(c))))[:SLOT_TOP]

    return ({k: rank(v) for k, v in by_trail.items()}, {k: rank(v) for k, v in by_lead.items()})


def _gbk2(ch: str) -> bytes | None:
    """The 2-byte GB18030 form of ``ch``, or None (ASCII, 4-byte, unencodable)."""
    try:
        b = ch.encode("gb18030")
    except UnicodeEncodeError:
        return None
    return b if len(b) == 2 else None


_YEAR_TAIL = re.compile(r"[09]\d\d(?:年|-\d|/\d|\.\d\d?[.月])")


def _swallowed_digit(text: str, j: int) -> tuple[int, float]:
    """The digit a lost byte swallowed before the number at ``text[j:]``, and its cost.

    1. The document itself: the same number written out elsewhere (``18C`` beside ``?8C``).
    2. A year (``?024年`` after a torn ``。``): ``20xx`` / ``19xx``.
    3. Otherwise Benford's law for a leading digit: ``1`` (a documented guess).
    """
    m = re.match(r"[0-9A-Za-z]+", text[j:])
    cont = m.group() if m else ""
    if len(cont) >= 2:
        seen = re.findall(rf"(?<![0-9A-Za-z])([1-9]){re.escape(cont)}(?![0-9A-Za-z])", text)
        if seen:
            counts = {d: seen.count(d) for d in set(seen)}
            return int(max(sorted(counts), key=counts.get)), 0.0
    if _YEAR_TAIL.match(text, j):
        return (2 if text[j] == "0" else 1), 0.0
    return 1, -math.log(math.log10(2))


def _options(text: str, i: int) -> list[tuple[tuple[int, ...], float, int, int]] | None:
    """Readings of ``text[i]``: (bytes with LOST markers, cost, lost count, swap count)."""
    ch = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if ch == "\ufffd" or ch == "?":
        digit_next = nxt.isdigit() and nxt.isascii()
        # The decoder gave up on the lost byte because of the byte after it: an ASCII byte
        # below 0x40 (a digit is swallowed with it), or an unmapped pair.  Before a visible
        # digit or a character whose byte could have been a trail, a lone loss is unlikely.
        alone = LOST_COST
        if digit_next:
            alone += 8.0
        elif nxt and not nxt.isspace() and not ("!" <= nxt <= "?"):
            alone += 6.0
        opts = [((LOST,), alone, 1, 0)]
        if ch == "?":
            opts += [((0x3F,), 0.0, 0, 0), ((0xA3, 0xBF), SWAP_COST, 0, 1)]
        if digit_next:
            digit, cost = _swallowed_digit(text, i + 1)
            opts.append(((LOST, 0x30 + digit), LOST_COST + cost, 1, 0))
        else:
            # A lost byte followed by a swapped full-width digit (A3 B0..B9), which the
            # decoder swallowed with it (。根 -> A1 '8' F9...).
            for d in range(10):
                opts.append(((LOST, 0xA3, 0xB0 + d), LOST_COST + SWAP_COST + 1.0, 1, 1))
        return opts
    if "!" <= ch <= "~":
        return [((ord(ch),), 0.0, 0, 0), ((0xA3, ord(ch) + 0x80), SWAP_COST, 0, 1)]
    b = _gbk2(ch)
    if b is None:
        return None
    opts = [((b[0], b[1]), 0.0, 0, 0)]
    if 0x40 <= b[1] <= 0x7E:
        # The trail byte may be a swapped pair: lead, then A3 (trail+0x80) (模型 -> 腜...).
        opts.append(((b[0], 0xA3, b[1] + 0x80), SWAP_COST, 0, 1))
    return opts


def _decode_step(pending, byte: int, by_trail, by_lead):
    """Feed one byte (or LOST) to a GB18030 decoder holding ``pending`` (None, LOST or a lead
    byte): ``(characters, slot, pending after)``, ``characters`` empty when none is read, its
    candidates for a lost byte (``slot``); None when the byte cannot decode in step."""
    if pending is None:
        if byte == LOST:
            return (), False, LOST
        if byte < 0x80:
            return (chr(byte),), False, None
        return (), False, byte
    if pending == LOST:
        # A lost byte in lead position: the decoder only gave up on it because its trail
        # was A3, swapped away; any other trail would have decoded fine.
        cands = by_trail.get(byte, ()) if byte == 0xA3 else ()
        return (cands, True, None) if cands else None
    if byte == LOST:
        cands = by_lead.get(pending, ())
        return (cands, True, None) if cands else None
    ch = _pair(pending, byte)
    return None if ch is None else ((ch,), False, None)


@lru_cache(maxsize=65536)
def _pair(lead: int, trail: int) -> str | None:
    """The character of a GB18030 byte pair, or None."""
    if trail < 0x40 or trail == 0x7F or trail == 0xFF:
        return None
    try:
        return bytes((lead, trail)).decode("gb18030")
    except UnicodeDecodeError:
        return None


@lru_cache(maxsize=2)
def _foreign_test(traditional: bool):
    """A test for characters of the other script than the text's: Simplified-only characters
    (which ``s2t`` changes) in Traditional text, Traditional-only ones (``t2s`` changes) in
    Simplified text."""
    import opencc

    conv = opencc.OpenCC("s2t" if traditional else "t2s")

    @lru_cache(maxsize=65536)
    def foreign(ch: str) -> bool:
        return is_cjk(ch) and conv.convert(ch) != ch

    return foreign


def _window_lattice(text: str, start: int, end: int, left: str, right: str, foreign=None):
    """The readings of ``text[start:end]`` between ``left`` and ``right`` (intact context) as a
    lattice: ``(lattice, source, sink)``, or None when a character has no reading.

    Nodes are (position, decoder's pending byte) between characters, plus a node per byte
    inside a reading of several bytes (shared by the readings that start with the same bytes);
    the characters a lost byte may be are parallel edges, a byte that reads no character
    an edge without one."""
    by_trail, by_lead = _slot_tables()
    simplify = _t2s_char()
    lat = Lattice()
    source = lat.node((start - len(left), -1, 0))
    first = lat.chain(source, left, simplify, lambda k: (start - len(left) + k + 1, 0, 0))
    boundary = {(start, None): first}  # (position, pending) -> node
    for i in range(start, end):
        opts = _options(text, i)
        if opts is None:
            return None
        here = [(p, u) for (pos, p), u in boundary.items() if pos == i]
        if not here:
            return None
        for p, u in here:
            shared: dict[tuple, int] = {}  # bytes read so far -> node (readings share their start)
            for bseq, cost, lost, swaps in opts:
                steps, after = [], p
                for byte in bseq:
                    step = _decode_step(after, byte, by_trail, by_lead)
                    if step is None:
                        break
                    steps.append(step[:2])
                    after = step[2]
                else:
                    if (i + 1, after) not in boundary:
                        boundary[(i + 1, after)] = lat.node((i + 1, 0, len(lat.keys)))
                    cur = u
                    for k, (cands, slot) in enumerate(steps):
                        last = k == len(steps) - 1
                        if last:
                            nxt = boundary[(i + 1, after)]
                        elif bseq[:k + 1] in shared:
                            cur = shared[bseq[:k + 1]]
                            continue
                        else:
                            nxt = shared[bseq[:k + 1]] = lat.node((i, 1, len(lat.keys)))
                        # the reading's costs on its last edge, past what it shares
                        c, n_lost, n_swaps = (cost, lost, swaps) if last else (0.0, 0, 0)
                        if not cands:
                            lat.edge(cur, nxt, None, None, cost=c, lost=n_lost, swaps=n_swaps)
                        for ch in cands:
                            extra = SCRIPT_COST if foreign is not None and foreign(ch) else 0.0
                            lat.edge(cur, nxt, ch, simplify(ch), cost=c + extra, lost=n_lost, swaps=n_swaps,
                                     slot=slot)
                        cur = nxt
    last = boundary.get((end, None))
    if last is None:
        return None
    sink = lat.chain(last, right, simplify, lambda k: (end + 1 + k, 0, 0))
    lat.prune_slots(SLOT_KEEP)
    return lat, source, sink


def _literal_lattice(text: str, start: int, end: int, left: str, right: str):
    """The window read as it is, between the same context: one path (node keys as in
    :func:`_window_lattice`: the position in ``text`` first)."""
    simplify = _t2s_char()
    lat = Lattice()
    source = lat.node((start - len(left), -1, 0))
    last = lat.chain(source, left, simplify, lambda k: (start - len(left) + k + 1, 0, 0))
    for i in range(start, end):
        v = lat.node((i + 1, 0, 0))
        lat.edge(last, v, text[i], simplify(text[i]))
        last = v
    return lat, source, lat.chain(last, right, simplify, lambda k: (end + 1 + k, 0, 0))


#: More torn windows than this in one text, packed closer than one per MIN_CHARS_PER_WINDOW
#: characters: not the mirror's damage (binary junk, a wrong decoding) but noise, left alone.
#: A long torn article has one window per sentence or so (a torn 。 before each).
MAX_WINDOWS = 32
MIN_CHARS_PER_WINDOW = 12
#: At most this many windows searched in one text (a long article torn at every sentence has
#: about one per sentence).
MAX_SEARCHED = 96
#: After this many windows tried, stop when fewer than this share of them were tears.
PROBE_WINDOWS = 12
PROBE_MIN_SHARE = 0.25
#: Work allowed per text (word edges tried from a search state, both passes; ~8 µs each):
#: the torn articles of the bench need at most ~28,000 (a 30-paragraph article torn at every
#: sentence, the real nxos sample ~21,000); flipped bytes or noise that look like tears are
#: cut off here, at ~0.5 s, instead of ~25 s (bench/README).
TEXT_WORK = 60_000


class _Window:
    """One damaged window ``text[start:end]``: its readings (a lattice, built once) and the
    window read as it is, between the same context."""

    def __init__(self, text: str, start: int, end: int, foreign=None):
        self.start, self.end = start, end
        self.literal_text = text[start:end]
        left = text[max(0, start - CONTEXT):start]
        right = text[end:end + CONTEXT]
        before = text[text.rfind("\n", 0, start) + 1:max(0, start - CONTEXT)]
        self.quotes = max(0, before.count("“") - before.count("”"))
        self.readings = _window_lattice(text, start, end, left, right, foreign)
        self.literal = _literal_lattice(text, start, end, left, right)

    def read(self, budget: Budget | None = None, doc: DocumentWords | None = None) -> tuple | None:
        """The best reading as (new text, lost bytes, swaps, the position in the text each
        character was read from), or None (no reading, or none
        better than the text as it is); ``doc``: the words of the rest of the document.
        Raises :class:`BudgetExceeded` when ``budget`` runs out."""
        if self.readings is None:
            return None
        best = best_reading(*self.readings, open_quotes=self.quotes, budget=budget, doc=doc)
        if best is None:
            return None
        if best.text.translate(_FOLD) == self.literal_text.translate(_FOLD):
            return None  # only flattened punctuation: the full-width stage's job
        literal = best_reading(*self.literal, open_quotes=self.quotes, doc=doc)
        if literal is not None and best.score <= literal.score + MIN_GAIN:
            return None
        return best.text, best.lost, best.swaps, best.positions

    def depends_on(self, doc: DocumentWords) -> bool:
        """Whether ``doc`` changes any score here (a word of the document can be read through
        a lost byte; the window as it is has none)."""
        return self.readings is not None and doc_matters(*self.readings, doc)


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
    b = _gbk2(ch)
    return b is not None and 0x40 <= b[1] <= 0x7E


@lru_cache(maxsize=1)
def _candidate_re() -> re.Pattern:
    """``?``, U+FFFD, a private-use character or a rare swappable one (one character class,
    built once from the codec: the scan of clean text runs in the regex engine)."""
    rare = [cp for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)) for cp in range(lo, hi + 1)
            if _is_rare_swappable(chr(cp))]
    ranges = []
    for cp in rare:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    cls = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)
    return re.compile(f"[?\ufffd\ue000-\uf8ff{cls}]")


def _scan_triggers(text: str) -> list[int]:
    return [m.start() for m in _candidate_re().finditer(text) if _is_trigger(text, m.start())]


def has_tear_signs(text: str) -> bool:
    """Cheap pre-check: a ``?`` next to non-ASCII text, U+FFFD, a private-use character, or a
    rare character that may hide a swapped pair."""
    return bool(_scan_triggers(text))


#: Where a window stops: ASCII white space (U+3000, the full-width space A1 A1, may be part of
#: an out-of-step run: 市场。该 -> 谐\u30008).
_BREAK = frozenset(" \t\r\n\f\v")


def _in_step(text: str, j: int) -> bool:
    """Whether the text from ``j`` reads in step: a dictionary word among the next four
    characters (an out-of-step run is made of valid, even common, characters that form none:
    ``锌圃毫孔`` was ``中科院量``), or nothing more to read."""
    nxt = _simplified(text[j:j + 4])
    if len(nxt) < 2 or nxt[0] in _BREAK:
        return True
    return any(word_freq(nxt[k:k + 2]) >= WORD_MIN_FREQ for k in range(len(nxt) - 1))


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
        if _gbk2(ch) is None and not ("!" <= ch <= "~"):
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
    counts = {"lost_lead_byte": 0, "gbk_punct_swap": 0}
    triggers = _scan_triggers(text)
    if not triggers:
        return text, counts
    # Cluster triggers into windows on the same line.
    windows: list[tuple[int, int]] = []
    first = last = triggers[0]
    for t in triggers[1:]:
        if t - last <= 8 and "\n" not in text[last:t]:
            last = t
            continue
        windows.append((_window_start(text, first), _window_end(text, last)))
        first = last = t
    windows.append((_window_start(text, first), _window_end(text, last)))
    # A window reaching into the next one (its run took the next cluster's first trigger):
    # one window, read as a whole.
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    windows = merged
    if len(windows) > MAX_WINDOWS and len(text) < MIN_CHARS_PER_WINDOW * len(windows):
        # Not a torn mirror copy but noise (binary junk, a wrong decoding): the
        # search would cost seconds per window for nothing. Leftover private-use
        # characters are removed by the later stages.
        counts["tear_windows_skipped"] = len(windows)
        return text, counts
    budget = Budget(TEXT_WORK)
    foreign = _foreign_test(is_converted_traditional(text))
    read: dict[int, _Window] = {}
    readings: dict[int, tuple | None] = {}  # window -> its reading (None: as it is)
    for k, (start, end) in enumerate(windows):  # in order, and apart since the merge
        repaired = sum(1 for r in readings.values() if r is not None)
        if len(readings) >= MAX_SEARCHED or (len(readings) >= PROBE_WINDOWS
                                             and repaired < len(readings) * PROBE_MIN_SHARE):
            # The search budget is spent, or most windows so far read as no tear at all:
            # damage of another kind (flipped bytes, a wrong decoding), where the search
            # costs much and finds nothing.
            counts["tear_windows_skipped"] = counts.get("tear_windows_skipped", 0) + len(windows) - k
            break
        try:
            read[k] = _Window(text, start, end, foreign)
            readings[k] = read[k].read(budget)
        except BudgetExceeded:
            counts["tear_windows_skipped"] = counts.get("tear_windows_skipped", 0) + len(windows) - k
            break
    if any(r is not None for r in readings.values()):
        # Second pass: each window read again with the words of the rest of the document
        # as repaired (a name torn in one place and intact, or repaired, in another), where
        # they can change anything.
        joined, positions = _assemble(text, windows, readings)
        doc = DocumentWords(_simplified(joined), positions)
        for k in list(readings):
            if not read[k].depends_on(doc):
                continue
            try:
                readings[k] = read[k].read(budget, doc)
            except BudgetExceeded:
                break
    out, _ = _assemble(text, windows, readings)
    for r in readings.values():
        if r is not None:
            counts["lost_lead_byte"] += r[1]
            counts["gbk_punct_swap"] += r[2]
    return out, counts


def _assemble(text: str, windows: list[tuple[int, int]], readings: dict) -> tuple[str, list[int]]:
    """``text`` with the windows replaced by their readings, and the position in ``text`` each
    of its characters was read from."""
    out: list[str] = []
    positions: list[int] = []
    pos = 0
    for k, (start, end) in enumerate(windows):
        r = readings.get(k)
        out.append(text[pos:start])
        positions.extend(range(pos, start))
        if r is not None:
            out.append(r[0])
            positions.extend(r[3])
        else:
            out.append(text[start:end])
            positions.extend(range(start, end))
        pos = end
    out.append(text[pos:])
    positions.extend(range(pos, len(text)))
    return "".join(out), positions
