"""Bytes -> text: a declared charset is believed only when its reading is as plausible as
detection's.

Order:

1. **BOM** (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE, GB18030): used as it is.
2. **Declared charsets**, the HTTP header's (``header_charset``), then ``<meta charset>`` /
   ``<meta http-equiv content="...; charset=...">`` in the first 4 KB. Only charsets a web page
   can carry are known (the WHATWG encodings: no UTF-7, no ``rot13``, ``base64``...), with the
   WHATWG meanings: gb2312/gbk -> gb18030, iso-8859-1/us-ascii -> windows-1252. A declaration is
   rejected when a strict decode fails (more than 1 invalid sequence per 2000 bytes), when a
   legacy charset is declared for valid multi-byte UTF-8, or — the point of this module — when
   detection finds a reading that is more plausible (see below). Each rejection is noted in
   ``reason``: ``"big5 (score 0.82); meta gb18030 rejected: less plausible (0.11)"``.
3. **Detection**: valid (or almost entirely valid) UTF-8 is UTF-8; otherwise the candidate
   readings — ``chardet``'s guess, GB18030, Big5 (or cp950 / Big5-HKSCS when they decode with
   fewer errors), and EUC-KR / EUC-JP / Shift_JIS when chardet names them — are scored and
   the best wins.
4. **UTF-8 with replacement** when nothing decodes (the bytes really are broken).

A reading's score (:func:`reading_score`, on a sample of the non-ASCII parts, at most
``SAMPLE_BYTES``): for Chinese, 0.4 x the share of common Han characters and CJK punctuation
among the non-ASCII characters + 0.6 x the share of Han characters that form jieba dictionary
words (:mod:`cleaning.repair.plausible`); Korean/Japanese readings score their script's share
times chardet's confidence (so GB text is never taken for EUC-KR, and a confidently detected
Korean page is not forced into GB18030); single-byte readings score the share of accented
letters inside Latin words; every reading loses 3 x its share of invalid sequences. A
declaration is kept when its score is at least detection's best minus ``MARGIN``.

Cost: linear; decoding the whole input at most twice, everything else on the sample
(16 MiB of random bytes in about 0.5 s; ``bench/decode.py``). :func:`decode_bytes` never
raises; what is not text at all is refused before, by :mod:`cleaning.binary`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Decoded", "decode_bytes", "charset_from_content_type", "normalise_charset", "reading_score"]

MARGIN = 0.05
SAMPLE_BYTES = 48 * 1024


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # codec actually used, normalised ("utf-8", "gb18030", "big5", "utf-16-le", ...)
    reason: str  # how it was chosen, plus any rejections ("; "-separated)
    invalid: int = 0  # U+FFFD the decode put in for bytes the codec cannot read
    whole_utf8: bool = False  # ``text`` is the bytes read as UTF-8, all of them, strictly


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (b"\x84\x31\x95\x33", "gb18030"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# WHATWG labels (and a few everyday aliases) -> Python codec. Anything else is unknown.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "gb-2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "chinese": "gb18030",
    "iso-ir-58": "gb18030",
    "csiso58gb231280": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5",
    "big5-hkscs": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "cp950",
    "x-x-big5": "big5",
    "cn-big5": "big5",
    "csbig5": "big5",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "utf-16": "utf-16-le",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "unicode": "utf-16-le",
    "ucs-2": "utf-16-le",
    "unicodefeff": "utf-16-le",
    "unicodefffe": "utf-16-be",
    "csunicode": "utf-16-le",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "l1": "cp1252",
    "iso-ir-100": "cp1252",
    "ibm819": "cp1252",
    "cp819": "cp1252",
    "csisolatin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi-x3.4-1968": "cp1252",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "x-cp1252": "cp1252",
    "iso-8859-15": "iso8859-15",
    "latin-9": "iso8859-15",
    "euc-kr": "euc-kr",
    "ks-c-5601-1987": "euc-kr",
    "ksc5601": "euc-kr",
    "windows-949": "cp949",
    "cp949": "cp949",
    "uhc": "cp949",
    "korean": "euc-kr",
    "euc-jp": "euc-jp",
    "x-euc-jp": "euc-jp",
    "shift-jis": "shift_jis",
    "shift_jis": "shift_jis",
    "sjis": "shift_jis",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "x-sjis": "shift_jis",
    "csshiftjis": "shift_jis",
    "ms-kanji": "shift_jis",
    "iso-2022-jp": "iso2022_jp",
    "koi8-r": "koi8-r",
    "koi8-u": "koi8-u",
    "ibm866": "cp866",
    "macintosh": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "windows-874": "cp874",
    "tis-620": "cp874",
}
for _n in range(1250, 1259):
    _ALIASES[f"windows-{_n}"] = _ALIASES.get(f"windows-{_n}", f"cp{_n}")
    _ALIASES[f"cp{_n}"] = _ALIASES.get(f"cp{_n}", f"cp{_n}")
for _n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 16):
    _ALIASES[f"iso-8859-{_n}"] = f"iso8859-{_n}"
    _ALIASES[f"iso8859-{_n}"] = f"iso8859-{_n}"
WEB_CODECS = frozenset(_ALIASES.values())
_MULTIBYTE_UNICODE = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_CHINESE = ("gb18030", "big5", "cp950", "big5hkscs")
_OTHER_CJK = {
    "euc-kr": "hangul",
    "cp949": "hangul",
    "euc-jp": "kana",
    "shift_jis": "kana",
    "cp932": "kana",
    "iso2022_jp": "kana",
}
_SINGLE_BYTE_HINT = re.compile(r"^(?:cp\d+|iso8859-\d+|koi8-[ru]|mac-\w+)$")

_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_HIGH_RUNS = re.compile(rb"[\x80-\xff]+(?:[\x00-\x7f]{1,8}[\x80-\xff]+)*[\x21-\x7e]?")


def charset_from_content_type(value: str | None) -> str | None:
    """The charset label of a Content-Type header value, lower-cased, or None."""
    if not value:
        return None
    m = _CT_CHARSET.search(value)
    return m.group(1).strip().lower() if m else None


def normalise_charset(label: str | None) -> str | None:
    """A Python codec for a web charset label (gb2312/gbk -> gb18030, latin-1 -> cp1252...), or
    None for labels no web page uses (utf-7, rot13, base64...) and unknown ones."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower().replace("_", "-")
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = _ALIASES.get(name, _ALIASES.get(name.replace("_", "-"), name))
    return name if name in WEB_CODECS else None


def _invalid(text: str, data: bytes, codec: str) -> int:
    """Invalid sequences in a ``"replace"`` decode: the U+FFFD it made (not those in the data)."""
    n = text.count("\ufffd")
    if n:
        try:
            n -= data.count("\ufffd".encode(codec))
        except (UnicodeEncodeError, LookupError):
            pass
    return max(0, n)


def _decode(data: bytes, codec: str) -> tuple[str, int]:
    """(text, invalid sequences) of a tolerant decode; never raises."""
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        pass
    except LookupError:
        return data.decode("utf-8", "replace"), len(data) + 1
    text = data.decode(codec, "replace")
    return text, max(1, _invalid(text, data, codec))


def _utf8_text(data: bytes) -> str | None:
    """``data`` read as UTF-8 when it is valid UTF-8 containing at least one multi-byte
    sequence, else None."""
    if data.isascii():
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _tolerance(data: bytes) -> int:
    return max(1, len(data) // 2000)


def _sample(data: bytes) -> bytes:
    """Up to ``SAMPLE_BYTES`` of the non-ASCII parts of ``data`` (head, middle and tail)."""
    if len(data) > 4 * SAMPLE_BYTES:
        third = SAMPLE_BYTES
        mid = len(data) // 2
        region = data[: 2 * third] + b"\n" + data[mid - third : mid + third] + b"\n" + data[-2 * third :]
    else:
        region = data
    out = bytearray()
    for m in _HIGH_RUNS.finditer(region):
        out += m.group() + b"\n"
        if len(out) >= SAMPLE_BYTES:
            break
    return bytes(out[:SAMPLE_BYTES]) if out else region[:SAMPLE_BYTES]


def reading_score(text: str, codec: str, invalid: int = 0, *, confidence: float = 0.0) -> float:
    """How plausible ``text`` (``codec``'s reading of a sample) is, in [0, 1] (module doc)."""
    from cleaning.repair import plausible as pl

    n = pl.non_ascii_count(text)
    if not n:
        return 0.5
    penalty = min(1.0, 3.0 * invalid / n)
    if codec in _OTHER_CJK:
        score = confidence * min(1.0, pl.script_share(text, _OTHER_CJK[codec]) + 0.5 * pl.script_share(text, "han"))
    elif codec in _MULTIBYTE_UNICODE or codec in _CHINESE:
        score = pl.chinese_score(text)
        if codec in _MULTIBYTE_UNICODE:
            score = max(score, pl.latin_share(text), 0.5 if not invalid else 0.0)
    else:
        score = 0.9 * pl.latin_share(text)
    return max(0.0, score - penalty)


@dataclass(frozen=True)
class _Reading:
    codec: str
    score: float
    note: str
    invalid: int = 0


def _chardet(sample: bytes) -> tuple[str | None, float]:
    try:
        import chardet

        guess: Mapping[str, Any] = chardet.detect(sample) or {}
    except Exception:  # pragma: no cover - chardet should not fail, but never raise
        guess = {}
    return normalise_charset(guess.get("encoding")), float(guess.get("confidence") or 0.0)


def _best_variant(sample: bytes, codec: str) -> str:
    """Big5 pages often use cp950/HKSCS characters; latin-1 labels mean cp1252."""
    variants = {"big5": ("big5", "cp950", "big5hkscs"), "cp950": ("cp950", "big5", "big5hkscs")}.get(codec)
    if not variants:
        return codec
    return min(variants, key=lambda c: _decode(sample, c)[1])


def _detect(sample: bytes) -> list[_Reading]:
    """Detection's readings of the sample, best first."""
    guessed, conf = _chardet(sample)
    candidates = [c for c in dict.fromkeys((guessed, "gb18030", "big5")) if c]
    out = []
    for codec in candidates:
        if codec in _OTHER_CJK and conf < 0.6:
            continue
        codec = _best_variant(sample, codec)
        text, bad = _decode(sample, codec)
        score = reading_score(text, codec, bad, confidence=conf if codec == guessed else 0.0)
        note = f"chardet {codec} ({conf:.2f})" if codec == guessed else f"detected {codec}"
        out.append(_Reading(codec, score, f"{note}, score {score:.2f}", bad))
    out.sort(key=lambda r: (-r.score, r.invalid))
    return out


def _mostly_utf8(data: bytes) -> tuple[bool, int, str]:
    """(UTF-8 with a few broken sequences?, how many, the tolerant decode) on the whole input."""
    from cleaning.repair.plausible import non_ascii_count

    text = data.decode("utf-8", "replace")
    bad = _invalid(text, data, "utf-8")
    good = non_ascii_count(text) - text.count("\ufffd")
    return good >= 4 and bad <= max(8, len(data) // 50) and bad * 10 <= good, bad, text


def _declared(data: bytes, header_charset: str | None) -> list[tuple[str, str | None]]:
    out = [("http-header", header_charset)]
    m = _META_CHARSET.search(data[:4096])
    out.append(("meta", m.group(1).decode("ascii", "replace") if m else None))
    return [(s, label) for s, label in out if label]


def decode_bytes(data: bytes, *, header_charset: str | None = None) -> Decoded:
    """Decode ``data`` following the module's documented order; never raises."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = str(data).encode("utf-8", "surrogatepass")
    data = bytes(data)
    codec: str | None  # a BOM's codec, then each declared charset's (None: unknown)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(codec, "replace"), codec, "bom")
    notes: list[str] = []
    utf8 = _utf8_text(data)  # None: not valid UTF-8
    survivors: list[tuple[str, str, str, int]] = []  # (source, codec, text, invalid)
    for source, label in _declared(data, header_charset):
        codec = normalise_charset(label)
        if codec is None:
            notes.append(f"{source} {label!r} unknown")
            continue
        if codec not in _MULTIBYTE_UNICODE and utf8 is not None:
            notes.append(f"{source} {codec} rejected: bytes are valid UTF-8")
            continue
        if codec.startswith("utf-16") and len(data) % 2:
            notes.append(f"{source} {codec} rejected: odd length")
            continue
        if codec == "utf-8" and utf8 is not None:
            return Decoded(utf8, "utf-8", "; ".join([source, *notes]), whole_utf8=True)
        codec = _best_variant(data[: SAMPLE_BYTES * 4], codec)
        text, bad = _decode(data, codec)
        if bad > _tolerance(data):
            notes.append(f"{source} {codec} rejected: {bad} invalid sequences")
            continue
        survivors.append((source, codec, text, bad))

    if data.isascii():
        if survivors:
            source, codec, text, _ = survivors[0]
            return Decoded(text, codec, "; ".join([source, *notes]))
        return Decoded(data.decode("ascii"), "utf-8", "; ".join(["ascii", *notes]), whole_utf8=True)
    if utf8 is not None:
        return Decoded(utf8, "utf-8", "; ".join(["valid utf-8", *notes]), whole_utf8=True)

    sample = _sample(data)
    mostly, bad8, text8 = _mostly_utf8(data)
    if mostly and not survivors:
        return Decoded(text8, "utf-8", "; ".join([f"mostly valid utf-8 ({bad8} invalid sequences)", *notes]), bad8)
    detected = _detect(sample)
    if mostly:
        stext, sbad = _decode(sample, "utf-8")
        score = reading_score(stext, "utf-8", sbad)
        detected.insert(0, _Reading("utf-8", score, f"mostly valid utf-8, score {score:.2f}", sbad))
        detected.sort(key=lambda r: (-r.score, r.invalid))
    best = detected[0] if detected else None
    for source, codec, text, _bad in survivors:
        stext, sbad = _decode(sample, codec)
        score = reading_score(stext, codec, sbad)
        if best is None or codec == best.codec or score >= best.score - MARGIN:
            return Decoded(text, codec, "; ".join([source, *notes]), _bad)
        notes.append(f"{source} {codec} rejected: less plausible (score {score:.2f})")
    if best is not None and best.codec != "utf-8" and (best.score > 0 or best.invalid <= _tolerance(sample)):
        text, bad = _decode(data, best.codec)
        return Decoded(text, best.codec, "; ".join([best.note, *notes]), bad)
    return Decoded(
        text8, "utf-8", "; ".join([best.note if best and best.codec == "utf-8" else "utf-8 fallback", *notes]), bad8
    )
