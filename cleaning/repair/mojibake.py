"""Undo mojibake: UTF-8 / GBK / Big5 bytes that were decoded as Latin-1 or cp1252.

Two passes, repeated while they change something (two layers of damage come undone):

1. **ftfy** (``fix_text`` with only its encoding fixes on: no width, quote, ligature,
   line-break or normalisation fixes, so Chinese punctuation is never flattened, and no
   ``replace_lossy_sequences``, so lost bytes stay recoverable by the next pass). It undoes
   UTF-8 read as cp1252/Latin-1 wherever the damage is complete, whole documents included.
2. **Our own run repair**, for what ftfy cannot do. Runs of Latin-1/cp1252 high characters
   (C1 controls included, with ASCII letters and single spaces allowed between them) are
   turned back into bytes and read again:

   * as **UTF-8 with lost bytes** (:mod:`.lostbytes`): cp1252's five undefined bytes put back
     where the bytes determine them, or where the word model's choice among them is above
     the measured margin (below it the run stays, counted ``unrepaired``); a space where a
     continuation byte is due was a NBSP (A0) that became a plain space;
   * as **GB18030 or Big5** (strictly), when every character read is common.

   A reading is taken only when it is plausible: every non-ASCII character it gives is a
   common Han character, CJK punctuation or a common symbol; a run glued to a Latin word
   that gives at most two characters must also form a dictionary word. So clean text —
   ``Beyoncé……`` (``é……`` is valid UTF-8 for the rare 酅), ``“NESTLÉ”`` (``É”`` reads ɔ) —
   is never changed. ftfy does not put back NBSPs that became spaces (``restore_byte_a0`` off: a
   guess); the run repair weighs them. A reading made of Latin letters only is taken in a damaged document only
   (ftfy's own decision stands elsewhere: ``DrÃ¥ber``, ``MARQUÉ…`` stay as written).

:func:`repair_mojibake_explained` also says what changed where (:mod:`.log`): ``model`` where a
lost byte was the word model's choice, ``bytes`` elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from cleaning.lazyre import lazy

if TYPE_CHECKING:
    from ftfy import TextFixerConfig

from .charsets import CJK_PUNCT, CJK_RANGES, is_cjk
from .log import RepairEvent, diff_edits
from .lostbytes import CP1252_HIGH, Doc, decode_lenient_utf8, need_of, ok_char, ok_set, symbol_or_text, to_bytes
from .params import MOJIBAKE_DAMAGED_LINES

_HIGH_CLASS = "\u0080-\u00ff" + "".join(re.escape(c) for c in CP1252_HIGH)
_RUN_RE = lazy(f"[{_HIGH_CLASS}]+(?:[\u0020\u0040-\u007e][{_HIGH_CLASS}]+)*[\u0020\u0040-\u007e]?")
_PRECHECK_RE = lazy(f"[{_HIGH_CLASS}]")
# A run (_RUN_RE) the run repair can read holds two high characters (``_read_run`` gives up on
# one, unless it is a lead byte of three or four, à-ô, beside Han text), and a run of one high
# character and one ASCII one is too short to trim (_TRIMS): without either, it reads none.
# (``[high][ @-~]?[high]|[à-ô]`` written with the high character first, à-ô being high ones:
# found where the alternation is tried at every character, in a half or a third of its time)
_RUN_SUSPECTS = lazy(f"[{_HIGH_CLASS}](?:(?<=[\u00e0-\u00f4])|[\u0020\u0040-\u007e]?[{_HIGH_CLASS}])")
_SPACE = 0x20
_MAX_LAYERS = 3
_HANLIKE = lazy(f"[{CJK_RANGES}\u3000-\u303f\uff00-\uffef{re.escape(CJK_PUNCT)}]")


@lru_cache(maxsize=1)
def _ftfy_config() -> TextFixerConfig:
    from ftfy import TextFixerConfig

    return TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_encoding=True,
        restore_byte_a0=False,
        replace_lossy_sequences=False,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,  # C1 controls are cp1252 bytes read as Latin-1: the byte names the character
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        explain=True,  # False would make ftfy fix the encoding with its defaults, not this config
    )


@lru_cache(maxsize=1)
def _ftfy_suspects() -> re.Pattern[str]:
    """The characters without one of which ftfy leaves a line as it is (our configuration).

    ftfy changes the encoding of a text only when ``badness.is_bad`` finds a sequence of
    ``BADNESS_RE`` in it (``_fix_encoding_one_step_and_explain`` returns the text first
    otherwise), and every other fix is off in :func:`_ftfy_config` but ``fix_c1_controls``,
    whose characters are the ``c1`` category below. Each alternative of that
    regex holds a character of one of these categories of ``badness.MOJIBAKE_CATEGORIES``, or
    one of the literals ``Ù`` (the Arabic ``[ØÙ]…[ØÙ]…``), ``Œœ``, ``‚`` (``‚ó°``); Greek and Cyrillic letters
    (``вЂ``, ``β€``, ``[ВГРС]…``) are the ``*_common`` categories. What no alternative needs on
    its own is left out: the ``common`` characters (—, …, ·, ’, NBSP), the start and end
    punctuation (“ ” ‘ « » © ® ™ •) and the kaomoji letters, all of which clean Chinese
    text holds. tests/test_mojibake_precheck.py checks the argument against ``is_bad``.

    The categories are read from ftfy's source (:func:`mojibake_categories`), so that a page
    none of whose lines holds a suspect never imports ftfy. The argument was made on ftfy 6.3's
    source; a release without these categories (6.2 has no ``law``) is asked about every line
    with a non-ASCII character, as before the pre-check."""
    cats = mojibake_categories()
    needed = "c1 bad law currency numeric box upper_accented lower_accented upper_common lower_common".split()
    if not all(k in cats for k in needed):
        return re.compile("[^\x00-\x7f]")
    return re.compile("[" + "".join(cats[k] for k in needed) + "ÙŒœ‚]")


def _layer_suspects() -> re.Pattern[str]:
    """Found in a text exactly where :func:`_ftfy_suspects` or :data:`_RUN_SUSPECTS` is (a layer
    is tried only then), in one scan instead of two: a character of either's first class, then
    one of ftfy's (seen by the look-behind), one of à-ô, or what follows a run's high character.
    A match at a character of ftfy's is one of ftfy's suspects; else the character is a high one
    and the rest is :data:`_RUN_SUSPECTS`' own; and each match of either is one here."""
    return _layer_pattern(_ftfy_suspects().pattern)


@lru_cache(maxsize=2)
def _layer_pattern(ftfy: str) -> re.Pattern[str]:
    cls = ftfy[1:-1]  # ftfy's class, "[...]"; "^\x00-\x7f" (every high character) without its categories
    first = cls if cls.startswith("^") else cls + _HIGH_CLASS
    return re.compile(f"[{first}](?:(?<={ftfy})|(?<=[\u00e0-\u00f4])|[\u0020\u0040-\u007e]?[{_HIGH_CLASS}])")


def mojibake_categories() -> dict[str, str]:
    """ftfy's ``badness.MOJIBAKE_CATEGORIES``, the literal its source assigns, read without
    importing ftfy (whose package loads all of its fixes and wcwidth's tables: most of a one-page
    ``clean`` whose lines never reach ftfy); from the imported module when the source holds no
    such literal (tests/test_mojibake_precheck.py checks that the two are equal)."""
    from cleaning.vocab import package_dir, source_literal

    try:
        cats = source_literal(package_dir("ftfy") / "badness.py", "MOJIBAKE_CATEGORIES")
    except (OSError, SyntaxError, ValueError, RuntimeError):
        cats = None
    if isinstance(cats, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in cats.items()):
        return cats
    from ftfy.badness import MOJIBAKE_CATEGORIES

    return MOJIBAKE_CATEGORIES


def _ftfy_line(line: str) -> str | None:
    """ftfy's fix of ``line`` (:func:`_ftfy_config`), when it changes something and every
    character it introduced is one a real text would hold (:func:`_symbol_or_text`); else None
    (a line without one of :func:`_ftfy_suspects` is one ftfy leaves as it is: not asked, and
    ftfy is imported by the first line that is)."""
    if not _ftfy_suspects().search(line):
        return None
    import ftfy

    fixed = ftfy.fix_text(line, _ftfy_config())
    if fixed != line and _reading_ok("".join(set(fixed) - set(line)) or fixed, False, latin=True):
        return fixed
    return None


def _repair_layer(text: str, doc: Doc) -> tuple[str, int]:
    """One layer of damage undone, line by line, and how many lines (ftfy) or runs were fixed.

    ftfy's fix of a line is kept when it is plausible (:func:`_ftfy_line`); the other lines go
    to the run repair (:func:`_repair_runs`). A fix that leaves mojibake in the line (bytes
    were lost, and ftfy undid only what it could read whole) gives way to the run repair of
    the line as it was, when that repairs anything: ftfy's partial fix turns ``â€”`` back into
    ``—`` beside a run that is one byte short, or reads the start of the next character as the
    lost byte (``é‡æ¡ˆ`` as ``釿¡ˆ``), so that the run repair would see broken runs; ftfy then
    fixes what the run repair left (``Jógaã€‹``, glued to a Latin word). A line is read once
    per layer: what a repair gave (``José—``) is not taken for mojibake again.

    When ftfy changes ``MOJIBAKE_DAMAGED_LINES`` lines or more, the document is damaged, which lets short
    runs be repaired where their neighbours say nothing (:func:`_fix_run`)."""
    lines = text.split("\n")
    todo = [i for i, line in enumerate(lines) if _PRECHECK_RE.search(line)]
    fixes = {}
    for i in todo:
        fixed = _ftfy_line(lines[i])
        if fixed is not None:
            fixes[i] = fixed
    doc.damaged = doc.damaged or len(fixes) >= MOJIBAKE_DAMAGED_LINES
    count = 0
    for i in todo:
        line, fixed = lines[i], fixes.get(i)
        doc.line = i
        if fixed is None:
            lines[i], n = _repair_runs(line, doc)
            count += n
            continue
        if _RUN_RE.search(fixed):
            raw, n_raw = _repair_runs(line, doc)
            fixed = (_ftfy_line(raw) or raw) if n_raw else _repair_runs(fixed, doc)[0]
        lines[i] = fixed
        count += 1
    return ("\n".join(lines), count) if count else (text, 0)


def _glued_to_latin(text: str, start: int, end: int) -> bool:
    """The run continues a Latin word: a letter of it touches an ASCII letter."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return (before.isascii() and before.isalpha() and text[start].isalpha()) or (
        after.isascii() and after.isalpha() and text[end - 1].isalpha()
    )


def _reading_ok(fixed: str, glued: bool, *, latin: bool = True) -> bool:
    """Whether a reading is plausible: only text characters (Han, punctuation, symbols,
    Latin letters), mostly common ones; a short reading glued to a Latin word must be a
    Latin letter or a dictionary word."""
    non_ascii = [c for c in fixed if ord(c) > 0x7F]
    if not non_ascii:
        return False
    if not all(is_cjk(c) or symbol_or_text(c, latin=latin) for c in non_ascii):
        return False
    strong = sum(1 for c in non_ascii if not is_cjk(c) or ok_char(c))
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


def _fix_run(run: str, glued: bool, before: str = "", after: str = "", doc: Doc | None = None) -> str | None:
    """The run read again (module doc), or None; ``before``/``after`` are the characters
    around it, which choose lost bytes and let a short run next to Han text be repaired.

    In a damaged document (``doc.damaged``: other runs of it were mojibake beyond doubt) a short
    run with one lost byte per guessed character that reads as Han characters and CJK
    punctuation is taken between digits or Latin letters too (``35å·3`` 35号3, ``.txtã€.jpg``
    .txt、.jpg): what it is glued to says nothing there. Lost bytes chosen beyond doubt go to
    the document's cache (:class:`lostbytes.Doc`); a character whose lost byte the model chose
    below the margin stays as it was (its bytes' characters, counted in ``doc.unrepaired``), and
    a reading of Latin letters only is taken in a damaged document only."""
    doc = doc or Doc()
    fixed = _read_run(run, glued, before, after, doc)
    if fixed is not None and not doc.damaged and not _HANLIKE.search(fixed):
        return None  # Latin-only damage is ftfy's to judge (DrÃ¥ber stays)
    return fixed


def _read_run(run: str, glued: bool, before: str, after: str, doc: Doc) -> str | None:
    data = to_bytes(run)
    if data is None:
        return None
    high = sum(1 for b in data if b >= 0x80)
    beside_han = is_cjk(before) or is_cjk(after) or before in CJK_PUNCT or after in CJK_PUNCT
    if high < 2 and not (beside_han and high == 1 and need_of(data[0]) >= 2):
        return None
    if _SPACE not in data:
        try:
            fixed = bytes(data).decode("utf-8")
            if len(fixed) < len(run) and _reading_ok(fixed, glued):
                return fixed
        except UnicodeDecodeError:
            pass
    lenient = decode_lenient_utf8(data, before, after, doc.seen)
    if lenient is not None:
        fixed, guessed, sure = lenient.text, lenient.guessed, lenient.sure
        # lost bytes are put back in runs that are UTF-8 through and through, or beside Han text
        multi = sum(1 for c in fixed if ord(c) > 0x7F)
        if (
            doc.damaged
            and guessed
            and len(fixed.encode("utf-8")) - len(data) <= guessed
            and all(is_cjk(c) or c in CJK_PUNCT for c in fixed if ord(c) > 0x7F)
        ):
            glued, beside_han = False, True
        if (
            (len(fixed) < len(run) or guessed)
            and _reading_ok(fixed, glued)
            and (not guessed or multi >= 3 or multi >= 2 * guessed or beside_han or _is_words(fixed))
        ):
            # a guess the model is not sure enough of stays as it was (its mojibake), the rest is read
            fixed, choices, left = lenient.keep_unsure(run)
            doc.unrepaired += left
            doc.model.setdefault(doc.line, []).extend((c, m) for c, m in choices if m != float("inf"))
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
        if all(c in ok_set() for c in fixed if ord(c) > 0x7F):
            return fixed
    return None


#: (characters left off the start, off the end) tried when a whole run reads as nothing.
_TRIMS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0))


def _trim_ok(run: str, head: int, tail: int) -> bool:
    """Whether the characters a trim leaves off can be text of their own: off the start, no
    lead byte (the bytes after it would need it); off the end, only after a complete sequence
    (``“`` of ``â€œ`` is no quote of its own)."""
    data = to_bytes(run)
    if data is None:
        return True
    if any(need_of(b) > 0 for b in data[:head]):
        return False
    if tail and not all(b < 0x80 for b in data[len(data) - tail :]):  # an ASCII end is never a byte of the run
        kept = data[head : len(data) - tail]
        lead = max((i for i, b in enumerate(kept) if b < 0x80 or need_of(b) > 0), default=None)
        if lead is None or (kept[lead] >= 0x80 and len(kept) - lead != need_of(kept[lead]) + 1):
            return False
    return True


def _repair_runs(text: str, doc: Doc | None = None) -> tuple[str, int]:
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
            piece = _fix_run(
                text[start:end],
                _glued_to_latin(text, start, end),
                text[start - 1] if start else "",
                text[end] if end < len(text) else "",
                doc,
            )
            if piece is not None:
                fixed = run[:head] + piece + run[len(run) - tail :]
        if fixed is None:
            continue
        out.append(text[pos : m.start()])
        out.append(fixed)
        pos = m.end()
        count += 1
    if not count:
        return text, 0
    out.append(text[pos:])
    return "".join(out), count


def repair_mojibake(text: str) -> tuple[str, int]:
    """Text with mojibake decoded properly, and how many runs (or lines) were fixed."""
    res = repair_mojibake_explained(text)
    return res.text, res.count


@dataclass
class MojibakeResult:
    text: str
    count: int = 0  # runs or lines fixed
    unrepaired: int = 0  # runs left as they were: the model's choice of a lost byte below the margin
    events: list[RepairEvent] = field(default_factory=list)


def repair_mojibake_explained(text: str) -> MojibakeResult:
    """:func:`repair_mojibake`, with what changed where (offsets in the result) and what decided
    it: ``model`` for a change holding a character the word model chose for a lost byte."""
    original = text
    total = 0
    doc = Doc()
    for _ in range(_MAX_LAYERS):
        if not _PRECHECK_RE.search(text):
            break
        if not _layer_suspects().search(text):  # neither _ftfy_suspects() nor _RUN_SUSPECTS
            break  # high characters neither ftfy nor the run repair can read (“ ” · — … one by one)
        text, n = _repair_layer(text, doc)
        if not n:
            break
        total += n
    res = MojibakeResult(text, total, doc.unrepaired)
    if text == original:
        return res
    base = 0
    for i, (old, new) in enumerate(zip(original.split("\n"), text.split("\n"))):
        chosen = doc.model.get(i, [])
        for off, a, b in diff_edits(old, new):
            picks = [m for c, m in chosen if c and c in b]
            res.events.append(
                RepairEvent("mojibake", base + off, a, b, "model" if picks else "bytes", min(picks) if picks else None)
            )
        base += len(new) + 1
    return res
