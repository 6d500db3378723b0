"""Undo mojibake: UTF-8 / GBK / Big5 bytes that were decoded as Latin-1 or cp1252.

Runs of Latin-1/cp1252 high characters (with ASCII letters allowed between them, since GBK
trail bytes can be ASCII) are turned back into the bytes they came from and decoded again
as UTF-8, GB18030 and Big5 (strictly).  A reading is taken only when it is plausible: UTF-8
must decode strictly (strong evidence on its own); GB18030/Big5 must give common CJK
characters or CJK punctuation only.  C1 controls (U+0080-U+009F, from a Latin-1 read) and
cp1252's printable forms both map back to their byte.
"""

from __future__ import annotations

import re

from .charsets import CJK_PUNCT, common_chars

_CP1252_HIGH = {}
for _b in range(0x80, 0xA0):
    try:
        _CP1252_HIGH[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        pass
_HIGH_CLASS = "\u0080-\u00ff" + "".join(re.escape(c) for c in _CP1252_HIGH)
_RUN_RE = re.compile(f"[{_HIGH_CLASS}]+(?:[\u0040-\u007e][{_HIGH_CLASS}]+)*[\u0040-\u007e]?")
_PRECHECK_RE = re.compile(f"[{_HIGH_CLASS}]")


def _to_bytes(run: str) -> bytes | None:
    out = bytearray()
    for ch in run:
        o = ord(ch)
        if o < 0x100:
            out.append(o)
        elif ch in _CP1252_HIGH:
            out.append(_CP1252_HIGH[ch])
        else:
            return None
    return bytes(out)


def _plausible_cjk(text: str) -> bool:
    common = common_chars()
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii:
        return False
    return all(c in common or c in CJK_PUNCT or c in "\u3000" for c in non_ascii)


def _fix_run(run: str) -> str | None:
    data = _to_bytes(run)
    if data is None or len(data) < 2:
        return None
    high = sum(1 for b in data if b >= 0x80)
    try:
        fixed = data.decode("utf-8")
        if fixed != run and len(fixed) < len(run):
            return fixed
    except UnicodeDecodeError:
        pass
    if high < 4:
        return None  # too short to tell a GBK/Big5 pair from a Latin word
    for codec in ("gb18030", "big5"):
        try:
            fixed = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _plausible_cjk(fixed):
            return fixed
    return None


def repair_mojibake(text: str) -> tuple[str, int]:
    """Text with mojibake runs decoded properly, and how many runs were fixed."""
    if not _PRECHECK_RE.search(text):
        return text, 0
    count = 0

    def sub(m: re.Match) -> str:
        nonlocal count
        run = m.group()
        fixed = _fix_run(run)
        if fixed is None and run[-1].isascii():
            fixed = _fix_run(run[:-1])
            if fixed is not None:
                fixed += run[-1]
        if fixed is None:
            return run
        count += 1
        return fixed

    return _RUN_RE.sub(sub, text), count
