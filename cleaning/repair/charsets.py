"""Character classes shared by the repair stages (built once, from codec tables)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK_RANGES}]")
PUA_RE = re.compile("[\ue000-\uf8ff\ufffd]")
#: CJK punctuation and full-width forms that sit inside Chinese prose.
CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】「」『』—…·～｜"


def is_cjk(ch: str) -> bool:
    return bool(ch) and ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff")


def is_pua(ch: str) -> bool:
    return "\ue000" <= ch <= "\uf8ff"


def _decode_block(codec: str, leads: Iterable[int], trails: Iterable[int]) -> set[str]:
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                pass
    return out


@lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    """Common Han characters: GB2312 level 1 (3755, Simplified) plus Big5's frequently used
    block A440-C67E (5401, Traditional), plus CJK punctuation."""
    chars = _decode_block("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    chars |= _decode_block("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))
    chars |= set(CJK_PUNCT)
    return frozenset(ch for ch in chars if is_cjk(ch) or ch in CJK_PUNCT)


@lru_cache(maxsize=1)
def gb2312_chars() -> frozenset[str]:
    """Every GB2312 Han character (levels 1 and 2)."""
    return frozenset(_decode_block("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)))
