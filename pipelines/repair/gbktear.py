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
character to its GB18030 bytes, and search (a beam search) over the readings of the ambiguous
characters:

* ASCII ``!``..``~``: itself, or a swapped full-width pair ``A3 (c+0x80)``;
* ``?``: itself, a swapped ``？``, or one lost byte (optionally followed by a swallowed digit);
* U+FFFD: one lost byte.

Each reading must decode in step as GB18030.  A lost byte is chosen among the bytes that make
a common character with its neighbour byte; readings are scored with jieba's word
frequencies over the Simplified form of the window and its context (so ``?;`` becomes
``模`` in ``規模化``; a chosen character that makes a word with a neighbour, or a ``。``
between a word that ends and one that starts, earns a bonus), with small costs per lost byte
and per swap.  A swallowed digit that starts a number is taken from the same number written
out elsewhere in the text, else from the shape of a year (``?024年`` -> ``2024年``), else by
Benford's law (``1``) — a documented guess.  A window is only rewritten when the best reading uses a lost byte (the flattened-punctuation case, a ``?``
between two intact characters, is left to the full-width stage).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from .charsets import CJK_PUNCT, common_chars, is_cjk, is_pua
from .wordfreq import char_usage, text_logprob, word_freq

LOST = -1  # marker for a lost byte in a byte reading
LOST_COST = 3.0
SWAP_COST = 1.0
BEAM = 48
SLOT_TOP = 48
WINDOW_TAIL = 3
MAX_RUN = 40
CONTEXT = 6

MIN_GAIN = 2.0
WORD_BONUS = 3.0
WORD_MIN_FREQ = 20
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


class _State:
    __slots__ = ("chars", "pending", "cost", "lost", "swaps", "slots")

    def __init__(self, chars, pending, cost, lost, swaps, slots=()):
        self.chars, self.pending, self.cost, self.lost, self.swaps = chars, pending, cost, lost, swaps
        self.slots = slots  # indexes in ``chars`` of characters chosen for a lost byte


def _feed(state: _State, byte: int, by_trail, by_lead) -> list[_State]:
    p = state.pending
    sl = state.slots
    if p is None:
        if byte == LOST:
            return [_State(state.chars, LOST, state.cost, state.lost, state.swaps, sl)]
        if byte < 0x80:
            return [_State(state.chars + (chr(byte),), None, state.cost, state.lost, state.swaps, sl)]
        return [_State(state.chars, byte, state.cost, state.lost, state.swaps, sl)]
    if p == LOST:
        # A lost byte in lead position: the decoder only gave up on it because its trail
        # was A3, swapped away; any other trail would have decoded fine.
        if byte != 0xA3:
            return []
        cands = by_trail.get(byte, ())
    elif byte == LOST:
        cands = by_lead.get(p, ())
    else:
        if byte < 0x40 or byte == 0x7F or byte == 0xFF:
            return []
        try:
            ch = bytes((p, byte)).decode("gb18030")
        except UnicodeDecodeError:
            return []
        return [_State(state.chars + (ch,), None, state.cost, state.lost, state.swaps, sl)]
    sl = sl + (len(state.chars),)
    return [_State(state.chars + (c,), None, state.cost, state.lost, state.swaps, sl) for c in cands]


def _clause_boundary(text: str, i: int) -> bool:
    """Whether a 。 at ``text[i]`` closes a clause: a word (or a number, a closing mark) ends
    right before it and a word starts right after it."""
    if i < 1 or i + 2 > len(text):
        return False
    before = text[i - 1]
    ends = (before.isdigit() or before in "%”’）》"
            or any(word_freq(text[a:i]) >= WORD_MIN_FREQ for a in (i - 2, i - 3) if a >= 0))
    starts = text[i + 1] in "“‘（《" or any(word_freq(text[i + 1:b]) >= WORD_MIN_FREQ
                                           for b in (i + 3, i + 4) if b <= len(text))
    return ends and starts


def _word_bonus(left: str, chars, right: str, slots) -> float:
    """WORD_BONUS per chosen character that makes a dictionary word with a neighbour."""
    if not slots:
        return 0.0
    text = _simplified(left) + _simplified(chars) + _simplified(right)
    bonus = 0.0
    for k in slots:
        i = len(left) + k
        if text[i] == "。" and _clause_boundary(text, i):
            bonus += WORD_BONUS
            continue
        for a, b in ((i - 1, i + 1), (i, i + 2), (i - 2, i + 1), (i, i + 3)):
            if a >= 0 and b <= len(text) and word_freq(text[a:b]) >= WORD_MIN_FREQ:
                bonus += WORD_BONUS
                break
    return bonus


def _score(left: str, chars, right: str, cost: float, cache: dict, quotes: int = 0, slots=()) -> float:
    key = (chars, right)
    s = cache.get(key)
    if s is None:
        s = text_logprob(_simplified(left) + _simplified(chars) + _simplified(right), quotes)
        s += _word_bonus(left, chars, right, slots)
        cache[key] = s
    return s - cost


#: More torn windows than this in one text, packed closer than one per MIN_CHARS_PER_WINDOW
#: characters: not the mirror's damage (binary junk, a wrong decoding) but noise, left alone.
#: A long torn article has one window per sentence or so (a torn 。 before each).
MAX_WINDOWS = 32
MIN_CHARS_PER_WINDOW = 12
#: At most this many windows searched in one text (a long article torn at every sentence has
#: about one per sentence); the search costs ~0.1 s a window.
MAX_SEARCHED = 96
#: After this many windows tried, stop when fewer than this share of them were tears.
PROBE_WINDOWS = 12
PROBE_MIN_SHARE = 0.25

#: States kept by the cheap local score before the full scoring of a beam step.
PRESELECT = 4 * BEAM


def _local_logprob(tail: str, chars) -> float:
    return text_logprob(tail + _simplified(chars[-3:]))


def _repair_window(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """Best reading of ``text[start:end]`` as (new text, lost bytes, swaps), or None."""
    by_trail, by_lead = _slot_tables()
    left = text[max(0, start - CONTEXT):start]
    before = text[text.rfind("\n", 0, start) + 1:max(0, start - CONTEXT)]
    quotes = max(0, before.count("“") - before.count("”"))
    states = [_State((), None, 0.0, 0, 0)]
    cache: dict = {}
    for i in range(start, end):
        opts = _options(text, i)
        if opts is None:
            return None
        nxt: list[_State] = []
        for st in states:
            for bseq, cost, lost, swaps in opts:
                cur = [_State(st.chars, st.pending, st.cost + cost, st.lost + lost, st.swaps + swaps, st.slots)]
                for byte in bseq:
                    cur = [n for s in cur for n in _feed(s, byte, by_trail, by_lead)]
                    if not cur:
                        break
                nxt.extend(cur)
        if not nxt:
            return None
        if len(nxt) > PRESELECT:
            # Cheap first cut on the last few characters only, before the costly full scoring.
            tail = _simplified(left[-2:])
            nxt.sort(key=lambda s: s.cost - _local_logprob(tail, s.chars))
            del nxt[PRESELECT:]
        # Rank: completed states by score; a pending byte is charged a neutral cost.
        nxt.sort(key=lambda s: -(_score(left, s.chars, "", s.cost, cache, quotes, s.slots) + (-6.0 if s.pending is not None else 0.0)))
        states = nxt[:BEAM]
    right = text[end:end + CONTEXT]
    done = [s for s in states if s.pending is None]
    if not done:
        return None
    best = max(done, key=lambda s: _score(left, s.chars, right, s.cost, cache, quotes, s.slots))
    new = "".join(best.chars)
    if new.translate(_FOLD) == text[start:end].translate(_FOLD):
        return None  # only flattened punctuation: the full-width stage's job
    literal = _score(left, tuple(text[start:end]), right, 0.0, cache, quotes)
    if _score(left, best.chars, right, best.cost, cache, quotes, best.slots) <= literal + MIN_GAIN:
        return None
    return new, best.lost, best.swaps


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


@lru_cache(maxsize=8192)
def _is_rare_swappable(ch: str) -> bool:
    """A CJK character outside the common set whose GB18030 trail byte is 40..7E: possibly a
    torn character's lead byte followed by a swapped full-width pair (模型 -> 腜...)."""
    if not is_cjk(ch) or ch in common_chars():
        return False
    b = _gbk2(ch)
    return b is not None and 0x40 <= b[1] <= 0x7E


def _scan_triggers(text: str) -> list[int]:
    out = []
    for i, ch in enumerate(text):
        if ch == "?" or ch == "\ufffd" or is_pua(ch) or (ch > "\u33ff" and _is_rare_swappable(ch)):
            if _is_trigger(text, i):
                out.append(i)
    return out


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
    out: list[str] = []
    pos = 0
    tried = repaired = 0
    for start, end in windows:  # in order, and apart since the merge
        if tried >= MAX_SEARCHED or (tried >= PROBE_WINDOWS and repaired < tried * PROBE_MIN_SHARE):
            # The search budget is spent, or most windows so far read as no tear at all:
            # damage of another kind (flipped bytes, a wrong decoding), where the search
            # costs much and finds nothing.
            counts["tear_windows_skipped"] = counts.get("tear_windows_skipped", 0) + 1
            continue
        tried += 1
        fixed = _repair_window(text, start, end)
        if fixed is None:
            continue
        repaired += 1
        new, lost, swaps = fixed
        out.append(text[pos:start])
        out.append(new)
        pos = end
        counts["lost_lead_byte"] += lost
        counts["gbk_punct_swap"] += swaps
    out.append(text[pos:])
    return "".join(out), counts
