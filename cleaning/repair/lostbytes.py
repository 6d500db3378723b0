"""UTF-8 that lost bytes when it was read as cp1252, read again (the run repair of :mod:`.mojibake`).

cp1252 has five undefined bytes (81 8D 8F 90 9D) that a decoder drops; a multi-byte sequence
that is one or two continuation bytes short gets them back. Where only one candidate decodes,
the bytes decide; where several do, the word model chooses (the candidates' use in jieba's
dictionary and the words they form with their neighbours, :func:`choose`), and its choice is
kept only when it beats the next candidate by :data:`params.MOJIBAKE_MODEL_MARGIN` (measured:
``python -m bench.margins``); below it the run stays as it was, counted ``unrepaired``. A space
where a continuation byte is due was a NBSP (A0) that became a plain space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, product

from .charsets import CJK_PUNCT, common_chars, is_cjk
from .params import COMMON_CHAR_BONUS, COMMON_USAGE, MAX_PAIRS, RARE_CHAR_COST, SEEN_MAX, SEEN_WEIGHT, SPACED_COST, SURE
from .plausible import COMMON_SYMBOLS

CP1252_HIGH: dict[str, int] = {}
for _b in range(0x80, 0xA0):
    try:
        CP1252_HIGH[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        pass
#: cp1252's undefined bytes: what a decoder that drops them loses.
LOST_BYTES = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_SPACE = 0x20
_NBSP = 0xA0


@dataclass
class Doc:
    """What the run repair knows of the document: whether it is ``damaged`` (:func:`mojibake._fix_run`);
    ``seen``, a cache of the characters chosen beyond doubt for lost bytes in it, with how often
    (历史 settles 史 for 摄影史 further on, where 岁 fits as well); the line being read (``line``),
    the model's choices kept per line (``model``: line -> [(character, margin)]), and characters
    left as they were because the model's choice was below the margin (``unrepaired``)."""

    damaged: bool = False
    seen: dict[str, int] = field(default_factory=dict)
    line: int = 0
    model: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    unrepaired: int = 0


_SYMBOL_BLOCKS = (
    ("\u00a1", "\u00bf"),
    ("\u2000", "\u2bff"),
    ("\u3000", "\u303f"),
    ("\uff00", "\uffef"),
    ("\u0391", "\u03c9"),
    ("\U0001f000", "\U0001faff"),
)


@lru_cache(maxsize=1)
def ok_set() -> frozenset[str]:
    return frozenset(common_chars()) | frozenset(CJK_PUNCT) | frozenset(COMMON_SYMBOLS) | frozenset("\u3000")


def ok_char(ch: str) -> bool:
    """A Han character in common use, or CJK punctuation / a common symbol."""
    if ch in ok_set():
        return True
    if is_cjk(ch):
        from .wordmodel import char_usage

        return char_usage(ch) >= COMMON_USAGE
    return False


def symbol_or_text(ch: str, *, latin: bool = False) -> bool:
    """A character a repaired text may hold: ASCII, a common Han character, punctuation and
    symbols (general punctuation, arrows, maths, box drawing, CJK and full-width forms), and
    with ``latin`` accented Latin letters."""
    if ch.isascii() or ok_char(ch):
        return True
    if latin and ("\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"):
        return True
    return any(lo <= ch <= hi for lo, hi in _SYMBOL_BLOCKS)


def to_bytes(run: str) -> list[int] | None:
    out = []
    for ch in run:
        o = ord(ch)
        if o < 0x100:
            out.append(o)
        elif ch in CP1252_HIGH:
            out.append(CP1252_HIGH[ch])
        else:
            return None
    return out


def need_of(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    if 0xF0 <= lead <= 0xF4:
        return 3
    return -1


def is_cont(b: int) -> bool:
    return 0x80 <= b <= 0xBF


def _seen_bonus(ch: str, seen: dict[str, int], total: int) -> float:
    """What the document's cache says of ``ch``: ``SEEN_WEIGHT`` times the log of how much more
    often it was chosen beyond doubt than its use in the dictionary's words would have it,
    between 0 and ``SEEN_MAX`` (a character common everywhere gains nothing from being common
    here too)."""
    n = seen.get(ch, 0)
    if not n:
        return 0.0
    from .wordmodel import char_usage, total_usage

    expected = total * char_usage(ch) / total_usage()
    return min(SEEN_MAX, max(0.0, SEEN_WEIGHT * math.log((n + 1) / (expected + 1))))


@lru_cache(maxsize=65536)
def _text_score(text: str) -> float:
    """:func:`wordmodel.text_logprob` with the wide vocabulary, cached: the second pass of
    :func:`decode_lenient_utf8` scores the same strings wherever the neighbours stayed."""
    from .wordmodel import text_logprob

    return text_logprob(text, wide=True)


def choose(
    options: list[list[str]], left: str, right: str, seen: dict[str, int] | None = None
) -> tuple[tuple[str, ...], float]:
    """One candidate of each list of ``options`` (adjacent guessed characters), chosen together:
    the ones that make the likeliest text with their neighbours (the best segmentation of
    ``left + chosen + right`` into words and names, :func:`_text_score`), common characters
    preferred. A candidate may end in a space
    (a real space after it, :func:`decode_lenient_utf8`), which is left out of the text scored
    (the same length whichever is chosen) and costs ``SPACED_COST``. ``seen``: the document's
    cache (:class:`Doc`), characters chosen beyond doubt elsewhere in it, which weigh up to
    ``SEEN_MAX``. The choice, and by how much it beat the next best."""
    ok = ok_set()

    seen = seen or {}
    total = sum(seen.values())

    def score(chosen: tuple[str, ...]) -> float:
        return _text_score(left + "".join(c[0] for c in chosen) + right) + sum(
            (COMMON_CHAR_BONUS if c[0] in ok else -RARE_CHAR_COST)
            - (SPACED_COST if len(c) > 1 else 0.0)
            + _seen_bonus(c[0], seen, total)
            for c in chosen
        )

    scored = sorted(((score(c), c) for c in product(*options)), reverse=True)
    return scored[0][1], (scored[0][0] - scored[1][0] if len(scored) > 1 else math.inf)


def candidates(lead: int, conts: list[int], need: int) -> list[str]:
    """Characters ``lead + conts`` may have been, with ``need - len(conts)`` lost bytes put back
    (at any of the continuation slots)."""
    missing = need - len(conts)
    out = []
    for slots in combinations(range(need), missing):
        for fill in product(LOST_BYTES, repeat=missing):
            present, lost = iter(conts), iter(fill)
            seq = [next(lost) if k in slots else next(present) for k in range(need)]
            try:
                out.append(bytes([lead, *seq]).decode("utf-8"))
            except UnicodeDecodeError:
                pass
    return list(dict.fromkeys(out))


def decode_lenient_utf8(
    data: list[int], before: str = "", after: str = "", seen: dict[str, int] | None = None
) -> Lenient | None:
    """UTF-8 with lost bytes and NBSP-as-space put back (:class:`Lenient`), or None; ``seen``:
    the document's cache (:func:`choose`)."""
    out: list[str] = []
    guesses: list[tuple[int, list[str]]] = []
    spans: dict[int, tuple[int, int]] = {}  # position in ``out`` of a guess -> the bytes it was read from
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        need = need_of(b)
        if need < 0:
            return None
        conts: list[int] = []
        j = i + 1
        while len(conts) < need and j < n and (is_cont(data[j]) or data[j] == _SPACE):
            conts.append(_NBSP if data[j] == _SPACE else data[j])  # a NBSP that became a space
            j += 1
        if len(conts) == need:
            try:
                whole = bytes([b, *conts]).decode("utf-8")
            except UnicodeDecodeError:
                whole = None
            # a space as the last byte may have been a NBSP, or a real space after a character
            # whose byte was lost (着 timeout: E7 80 and a space also read 瀠): both are weighed
            spaced = (
                [c + " " for c in candidates(b, conts[:-1], need)]
                if data[j - 1] == _SPACE and need - len(conts) < 2
                else []
            )
            if not spaced:
                if whole is None:
                    return None
                out.append(whole)
                i = j
                continue
            cands = ([whole] if whole is not None else []) + spaced
            spans[len(out)] = (i, j)
            guesses.append((len(out), cands))
            out.append(cands[0])
            i = j
            continue
        if need - len(conts) > 2:
            return None
        cands = candidates(b, conts, need)
        if not cands:
            return None
        spans[len(out)] = (i, j)
        guesses.append((len(out), cands))
        out.append(cands[0])
        i = j
    sure: list[str] = []
    choices: list[tuple[str, float]] = []  # the final pass's choices: (characters, margin)
    margins: dict[int, float] = {}
    for last in (False, True):  # choose each lost byte with its neighbours known
        k = 0
        while k < len(guesses):
            pos, cands = guesses[k]
            left = (before + "".join(out[max(0, pos - 4) : pos]))[-4:]
            if (
                k + 1 < len(guesses)
                and guesses[k + 1][0] == pos + 1
                and len(cands) * len(guesses[k + 1][1]) <= MAX_PAIRS
            ):
                # two guessed characters side by side (反叛 with three bytes lost): chosen together,
                # since each alone is judged beside a wrong neighbour
                right = ("".join(out[pos + 2 : pos + 6]) + after)[:4]
                (out[pos], out[pos + 1]), margin = choose([cands, guesses[k + 1][1]], left, right, seen)
                if last:
                    choices.append((out[pos][0] + out[pos + 1][0], margin))
                    margins[pos] = margins[pos + 1] = margin
                    if margin >= SURE:
                        sure += [out[pos][0], out[pos + 1][0]]
                k += 2
                continue
            right = ("".join(out[pos + 1 : pos + 5]) + after)[:4]
            (out[pos],), margin = choose([cands], left, right, seen)
            if last:
                choices.append((out[pos][0], margin))
                margins[pos] = margin
                if margin >= SURE:
                    sure.append(out[pos][0])
            k += 1
    return Lenient("".join(out), len(guesses), sure, choices, out, {p: (*spans[p], m) for p, m in margins.items()})


@dataclass
class Lenient:
    """A run read as UTF-8 with its lost bytes put back (:func:`decode_lenient_utf8`)."""

    text: str
    guessed: int  # characters with a lost byte (or a NBSP) put back
    sure: list[str]  # those chosen beyond doubt (:data:`params.SURE`)
    choices: list[tuple[str, float]]  # the model's choices: (characters, margin; infinite: one candidate)
    parts: list[str]  # the text, one decoded character (or a character and a real space) per item
    spans: dict[int, tuple[int, int, float]]  # item of ``parts`` -> (first byte, end byte, margin) of a guess

    def keep_unsure(self, run: str) -> tuple[str, list[tuple[str, float]], int]:
        """The text with every guess below :data:`params.MOJIBAKE_MODEL_MARGIN` (read at call time,
        so that ``bench.margins`` can measure every margin) left as it was in ``run`` (its
        characters, one per byte); the choices kept; how many were left."""
        from . import params

        low = {p for p, (_, _, m) in self.spans.items() if m < params.MOJIBAKE_MODEL_MARGIN}
        if not low:
            return self.text, self.choices, 0
        parts = [run[self.spans[k][0] : self.spans[k][1]] if k in low else part for k, part in enumerate(self.parts)]
        kept = [(c, m) for c, m in self.choices if m >= params.MOJIBAKE_MODEL_MARGIN]
        return "".join(parts), kept, len(low)
