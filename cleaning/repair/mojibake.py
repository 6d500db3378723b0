"""Undo mojibake: UTF-8 / GBK / Big5 bytes that were decoded as Latin-1 or cp1252.

Two passes, repeated while they change something (two layers of damage come undone):

1. **ftfy** (``fix_text`` with only its encoding fixes on: no width, quote, ligature,
   line-break or normalisation fixes, so Chinese punctuation is never flattened, and no
   ``replace_lossy_sequences``, so lost bytes stay recoverable by the next pass). It undoes
   UTF-8 read as cp1252/Latin-1 wherever the damage is complete, whole documents included.
2. **Our own run repair**, for what ftfy cannot do. Runs of Latin-1/cp1252 high characters
   (C1 controls included, with ASCII letters and single spaces allowed between them) are
   turned back into bytes and read again:

   * as **UTF-8 with lost bytes**: cp1252 has five undefined bytes (81 8D 8F 90 9D) that a
     decoder drops; a multi-byte sequence that is one or two continuation bytes short gets
     them back, choosing among the five by the candidate characters' use in jieba's
     dictionary and the words they form with their neighbours; a space where a
     continuation byte is due was a NBSP (A0) that became a plain space;
   * as **GB18030 or Big5** (strictly), when every character read is common.

   A reading is taken only when it is plausible: every non-ASCII character it gives is a
   common Han character, CJK punctuation or a common symbol; a run glued to a Latin word
   that gives at most two characters must also form a dictionary word. So clean text —
   ``Beyoncé……`` (``é……`` is valid UTF-8 for the rare 酅), ``“NESTLÉ”`` (``É”`` reads ɔ) —
   is never changed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, product

from .charsets import CJK_PUNCT, CJK_RANGES, common_chars, is_cjk
from .plausible import COMMON_SYMBOLS

_CP1252_HIGH: dict[str, int] = {}
for _b in range(0x80, 0xA0):
    try:
        _CP1252_HIGH[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        pass
_HIGH_CLASS = "\u0080-\u00ff" + "".join(re.escape(c) for c in _CP1252_HIGH)
_RUN_RE = re.compile(f"[{_HIGH_CLASS}]+(?:[\u0020\u0040-\u007e][{_HIGH_CLASS}]+)*[\u0020\u0040-\u007e]?")
_PRECHECK_RE = re.compile(f"[{_HIGH_CLASS}]")
#: cp1252's undefined bytes: what a decoder that drops them loses.
LOST_BYTES = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_SPACE = 0x20
_NBSP = 0xA0
_MAX_LAYERS = 3
#: A document with this many lines fixed by ftfy is damaged (:func:`_repair_layer`).
_DAMAGED = 3


@lru_cache(maxsize=1)
def _ftfy_config():
    from ftfy import TextFixerConfig

    return TextFixerConfig(unescape_html=False, remove_terminal_escapes=False, fix_encoding=True,
                           restore_byte_a0=True, replace_lossy_sequences=False, decode_inconsistent_utf8=True,
                           fix_c1_controls=False, fix_latin_ligatures=False, fix_character_width=False,
                           uncurl_quotes=False, fix_line_breaks=False, fix_surrogates=False,
                           remove_control_chars=False, normalization=None, explain=False)


@dataclass
class _Doc:
    """What the run repair knows of the document: whether it is ``damaged`` (:func:`_fix_run`),
    and ``seen``, a cache of the characters chosen beyond doubt for lost bytes in it, with how
    often (历史 settles 史 for 摄影史 further on, where 岁 fits as well)."""

    damaged: bool = False
    seen: dict[str, int] = field(default_factory=dict)


def _ftfy_line(line: str, cfg) -> str | None:
    """ftfy's fix of ``line``, when it changes something and every character it introduced is
    one a real text would hold (:func:`_symbol_or_text`); else None."""
    import ftfy

    fixed = ftfy.fix_text(line, cfg)
    if fixed != line and _reading_ok("".join(set(fixed) - set(line)) or fixed, False, latin=True):
        return fixed
    return None


def _repair_layer(text: str, seen: dict[str, int]) -> tuple[str, int]:
    """One layer of damage undone, line by line, and how many lines (ftfy) or runs were fixed.

    ftfy's fix of a line is kept when it is plausible (:func:`_ftfy_line`); the other lines go
    to the run repair (:func:`_repair_runs`). A fix that leaves mojibake in the line (bytes
    were lost, and ftfy undid only what it could read whole) gives way to the run repair of
    the line as it was, when that repairs anything: ftfy's partial fix turns ``â€”`` back into
    ``—`` beside a run that is one byte short, or reads the start of the next character as the
    lost byte (``é‡æ¡ˆ`` as ``釿¡ˆ``), so that the run repair would see broken runs; ftfy then
    fixes what the run repair left (``Jógaã€‹``, glued to a Latin word). A line is read once
    per layer: what a repair gave (``José—``) is not taken for mojibake again.

    When ftfy changes ``_DAMAGED`` lines or more, the document is damaged, which lets short
    runs be repaired where their neighbours say nothing (:func:`_fix_run`)."""
    cfg = _ftfy_config()
    lines = text.split("\n")
    todo = [i for i, line in enumerate(lines) if _PRECHECK_RE.search(line)]
    fixes = {}
    for i in todo:
        fixed = _ftfy_line(lines[i], cfg)
        if fixed is not None:
            fixes[i] = fixed
    doc = _Doc(len(fixes) >= _DAMAGED, seen)
    count = 0
    for i in todo:
        line, fixed = lines[i], fixes.get(i)
        if fixed is None:
            lines[i], n = _repair_runs(line, doc)
            count += n
            continue
        if _RUN_RE.search(fixed):
            raw, n_raw = _repair_runs(line, doc)
            fixed = (_ftfy_line(raw, cfg) or raw) if n_raw else _repair_runs(fixed, doc)[0]
        lines[i] = fixed
        count += 1
    return ("\n".join(lines), count) if count else (text, 0)


_SYMBOL_BLOCKS = (("\u00a1", "\u00bf"), ("\u2000", "\u2bff"), ("\u3000", "\u303f"), ("\uff00", "\uffef"),
                  ("\u0391", "\u03c9"), ("\U0001f000", "\U0001faff"))


@lru_cache(maxsize=1)
def _ok_set() -> frozenset[str]:
    return frozenset(common_chars()) | frozenset(CJK_PUNCT) | frozenset(COMMON_SYMBOLS) | frozenset("\u3000")


def _ok_char(ch: str) -> bool:
    """A Han character in common use, or CJK punctuation / a common symbol."""
    if ch in _ok_set():
        return True
    if is_cjk(ch):
        from .wordmodel import char_usage

        return char_usage(ch) >= 2000
    return False


def _symbol_or_text(ch: str, *, latin: bool = False) -> bool:
    """A character a repaired text may hold: ASCII, a common Han character, punctuation and
    symbols (general punctuation, arrows, maths, box drawing, CJK and full-width forms), and
    with ``latin`` accented Latin letters."""
    if ch.isascii() or _ok_char(ch):
        return True
    if latin and ("\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"):
        return True
    return any(lo <= ch <= hi for lo, hi in _SYMBOL_BLOCKS)


def _to_bytes(run: str) -> list[int] | None:
    out = []
    for ch in run:
        o = ord(ch)
        if o < 0x100:
            out.append(o)
        elif ch in _CP1252_HIGH:
            out.append(_CP1252_HIGH[ch])
        else:
            return None
    return out


def _need(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    if 0xF0 <= lead <= 0xF4:
        return 3
    return -1


def _is_cont(b: int) -> bool:
    return 0x80 <= b <= 0xBF


def _seen_bonus(ch: str, seen: dict[str, int], total: int) -> float:
    """What the document's cache says of ``ch``: ``_SEEN_WEIGHT`` times the log of how much more
    often it was chosen beyond doubt than its use in the dictionary's words would have it,
    between 0 and ``_SEEN_MAX`` (a character common everywhere gains nothing from being common
    here too)."""
    n = seen.get(ch, 0)
    if not n:
        return 0.0
    from .wordmodel import char_usage, total_usage

    expected = total * char_usage(ch) / total_usage()
    return min(_SEEN_MAX, max(0.0, _SEEN_WEIGHT * math.log((n + 1) / (expected + 1))))


@lru_cache(maxsize=65536)
def _text_score(text: str) -> float:
    """:func:`wordmodel.text_logprob` with the wide vocabulary, cached: the second pass of
    :func:`_decode_lenient_utf8` scores the same strings wherever the neighbours stayed."""
    from .wordmodel import text_logprob

    return text_logprob(text, wide=True)


def _choose(options: list[list[str]], left: str, right: str,
            seen: dict[str, int] | None = None) -> tuple[tuple[str, ...], float]:
    """One candidate of each list of ``options`` (adjacent guessed characters), chosen together:
    the ones that make the likeliest text with their neighbours (the best segmentation of
    ``left + chosen + right`` into words and names, :func:`_text_score`), common characters
    preferred. A candidate may end in a space
    (a real space after it, :func:`_decode_lenient_utf8`), which is left out of the text scored
    (the same length whichever is chosen) and costs ``_SPACED_COST``. ``seen``: the document's
    cache (:class:`_Doc`), characters chosen beyond doubt elsewhere in it, which weigh up to
    ``_SEEN_MAX``. The choice, and by how much it beat the next best."""
    ok = _ok_set()

    seen = seen or {}
    total = sum(seen.values())

    def score(chosen: tuple[str, ...]) -> float:
        return _text_score(left + "".join(c[0] for c in chosen) + right) + \
            sum((2.0 if c[0] in ok else -8.0) - (_SPACED_COST if len(c) > 1 else 0.0)
                + _seen_bonus(c[0], seen, total) for c in chosen)

    scored = sorted(((score(c), c) for c in product(*options)), reverse=True)
    return scored[0][1], (scored[0][0] - scored[1][0] if len(scored) > 1 else math.inf)


#: What a real space after a character with a lost byte costs against a NBSP in it (a lost
#: byte and a space side by side are the rarer coincidence).
_SPACED_COST = 4.0
#: The document's cache (:class:`_Doc`): a choice that beat the next best by ``_SURE`` is
#: beyond doubt; a character so chosen n times weighs ``_SEEN_WEIGHT * log(1 + n)``, at most
#: ``_SEEN_MAX``.
_SURE = 6.0
_SEEN_WEIGHT = 1.0
_SEEN_MAX = 2.0
#: At most this many candidate pairs are scored together (else one at a time).
_MAX_PAIRS = 400


def _candidates(lead: int, conts: list[int], need: int) -> list[str]:
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


def _decode_lenient_utf8(data: list[int], before: str = "", after: str = "",
                         seen: dict[str, int] | None = None) -> tuple[str, int, list[str]] | None:
    """UTF-8 with lost bytes and NBSP-as-space put back; (text, guessed chars, the guesses
    beyond doubt) or None; ``seen``: the document's cache (:func:`_choose`)."""
    out: list[str] = []
    guesses: list[tuple[int, list[str]]] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        need = _need(b)
        if need < 0:
            return None
        conts: list[int] = []
        j = i + 1
        while len(conts) < need and j < n and (_is_cont(data[j]) or data[j] == _SPACE):
            conts.append(_NBSP if data[j] == _SPACE else data[j])  # a NBSP that became a space
            j += 1
        if len(conts) == need:
            try:
                whole = bytes([b, *conts]).decode("utf-8")
            except UnicodeDecodeError:
                whole = None
            # a space as the last byte may have been a NBSP, or a real space after a character
            # whose byte was lost (着 timeout: E7 80 and a space also read 瀠): both are weighed
            spaced = [c + " " for c in _candidates(b, conts[:-1], need)] \
                if data[j - 1] == _SPACE and need - len(conts) < 2 else []
            if not spaced:
                if whole is None:
                    return None
                out.append(whole)
                i = j
                continue
            cands = ([whole] if whole is not None else []) + spaced
            guesses.append((len(out), cands))
            out.append(cands[0])
            i = j
            continue
        if need - len(conts) > 2:
            return None
        cands = _candidates(b, conts, need)
        if not cands:
            return None
        guesses.append((len(out), cands))
        out.append(cands[0])
        i = j
    sure: list[str] = []
    for last in (False, True):  # choose each lost byte with its neighbours known
        k = 0
        while k < len(guesses):
            pos, cands = guesses[k]
            left = (before + "".join(out[max(0, pos - 4):pos]))[-4:]
            if k + 1 < len(guesses) and guesses[k + 1][0] == pos + 1 and \
                    len(cands) * len(guesses[k + 1][1]) <= _MAX_PAIRS:
                # two guessed characters side by side (反叛 with three bytes lost): chosen together,
                # since each alone is judged beside a wrong neighbour
                right = ("".join(out[pos + 2:pos + 6]) + after)[:4]
                (out[pos], out[pos + 1]), margin = _choose([cands, guesses[k + 1][1]], left, right, seen)
                if last and margin >= _SURE:
                    sure += [out[pos][0], out[pos + 1][0]]
                k += 2
                continue
            right = ("".join(out[pos + 1:pos + 5]) + after)[:4]
            (out[pos],), margin = _choose([cands], left, right, seen)
            if last and margin >= _SURE:
                sure.append(out[pos][0])
            k += 1
    return "".join(out), len(guesses), sure


def _glued_to_latin(text: str, start: int, end: int) -> bool:
    """The run continues a Latin word: a letter of it touches an ASCII letter."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return ((before.isascii() and before.isalpha() and text[start].isalpha())
            or (after.isascii() and after.isalpha() and text[end - 1].isalpha()))


def _reading_ok(fixed: str, glued: bool, *, latin: bool = True) -> bool:
    """Whether a reading is plausible: only text characters (Han, punctuation, symbols,
    Latin letters), mostly common ones; a short reading glued to a Latin word must be a
    Latin letter or a dictionary word."""
    non_ascii = [c for c in fixed if ord(c) > 0x7F]
    if not non_ascii:
        return False
    if not all(is_cjk(c) or _symbol_or_text(c, latin=latin) for c in non_ascii):
        return False
    strong = sum(1 for c in non_ascii if not is_cjk(c) or _ok_char(c))
    # a rare Han character (a name's 娴, 翎) may sit among three or more common ones: such a run
    # is nine or more bytes of Latin-1 that clean text never has
    n = len(non_ascii)
    if strong < (n if n <= 2 else n - 1 if n <= 5 else 0.8 * n):
        return False
    if glued and len(non_ascii) <= 2:
        from .wordmodel import word_freq

        han = "".join(c for c in fixed if is_cjk(c))
        if not han:
            return all("\u00c0" <= c <= "\u024f" for c in non_ascii)
        return len(han) == 2 and word_freq(han) > 0
    return True


def _is_words(text: str) -> bool:
    """Every Han run of ``text`` is one dictionary word of two or more characters."""
    from .wordmodel import word_freq

    runs = re.findall(f"[{CJK_RANGES}]+", text)
    return bool(runs) and all(len(r) >= 2 and word_freq(r) > 0 for r in runs)


def _fix_run(run: str, glued: bool, before: str = "", after: str = "", doc: _Doc | None = None) -> str | None:
    """The run read again (module doc), or None; ``before``/``after`` are the characters
    around it, which choose lost bytes and let a short run next to Han text be repaired.

    In a damaged document (``doc.damaged``: other runs of it were mojibake beyond doubt) a short
    run with one lost byte per guessed character that reads as Han characters and CJK
    punctuation is taken between digits or Latin letters too (``35å·3`` 35号3, ``.txtã€.jpg``
    .txt、.jpg): what it is glued to says nothing there. Lost bytes chosen beyond doubt go to
    the document's cache (:class:`_Doc`)."""
    data = _to_bytes(run)
    if data is None:
        return None
    high = sum(1 for b in data if b >= 0x80)
    beside_han = is_cjk(before) or is_cjk(after) or before in CJK_PUNCT or after in CJK_PUNCT
    if high < 2 and not (beside_han and high == 1 and _need(data[0]) >= 2):
        return None
    if _SPACE not in data:
        try:
            fixed = bytes(data).decode("utf-8")
            if len(fixed) < len(run) and _reading_ok(fixed, glued):
                return fixed
        except UnicodeDecodeError:
            pass
    doc = doc or _Doc()
    lenient = _decode_lenient_utf8(data, before, after, doc.seen)
    if lenient is not None:
        fixed, guessed, sure = lenient
        # lost bytes are put back in runs that are UTF-8 through and through, or beside Han text
        multi = sum(1 for c in fixed if ord(c) > 0x7F)
        if doc.damaged and guessed and len(fixed.encode("utf-8")) - len(data) <= guessed and \
                all(is_cjk(c) or c in CJK_PUNCT for c in fixed if ord(c) > 0x7F):
            glued, beside_han = False, True
        if (len(fixed) < len(run) or guessed) and _reading_ok(fixed, glued) and (
                not guessed or multi >= 3 or multi >= 2 * guessed or beside_han or _is_words(fixed)):
            for c in sure:
                doc.seen[c] = doc.seen.get(c, 0) + 1
            return fixed
    if high < 4 or _SPACE in data:
        return None  # too short to tell a GBK/Big5 pair from a Latin word
    for codec in ("gb18030", "big5"):
        try:
            fixed = bytes(data).decode(codec)
        except UnicodeDecodeError:
            continue
        if all(c in _ok_set() for c in fixed if ord(c) > 0x7F):
            return fixed
    return None


#: (characters left off the start, off the end) tried when a whole run reads as nothing.
_TRIMS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0))


def _trim_ok(run: str, head: int, tail: int) -> bool:
    """Whether the characters a trim leaves off can be text of their own: off the start, no
    lead byte (the bytes after it would need it); off the end, only after a complete sequence
    (``“`` of ``â€œ`` is no quote of its own)."""
    data = _to_bytes(run)
    if data is None:
        return True
    if any(_need(b) > 0 for b in data[:head]):
        return False
    if tail and not all(b < 0x80 for b in data[len(data) - tail:]):  # an ASCII end is never a byte of the run
        kept = data[head:len(data) - tail]
        lead = max((i for i, b in enumerate(kept) if b < 0x80 or _need(b) > 0), default=None)
        if lead is None or (kept[lead] >= 0x80 and len(kept) - lead != _need(kept[lead]) + 1):
            return False
    return True


def _repair_runs(text: str, doc: _Doc | None = None) -> tuple[str, int]:
    """Every mojibake run of ``text`` read again (:func:`_fix_run`), and how many were."""
    count = 0
    out: list[str] = []
    pos = 0
    for m in _RUN_RE.finditer(text):
        run = m.group()
        glued = _glued_to_latin(text, m.start(), m.end())
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        fixed = _fix_run(run, glued, before, after, doc)
        # a character at either end may be real text beside the damage (an ASCII letter, or a
        # quote that ftfy already put back): the run without it, that character kept as it is
        for head, tail in _TRIMS:
            if fixed is not None or len(run) <= head + tail + 1:
                break
            if not _trim_ok(run, head, tail):
                continue
            start, end = m.start() + head, m.end() - tail
            piece = _fix_run(text[start:end], _glued_to_latin(text, start, end),
                             text[start - 1] if start else "", text[end] if end < len(text) else "", doc)
            if piece is not None:
                fixed = run[:head] + piece + run[len(run) - tail:]
        if fixed is None:
            continue
        out.append(text[pos:m.start()])
        out.append(fixed)
        pos = m.end()
        count += 1
    if not count:
        return text, 0
    out.append(text[pos:])
    return "".join(out), count


def repair_mojibake(text: str) -> tuple[str, int]:
    """Text with mojibake decoded properly, and how many runs (or lines) were fixed."""
    total = 0
    seen: dict[str, int] = {}
    for _ in range(_MAX_LAYERS):
        if not _PRECHECK_RE.search(text):
            break
        text, n = _repair_layer(text, seen)
        if not n:
            break
        total += n
    return text, total
