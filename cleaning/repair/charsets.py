"""Character classes shared by the repair stages (built once, from codec tables)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from cleaning.lazyre import lazy

CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = lazy(f"[{CJK_RANGES}]")
PUA_RE = lazy("[\ue000-\uf8ff\ufffd]")
#: CJK punctuation and full-width forms that sit inside Chinese prose.
CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】「」『』—…·～｜"


def is_cjk(ch: str) -> bool:
    return bool(ch) and ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff")


def is_pua(ch: str) -> bool:
    return "\ue000" <= ch <= "\uf8ff"


def decode_block(codec: str, leads: Iterable[int], trails: Iterable[int]) -> set[str]:
    """The characters of every byte pair ``lead, trail`` that ``codec`` decodes.

    A lead's row of pairs is decoded at once when the lead is 81 or above: such a byte is no
    character of its own in the CJK codecs, so each character of the row takes two bytes or more,
    and a row of n pairs that decodes strictly into n characters was read pair by pair. A row
    that does not (a pair that does not decode, a four-byte GB18030 sequence) goes pair by pair."""
    out: set[str] = set()
    trails = list(trails)
    pairs = bytearray(2 * len(trails))
    pairs[1::2] = bytes(trails)
    for lead in leads:
        pairs[0::2] = bytes((lead,)) * len(trails)
        try:
            row = pairs.decode(codec) if lead >= 0x81 else ""
        except UnicodeDecodeError:
            row = ""
        if len(row) == len(trails):
            out.update(row)
            continue
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
    chars = decode_block("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    chars |= decode_block("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))
    chars |= set(CJK_PUNCT)
    return frozenset(ch for ch in chars if is_cjk(ch) or ch in CJK_PUNCT)


@lru_cache(maxsize=1)
def gb2312_chars() -> frozenset[str]:
    """Every GB2312 Han character (levels 1 and 2)."""
    return frozenset(decode_block("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)))
