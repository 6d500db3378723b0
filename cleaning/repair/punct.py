"""Restore full-width punctuation that a mirror flattened to ASCII inside Chinese text.

``,`` ``:`` ``;`` ``?`` ``!`` become ``，：；？！`` when the character before them is CJK (or a
closing CJK mark such as ``”」）》``), or — for ``,`` ``;`` ``?`` ``!`` — when the character after
is CJK and the one before is not an ASCII letter/digit.  Numbers (``1,000``, ``10:30``),
Latin runs, URLs and e-mail addresses are left alone.  Decided and documented: parentheses
and ``|`` stay ASCII (``(2025)``, ``作者|斗斗``), because thepaper.cn itself prints both forms.
"""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSERS = "”’」』）》〉】"
_MAP = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_MASK_RE = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+", re.A)
_CAND_RE = re.compile(r"[,:;?!]")


def _convert(seg: str) -> tuple[str, int]:
    out = list(seg)
    count = 0
    for m in _CAND_RE.finditer(seg):
        i = m.start()
        ch = seg[i]
        prev = seg[i - 1] if i > 0 else ""
        nxt = seg[i + 1] if i + 1 < len(seg) else ""
        prev_cjk = bool(prev) and (re.match(f"[{_CJK}]", prev) is not None or prev in _CLOSERS)
        next_cjk = bool(nxt) and re.match(f"[{_CJK}“‘「《（]", nxt) is not None
        if prev.isdigit() and nxt.isdigit():
            continue
        if prev_cjk or (next_cjk and ch != ":" and not (prev.isascii() and prev.isalnum())):
            out[i] = _MAP[ch]
            count += 1
    return "".join(out), count


def restore_fullwidth(text: str) -> tuple[str, int]:
    """Text with flattened punctuation restored, and how many marks were restored."""
    if not _CAND_RE.search(text):
        return text, 0
    parts: list[str] = []
    total = 0
    pos = 0
    for m in _MASK_RE.finditer(text):
        seg, n = _convert(text[pos:m.start()])
        parts += [seg, m.group()]
        total += n
        pos = m.end()
    seg, n = _convert(text[pos:])
    parts.append(seg)
    return "".join(parts), total + n
