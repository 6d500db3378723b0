"""Bytes -> text, choosing the charset in a fixed, documented order.

Order (first acceptable answer wins):

1. **BOM** (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE).
2. **HTTP header charset** (``header_charset``).
3. **``<meta charset>`` / ``<meta http-equiv content="...; charset=...">``** in the first 4 KB.
4. **Detection**: bytes that are valid UTF-8 (with some non-ASCII) are UTF-8; otherwise
   ``chardet``'s guess, compared with GB18030 and Big5 by plausibility (common CJK share).
5. **UTF-8 with replacement** (the bytes really are broken).

Every declared charset is sanity-checked before it is used: a strict decode must succeed
or nearly so (at most 1 invalid sequence per 2000 bytes, minimum 1), and a legacy
(non-UTF) charset is rejected when the bytes are valid UTF-8 containing multi-byte
sequences (UTF-8 read wrongly).  gb2312/gbk/cp936 are decoded as gb18030; big5 as
big5, falling back to cp950 / big5hkscs when they decode with fewer errors; latin-1 labels
as cp1252 when that decodes cleanly.  :func:`decode_bytes` never raises.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "decode_bytes", "charset_from_content_type", "normalise_charset"]


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # codec actually used, normalised ("utf-8", "gb18030", "big5", "utf-16-le", ...)
    reason: str  # how it was chosen, plus any rejections ("; "-separated)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
    "gb_2312-80": "gb18030", "csgb2312": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "hz",
    "ms936": "gb18030", "windows-936": "gb18030", "gb18030": "gb18030",
    "big5": "big5", "big5-hkscs": "big5hkscs", "big5hkscs": "big5hkscs", "cp950": "cp950",
    "x-x-big5": "big5", "cn-big5": "big5", "csbig5": "big5",
    "utf8": "utf-8", "utf-8": "utf-8", "unicode-1-1-utf-8": "utf-8", "utf-8-sig": "utf-8",
    "utf-16": "utf-16-le", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be", "unicode": "utf-16-le",
    "latin-1": "cp1252", "latin1": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "utf-8", "windows-1252": "cp1252", "cp1252": "cp1252",
}
_MULTIBYTE_UNICODE = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")

_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)


def charset_from_content_type(value: str | None) -> str | None:
    """The charset label of a Content-Type header value, lower-cased, or None."""
    if not value:
        return None
    m = _CT_CHARSET.search(value)
    return m.group(1).strip().lower() if m else None


def normalise_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label (gb2312/gbk -> gb18030...), or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower().replace("_", "-")
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def _invalid_count(data: bytes, codec: str) -> int:
    """Number of bytes a decode with ``codec`` cannot map (via surrogateescape)."""
    try:
        data.decode(codec)
        return 0
    except UnicodeDecodeError:
        pass
    except LookupError:
        return len(data) + 1
    try:
        text = data.decode(codec, "surrogateescape")
        return sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    except UnicodeDecodeError:  # some codecs (utf-16/32) cannot escape, e.g. truncated data
        return max(1, data.decode(codec, "replace").count("\ufffd"))


def _looks_utf8(data: bytes) -> bool:
    """Valid UTF-8 containing at least one multi-byte sequence."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _tolerance(data: bytes) -> int:
    return max(1, len(data) // 2000)


def _try_declared(data: bytes, codec: str, source: str) -> tuple[str | None, str, str]:
    """(text or None, codec used, note) for a declared charset after sanity checks."""
    candidates = [codec]
    if codec == "big5":
        candidates = ["big5", "cp950", "big5hkscs"]
    elif codec == "cp1252":
        candidates = ["cp1252", "latin-1"]
    best = min(candidates, key=lambda c: _invalid_count(data, c))
    bad = _invalid_count(data, best)
    if bad > _tolerance(data):
        return None, best, f"{source} {best} rejected: {bad} invalid sequences"
    if best not in _MULTIBYTE_UNICODE and _looks_utf8(data):
        return None, best, f"{source} {best} rejected: bytes are valid UTF-8"
    if best.startswith("utf-16") and len(data) % 2:
        return None, best, f"{source} {best} rejected: odd length"
    return data.decode(best, "replace"), best, source


_COMMON: frozenset[str] | None = None


def _common_cjk() -> frozenset[str]:
    global _COMMON
    if _COMMON is None:
        from pipelines.repair.charsets import common_chars

        _COMMON = common_chars()
    return _COMMON


def _plausibility(text: str) -> float:
    """Share of non-ASCII characters that are common CJK characters or CJK punctuation."""
    common = _common_cjk()
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return 0.5
    good = sum(1 for ch in non_ascii if ch in common or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or ch in "“”‘’—…·")
    return good / len(non_ascii)


def _detect(data: bytes) -> tuple[str, str] | None:
    """(codec, reason) from detection, or None."""
    if _looks_utf8(data):
        return "utf-8", "valid utf-8"
    bad = _invalid_count(data, "utf-8")
    multibyte = len(re.findall(rb"[\xc2-\xf4][\x80-\xbf]+", data))
    if multibyte >= 4 and bad <= max(8, len(data) // 50) and bad * 10 <= multibyte:
        return "utf-8", f"mostly valid utf-8 ({bad} invalid sequences)"
    try:
        import chardet

        guess = chardet.detect(data[:65536]) or {}
    except Exception:  # pragma: no cover - chardet should not fail, but never raise
        guess = {}
    label, conf = guess.get("encoding"), guess.get("confidence") or 0.0
    guessed = normalise_charset(label)
    scored: list[tuple[float, int, str, str]] = []
    for order, codec in enumerate(dict.fromkeys(c for c in (guessed, "gb18030", "big5") if c)):
        text, used, note = _try_declared(data, codec, "x")
        if text is None:
            continue
        score = _plausibility(text) + (0.2 * conf if codec == guessed else 0.0)
        reason = f"chardet({conf:.2f})" if codec == guessed else f"plausibility({codec})"
        scored.append((score, -order, used, reason))
    if not scored:
        return None
    scored.sort(reverse=True)
    _, _, used, reason = scored[0]
    return used, reason


def decode_bytes(data: bytes, *, header_charset: str | None = None) -> Decoded:
    """Decode ``data`` following the module's documented order; never raises."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = str(data).encode("utf-8", "surrogatepass")
    data = bytes(data)
    notes: list[str] = []
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            return Decoded(body.decode(codec, "replace"), codec, "bom")

    declared = [("http-header", header_charset)]
    m = _META_CHARSET.search(data[:4096])
    declared.append(("meta", m.group(1).decode("ascii", "replace") if m else None))
    for source, label in declared:
        if not label:
            continue
        codec = normalise_charset(label)
        if codec is None:
            notes.append(f"{source} {label!r} unknown")
            continue
        text, used, note = _try_declared(data, codec, source)
        if text is not None:
            return Decoded(text, used, "; ".join([note, *notes]))
        notes.append(note)

    if data.isascii():
        return Decoded(data.decode("ascii"), "utf-8", "; ".join(["ascii", *notes]))
    found = _detect(data)
    if found:
        codec, reason = found
        return Decoded(data.decode(codec, "replace"), codec, "; ".join([reason, *notes]))
    return Decoded(data.decode("utf-8", "replace"), "utf-8", "; ".join(["utf-8 fallback", *notes]))
