"""Traditional -> Simplified, only for text that was converted to Traditional.

Detection: the share of CJK characters that OpenCC ``t2s`` changes.  Clean Simplified text
with the odd 乾/著/後 is left alone (OpenCC keeps 乾清宫 and 著名 anyway; the ratio keeps a
few stray characters from triggering).  Conversion uses ``tw2sp`` (Taiwan phrases: 機率 ->
概率, 軟體 -> 软件) when Taiwan vocabulary is present, else ``t2s``; then 著 -> 着 where it
is the aspect particle (``zhe_phrases.txt``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .charsets import CJK_RE

MIN_RATIO = 0.08  # share of CJK characters t2s changes
MIN_CHANGED = 2
_TAIWAN_TERMS = ("軟體", "機率", "資訊", "網路", "程式", "硬碟", "記憶體", "伺服器", "數位", "滑鼠",
                 "影片", "網際網路", "資料庫", "螢幕", "印表機", "作業系統")


@lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def _changed(text: str) -> tuple[int, int]:
    """(CJK characters, of which t2s changes) — compared character by character."""
    conv = _converter("t2s").convert(text)
    cjk = len(CJK_RE.findall(text))
    if len(conv) == len(text):
        changed = sum(1 for a, b in zip(text, conv) if a != b)
    else:
        changed = sum(1 for ch in set(CJK_RE.findall(text)) if _converter("t2s").convert(ch) != ch)
    return cjk, changed


def is_converted_traditional(text: str) -> bool:
    """Whether ``text`` reads as Simplified text converted to Traditional."""
    cjk, changed = _changed(text)
    return cjk > 0 and changed >= MIN_CHANGED and changed / cjk >= MIN_RATIO


def has_taiwan_vocabulary(text: str) -> bool:
    return any(term in text for term in _TAIWAN_TERMS)


@lru_cache(maxsize=1)
def _zhe_table() -> tuple[re.Pattern, dict[str, str]]:
    path = Path(__file__).with_name("zhe_phrases.txt")
    phrases = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
               if ln.strip() and not ln.startswith("#")]
    phrases.sort(key=len, reverse=True)
    table = {p: p.replace("著", "着") for p in phrases}
    return re.compile("|".join(map(re.escape, phrases))), table


def fix_zhe(text: str) -> str:
    """著 -> 着 in the aspect-particle phrases of the data table."""
    if "著" not in text:
        return text
    rx, table = _zhe_table()
    return rx.sub(lambda m: table[m.group()], text)


def to_simplified(text: str, *, taiwan: bool | None = None) -> str:
    """Convert Traditional text to Simplified (see module doc)."""
    if taiwan is None:
        taiwan = has_taiwan_vocabulary(text)
    out = _converter("tw2sp" if taiwan else "t2s").convert(text)
    return fix_zhe(out)
