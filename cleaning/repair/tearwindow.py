"""The readings of one torn window of GBK text (:mod:`.gbktear`): every way its characters'
bytes can be read again (a swapped full-width pair, a lost byte, a swallowed digit), as a
lattice of candidate characters, and the best reading under the word model with the margin
of its choices (:class:`Window`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from .charsets import CJK_PUNCT, common_chars, is_cjk
from .params import CONTEXT, LOST_COST, MIN_GAIN, SCRIPT_COST, SLOT_KEEP, SLOT_TOP, SWAP_COST
from .lattice import Budget, DocumentWords, Fan, Lattice
from .readings import best_reading, doc_matters
from .wordmodel import char_usages

LOST = -1  # marker for a lost byte in a byte reading
FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

#: A reading of one character: (bytes with LOST markers, cost, lost count, swap count).
Option = tuple[tuple[int, ...], float, int, int]
#: A window's reading (:meth:`Window.read`): (new text, lost bytes, swaps, positions, margin).
WindowReading = tuple[str, int, int, tuple[int, ...], float]


@lru_cache(maxsize=1)
def _t2s() -> Any:  # Any: an opencc.OpenCC (opencc has no type information)
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def t2s_char() -> Callable[[str], str]:
    conv = _t2s()

    @lru_cache(maxsize=65536)
    def one(ch: str) -> str:
        return conv.convert(ch) if is_cjk(ch) else ch

    return one


def simplified(chars: Iterable[str]) -> str:
    one = t2s_char()
    return "".join(one(c) for c in chars)


def simplified_each(chars: Sequence[str]) -> list[str]:
    """``[simplified(c) for c in chars]`` (single characters), the Han ones converted by one call
    of OpenCC: joined by line breaks, which no entry of its dictionaries holds, so that no phrase
    spans two of them and each is converted as it is on its own (one by one, should the line
    breaks not come back one fewer than the characters)."""
    han = [c for c in chars if is_cjk(c)]
    parts = _t2s().convert("\n".join(han)).split("\n") if han else []
    if len(parts) != len(han):
        return [simplified(c) for c in chars]
    read = iter(parts)
    return [next(read) if is_cjk(c) else c for c in chars]


@lru_cache(maxsize=1)
def slot_tables() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """(by_trail, by_lead): common characters (as GB18030 pairs) indexed by trail / lead byte,
    punctuation first, then by how much their Simplified form is used in words.

    Found from the characters' side: each common character's 2-byte form (a few thousand
    encodes, not the 24,000 pairs decoded one by one; every pair of 81-FE x 40-FE but 7F decodes
    to one character whose form it is, so the two find the same pairs, which
    ``tests/test_tearwindow_slots.py`` checks against the decoding), in the pairs' order (lead,
    then trail), each character's rank computed once for both of its lists."""
    # Every common character is one GB18030 encodes (Han or CJK punctuation): its form, 2 bytes or 4.
    found = sorted((b, ch) for ch in common_chars() | frozenset(CJK_PUNCT) if len(b := ch.encode("gb18030")) == 2)
    by_trail: dict[int, list[str]] = {}
    by_lead: dict[int, list[str]] = {}
    for (lead, trail), ch in found:
        if 0x81 <= lead <= 0xFE and 0x40 <= trail <= 0xFE and trail != 0x7F:
            by_trail.setdefault(trail, []).append(ch)
            by_lead.setdefault(lead, []).append(ch)
    # By use in words, not as a word of its own (示 of 表示 would miss the cut).
    chars = [ch for _, ch in found]
    key = {ch: (ch not in CJK_PUNCT, -usage) for ch, usage in zip(chars, char_usages(simplified_each(chars)))}

    def rank(chars: list[str]) -> list[str]:
        return sorted(chars, key=key.__getitem__)[:SLOT_TOP]

    return ({k: rank(v) for k, v in by_trail.items()}, {k: rank(v) for k, v in by_lead.items()})


def gbk2(ch: str) -> bytes | None:
    """The 2-byte GB18030 form of ``ch``, or None (ASCII, 4-byte, unencodable)."""
    try:
        b = ch.encode("gb18030")
    except UnicodeEncodeError:
        return None
    return b if len(b) == 2 else None


def _swallowed_digit(text: str, j: int) -> int | None:
    """The digit a lost byte swallowed before the number at ``text[j:]``: the one the document
    itself writes before the same number elsewhere (``18C`` beside ``?8C``); None when it does
    not (a year's shape or Benford's law would be a guess, and the archive never guesses)."""
    m = re.match(r"[0-9A-Za-z]+", text[j:])
    cont = m.group() if m else ""
    if len(cont) >= 2:
        seen = re.findall(rf"(?<![0-9A-Za-z])([1-9]){re.escape(cont)}(?![0-9A-Za-z])", text)
        if seen:
            counts = {d: seen.count(d) for d in set(seen)}
            return int(max(sorted(counts), key=counts.__getitem__))
    return None


def _options(text: str, i: int) -> list[Option] | None:
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
        opts: list[Option] = [((LOST,), alone, 1, 0)]
        if ch == "?":
            opts += [((0x3F,), 0.0, 0, 0), ((0xA3, 0xBF), SWAP_COST, 0, 1)]
        if digit_next:
            digit = _swallowed_digit(text, i + 1)
            if digit is not None:
                opts.append(((LOST, 0x30 + digit), LOST_COST, 1, 0))
        else:
            # A lost byte followed by a swapped full-width digit (A3 B0..B9), which the
            # decoder swallowed with it (。根 -> A1 '8' F9...).
            for d in range(10):
                opts.append(((LOST, 0xA3, 0xB0 + d), LOST_COST + SWAP_COST + 1.0, 1, 1))
        return opts
    if "!" <= ch <= "~":
        return [((ord(ch),), 0.0, 0, 0), ((0xA3, ord(ch) + 0x80), SWAP_COST, 0, 1)]
    b = gbk2(ch)
    if b is None:
        return None
    opts = [((b[0], b[1]), 0.0, 0, 0)]
    if 0x40 <= b[1] <= 0x7E:
        # The trail byte may be a swapped pair: lead, then A3 (trail+0x80) (模型 -> 腜...).
        opts.append(((b[0], 0xA3, b[1] + 0x80), SWAP_COST, 0, 1))
    return opts


def _decode_step(
    pending: int | None, byte: int, by_trail: dict[int, list[str]], by_lead: dict[int, list[str]]
) -> tuple[Sequence[str], bool, int | None] | None:
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
def foreign_test(traditional: bool) -> Callable[[str], bool]:
    """A test for characters of the other script than the text's: Simplified-only characters
    (which ``s2t`` changes) in Traditional text, Traditional-only ones (``t2s`` changes) in
    Simplified text."""
    import opencc

    conv = opencc.OpenCC("s2t" if traditional else "t2s")

    @lru_cache(maxsize=65536)
    def foreign(ch: str) -> bool:
        return is_cjk(ch) and conv.convert(ch) != ch

    return foreign


def _read_as(cands: Sequence[str], foreign: Callable[[str], bool] | None) -> list[tuple[str, str, float]]:
    """Each candidate character with its Simplified form and its cost for the script (SCRIPT_COST
    when it is of the other script); computed once per candidate list of a lost byte (the lists
    of :func:`slot_tables`, which live as long as the process) or character, and script test."""
    key = (id(cands), foreign) if isinstance(cands, list) else (cands, foreign)
    known = _READ_AS.get(key)
    if known is not None:
        return known
    simplify = t2s_char()
    read = [(ch, simplify(ch), SCRIPT_COST if foreign is not None and foreign(ch) else 0.0) for ch in cands]
    if len(_READ_AS) >= _READ_AS_MAX:
        _READ_AS.clear()
        _read_lists.clear()
    if isinstance(cands, list):
        _read_lists.append(cands)  # kept alive: its id names it
    _READ_AS[key] = read
    return read


#: :func:`_read_as`'s answers, by candidate list (its id) or characters, and script test.
_READ_AS: dict[tuple[object, object], list[tuple[str, str, float]]] = {}
_READ_AS_MAX = 1 << 16
_read_lists: list[Sequence[str]] = []


def _window_lattice(
    text: str, start: int, end: int, left: str, right: str, foreign: Callable[[str], bool] | None = None
) -> tuple[Lattice, int, int] | None:
    """The readings of ``text[start:end]`` between ``left`` and ``right`` (intact context) as a
    lattice: ``(lattice, source, sink)``, or None when a character has no reading.

    Nodes are (position, decoder's pending byte) between characters, plus a node per byte
    inside a reading of several bytes (shared by the readings that start with the same bytes);
    the characters a lost byte may be are parallel edges, a byte that reads no character
    an edge without one."""
    by_trail, by_lead = slot_tables()
    simplify = t2s_char()
    lat = Lattice()
    out, keys = lat.out, lat.keys
    source = lat.node((start - len(left), -1, 0))
    first = lat.chain(source, left, simplify, lambda k: (start - len(left) + k + 1, 0, 0))
    here: dict[int | None, int] = {None: first}  # the nodes at position i, by the decoder's pending byte
    fans: dict[int, list[Fan]] = {}  # node -> the candidates of its lost bytes (slot edges to be)
    for i in range(start, end):
        opts = _options(text, i)
        if opts is None or not here:
            return None
        ahead: dict[int | None, int] = {}  # the same at i + 1
        for p, u in here.items():
            shared: dict[tuple[int, ...], int] = {}  # bytes read so far -> node (readings share their start)
            for bseq, cost, lost, swaps in opts:
                steps: list[tuple[Sequence[str], bool]]
                after: int | None
                steps, after = [], p
                for byte in bseq:
                    step = _decode_step(after, byte, by_trail, by_lead)
                    if step is None:
                        break
                    steps.append(step[:2])
                    after = step[2]
                else:
                    if after not in ahead:
                        ahead[after] = lat.node((i + 1, 0, len(keys)))
                    cur = u
                    for k, (cands, slot) in enumerate(steps):
                        last = k == len(steps) - 1
                        if last:
                            nxt = ahead[after]
                        elif bseq[: k + 1] in shared:
                            cur = shared[bseq[: k + 1]]
                            continue
                        else:
                            nxt = shared[bseq[: k + 1]] = lat.node((i, 1, len(keys)))
                        # the reading's costs on its last edge, past what it shares
                        c, n_lost, n_swaps = (cost, lost, swaps) if last else (0.0, 0, 0)
                        edges = out[cur]
                        if slot:  # made edges by the cut, which makes only those it keeps
                            fans.setdefault(cur, []).append(
                                (len(edges), nxt, _read_as(cands, foreign), c, n_lost, n_swaps)
                            )
                        else:
                            if not cands:
                                edges.append((nxt, None, None, c, n_lost, n_swaps, False, False))
                            for ch, simple, extra in _read_as(cands, foreign):
                                edges.append((nxt, ch, simple, c + extra, n_lost, n_swaps, False, False))
                        cur = nxt
        here = ahead
    end_node = here.get(None)
    if end_node is None:
        return None
    sink = lat.chain(end_node, right, simplify, lambda k: (end + 1 + k, 0, 0))
    lat.cut_fans(fans, SLOT_KEEP)
    return lat, source, sink


def _literal_lattice(text: str, start: int, end: int, left: str, right: str) -> tuple[Lattice, int, int]:
    """The window read as it is, between the same context: one path (node keys as in
    :func:`_window_lattice`: the position in ``text`` first)."""
    simplify = t2s_char()
    lat = Lattice()
    source = lat.node((start - len(left), -1, 0))
    last = lat.chain(source, left, simplify, lambda k: (start - len(left) + k + 1, 0, 0))
    for i in range(start, end):
        v = lat.node((i + 1, 0, 0))
        lat.edge(last, v, text[i], simplify(text[i]))
        last = v
    return lat, source, lat.chain(last, right, simplify, lambda k: (end + 1 + k, 0, 0))


#: First readings of windows already read (without the document's words), by what decides them:
#: (context and window text, open quotes, the script test) -> (reading with positions relative to
#: the window's start, work it cost). A mirror repeats its torn lines (the same chrome, the same
#: article in several copies); reading one again costs the budget what it cost the first time,
#: so that a text is repaired alike whatever was read before it.
_FIRST_READS: dict[tuple[object, ...], tuple[WindowReading | None, int]] = {}
FIRST_READS_MAX = 4096


class Window:
    """One damaged window ``text[start:end]``: its readings (a lattice, built once, when first
    needed) and the window read as it is, between the same context."""

    def __init__(self, text: str, start: int, end: int, foreign: Callable[[str], bool] | None = None) -> None:
        self.start, self.end = start, end
        self.literal_text = text[start:end]
        left = text[max(0, start - CONTEXT) : start]
        right = text[end : end + CONTEXT]
        before = text[text.rfind("\n", 0, start) + 1 : max(0, start - CONTEXT)]
        self.quotes = max(0, before.count("“") - before.count("”"))
        self._text, self._left, self._right, self._foreign = text, left, right, foreign
        self._key = (left, self.literal_text, right, self.quotes, foreign)
        self._readings: tuple[Lattice, int, int] | None | bool = False  # False: not built yet
        self._literal: tuple[Lattice, int, int] | None = None

    @property
    def readings(self) -> tuple[Lattice, int, int] | None:
        if self._readings is False:
            self._readings = _window_lattice(self._text, self.start, self.end, self._left, self._right, self._foreign)
        return self._readings  # type: ignore[return-value]

    @property
    def literal(self) -> tuple[Lattice, int, int]:
        if self._literal is None:
            self._literal = _literal_lattice(self._text, self.start, self.end, self._left, self._right)
        return self._literal

    def read(self, budget: Budget | None = None, doc: DocumentWords | None = None) -> WindowReading | None:
        """The best reading as (new text, lost bytes, swaps, the position in the text each
        character was read from, the margin of the characters chosen for lost bytes over the
        best reading without one of them: infinite when the bytes allow no other), or None (no
        reading, or none better than the text as it is); ``doc``: the words of the rest of the
        document. A first reading (no ``doc``) of a window read before is taken from
        :data:`_FIRST_READS`, its work charged to ``budget`` again.
        Raises :class:`BudgetExceeded` when ``budget`` runs out."""
        if doc is not None or budget is None:
            return self._read(budget, doc)
        known = _FIRST_READS.get(self._key)
        if known is not None:
            reading, work = known
            budget.spend(work)
            if reading is None:
                return None
            return reading[:3] + (tuple(p + self.start for p in reading[3]),) + reading[4:]
        before = budget.spent
        reading = self._read(budget, None)
        if len(_FIRST_READS) >= FIRST_READS_MAX:
            _FIRST_READS.clear()
        relative = None if reading is None else reading[:3] + (tuple(p - self.start for p in reading[3]),) + reading[4:]
        _FIRST_READS[self._key] = (relative, budget.spent - before)
        return reading

    def _read(self, budget: Budget | None, doc: DocumentWords | None) -> WindowReading | None:
        if self.readings is None:
            return None
        best = best_reading(*self.readings, open_quotes=self.quotes, budget=budget, doc=doc)
        if best is None:
            return None
        if best.text.translate(FOLD) == self.literal_text.translate(FOLD):
            return None  # only flattened punctuation: the full-width stage's job
        literal = best_reading(*self.literal, open_quotes=self.quotes, doc=doc)
        if literal is not None and best.score <= literal.score + MIN_GAIN:
            return None
        margin = math.inf  # over the best reading without one of the characters chosen for lost bytes
        for edge in best.slot_edges:
            alt = best_reading(
                *self.readings, open_quotes=self.quotes, budget=budget, doc=doc, exclude=frozenset((edge,))
            )
            if alt is not None:
                margin = min(margin, best.score - alt.score)
        return best.text, best.lost, best.swaps, best.positions, margin

    def depends_on(self, doc: DocumentWords) -> bool:
        """Whether ``doc`` changes any score here (a word of the document can be read through
        a lost byte; the window as it is has none)."""
        return self.readings is not None and doc_matters(*self.readings, doc)
