"""Restore full-width punctuation that a mirror flattened to ASCII inside Chinese text.

``,`` ``:`` ``;`` ``?`` ``!`` become ``，：；？！`` when the character before them is CJK (or a
closing CJK mark such as ``”」）》``), or — for ``,`` ``;`` ``?`` ``!`` — when the character after
is CJK and the one before is not an ASCII letter/digit.  Numbers (``1,000``, ``10:30``),
Latin runs, URLs, e-mail addresses and a mark followed by a space (``为何反服贸? 学生…``: the
writer typed it half-width, Western-style) are left alone.  Decided and documented: parentheses
and ``|`` stay ASCII (``(2025)``, ``作者|斗斗``), because thepaper.cn itself prints both forms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CLOSERS = "”’」』）》〉】"
_MAP = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_MASK_RE = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+", re.A)
_CAND_RE = re.compile(r"[,:;?!]")
# a mark followed by a space (not a line break) is the writer's own half-width one, typed
# Western-style; a full-width mark is seldom followed by a space, so the rare flattened one lost
# this way stays as written (precision first: never change what the page may have said)
_SPACED = (" ", "\u3000", "\xa0")


def _convert(seg: str, keep: frozenset[int] = frozenset(), base: int = 0) -> tuple[str, int]:
    out = list(seg)
    count = 0
    for m in _CAND_RE.finditer(seg):
        i = m.start()
        if base + i in keep:
            continue
        ch = seg[i]
        prev = seg[i - 1] if i > 0 else ""
        nxt = seg[i + 1] if i + 1 < len(seg) else ""
        prev_cjk = bool(prev) and (re.match(f"[{_CJK}]", prev) is not None or prev in _CLOSERS)
        next_cjk = bool(nxt) and re.match(f"[{_CJK}“‘「《（]", nxt) is not None
        if (prev.isdigit() and nxt.isdigit()) or nxt in _SPACED:
            continue
        if prev_cjk or (next_cjk and ch != ":" and not (prev.isascii() and prev.isalnum())):
            out[i] = _MAP[ch]
            count += 1
    return "".join(out), count


def has_marks(text: str) -> bool:
    """Whether ``text`` holds one of the marks :data:`_MAP` restores: ``_CAND_RE.search(text)``,
    asked one character at a time (``in`` finds one character by ``memchr``, several times
    faster than the regex engine tests each character against a class)."""
    return "," in text or ":" in text or ";" in text or "?" in text or "!" in text


def restore_fullwidth(text: str, keep: Sequence[tuple[int, int]] = ()) -> tuple[str, int]:
    """Text with flattened punctuation restored, and how many marks were restored; nothing in
    the ``keep`` spans (``(start, end)``: torn text left unrepaired, whose ``?`` is a lost byte's
    mark, not a question mark) changes."""
    if not has_marks(text):
        return text, 0
    kept = frozenset(i for a, b in keep for i in range(a, b))
    parts: list[str] = []
    total = 0
    pos = 0
    for m in _MASK_RE.finditer(text):
        seg, n = _convert(text[pos : m.start()], kept, pos)
        parts += [seg, m.group()]
        total += n
        pos = m.end()
    seg, n = _convert(text[pos:], kept, pos)
    parts.append(seg)
    return "".join(parts), total + n
