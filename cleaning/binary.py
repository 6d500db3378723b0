"""Bytes that are not text yet, or never will be: before any charset is sniffed.

:func:`unwrap` returns the bytes to decode, or raises :class:`domain.record.NotTextError`
(reason ``not_text``):

* **gzip** (a compressed file saved as ``.html``, a body the server compressed twice) is
  decompressed, member after member, and refused beyond ``max_size`` bytes like Scrapy's
  ``DOWNLOAD_MAXSIZE`` (a gzip bomb never fills memory); a truncated or damaged stream keeps
  what was decompressed before the damage, and is refused when that is nothing.
* **zip, images, PDF, executables, other archives and media** are refused by their magic
  numbers.
* **NUL bytes** are dropped (a page after a few KB of NULs, a NUL-padded file), except in
  UTF-16/32 text, where they are half of every ASCII character: a BOM says so, or NULs on
  one parity of the first KB.
"""

from __future__ import annotations

import zlib

from domain.record import NotTextError

__all__ = ["DEFAULT_MAX_SIZE", "unwrap", "binary_kind"]

#: The decompressed size limit; the crawl's ``DOWNLOAD_MAXSIZE`` has the same default.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024

#: (magic prefix, what it is), checked after leading whitespace and NULs are skipped.
_MAGIC: tuple[tuple[bytes, str | None], ...] = (
    (b"PK\x03\x04", "zip archive"),
    (b"PK\x05\x06", "zip archive"),
    (b"PK\x07\x08", "zip archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"BM", None),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"%PDF-", "PDF document"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", None),
    (b"\xca\xfe\xba\xbe", "Java class / Mach-O"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xfe\xed\xfa", "Mach-O executable"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"BZh", None),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM media"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"\x00\x01\x00\x00\x00", "TrueType font"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document (doc/xls)"),
    (b"\x1f\x8b", "gzip"),
)
_GZIP = b"\x1f\x8b"
_STRONG = tuple(magic for magic, kind in _MAGIC if kind)  # one C test says no strong magic is there


def _weak_magic(data: bytes) -> str | None:
    """Magic numbers short enough to open real text ("BMW...", "MZ", "BZh"): checked further."""
    if data.startswith(b"BM") and len(data) >= 14 and data[6:10] == b"\x00\x00\x00\x00":
        return "BMP image"
    if data.startswith(b"MZ") and len(data) >= 64 and b"\x00" in data[2:64]:
        return "DOS/Windows executable"
    if data.startswith(b"BZh") and data[3:4].isdigit() and data[4:10] == b"1AY&SY":
        return "bzip2 archive"
    if data[4:8] == b"ftyp":
        return "MP4/ISO media"
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "RIFF media/image"
    return None


def binary_kind(data: bytes) -> str | None:
    """What binary format ``data`` is (``"gzip"`` included), or None for what may be text."""
    head = data[:64]
    if not head.startswith(_STRONG):
        return _weak_magic(head)
    for magic, kind in _MAGIC:
        if kind and head.startswith(magic):
            return kind
    return _weak_magic(head)


def _gunzip(data: bytes, max_size: int) -> bytes:
    out = bytearray()
    rest = data
    while rest.startswith(_GZIP):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += d.decompress(rest, max_size + 1 - len(out))
        except zlib.error:
            break
        if len(out) > max_size:
            raise NotTextError(f"gzip data decompresses to more than {max_size} bytes (the size limit)")
        if not d.eof:  # the stream itself is truncated: keep what came out
            break
        rest = d.unused_data.lstrip(b"\x00")
    if not out:
        raise NotTextError("gzip data that does not decompress")
    return bytes(out)


def _is_utf16_or_32(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return True
    head = data[:1024]
    if len(head) < 16:
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    return (even >= half * 0.6 and odd <= half * 0.1) or (odd >= half * 0.6 and even <= half * 0.1)


def unwrap(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """The text bytes inside ``data`` (see the module doc); raises :class:`NotTextError`."""
    data = bytes(data or b"")
    for _ in range(3):  # gzip in gzip (a body compressed twice), bounded
        start = data.lstrip(b"\x00 \t\r\n")
        kind = binary_kind(data[:64]) or binary_kind(start)
        if kind is None:
            break
        if kind != "gzip":
            raise NotTextError(f"{kind}, not a text document")
        data = _gunzip(start, max_size)
    else:
        raise NotTextError("gzip nested more than three times")
    if b"\x00" in data and not _is_utf16_or_32(data):
        data = data.replace(b"\x00", b"")
        kind = binary_kind(data.lstrip(b" \t\r\n"))
        if kind is not None:
            raise NotTextError(f"{kind}, not a text document")
    return data
