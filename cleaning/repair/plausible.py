"""How much a reading of some text looks like real prose: shared by charset detection
(:mod:`cleaning.decode`), the mojibake repair and the Traditional detection.

Measures, each a share in [0, 1], computed with regexes and dictionary look-ups on a bounded
sample (never a per-character Python loop over a whole document):

* :func:`common_share`: non-ASCII characters that are common Han characters or CJK
  punctuation (GB2312 level 1 + Big5's frequent block, :func:`charsets.common_chars`);
* :func:`word_coverage`: Han characters covered by a dictionary word of two or more
  characters (jieba's dictionary, greedy longest match) — random common characters rarely
  form words, real Chinese mostly does;
* :func:`script_share`: non-ASCII characters of one script (Hangul, kana);
* :func:`latin_share`: non-ASCII letters inside Latin words (``café``, ``Müller``).

:func:`chinese_score` combines the first two.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from cleaning.lazyre import lazy

if TYPE_CHECKING:  # opencc has no type information: an Any to mypy
    from opencc import OpenCC

from .charsets import CJK_RANGES, common_chars
from .params import COMMON_WEIGHT, WORDS_FROM, WORDS_WEIGHT

SAMPLE_CHARS = 3000
#: Symbols that sit in Chinese news text and count as plausible in any reading.
COMMON_SYMBOLS = "©®°±×÷µ²³½¼¾«»·™€£¥§¶•→←↑↓√※℃"
_NON_ASCII = lazy(r"[^\x00-\x7f]")
_HAN_RUN = lazy(f"[{CJK_RANGES}]+")
_SCRIPTS = {
    "hangul": lazy("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    "kana": lazy("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"),
    "han": lazy(f"[{CJK_RANGES}]"),
}
_LATIN_IN_WORD = lazy(r"(?<=[A-Za-z])[\u00c0-\u024f]|[\u00c0-\u024f](?=[A-Za-z])")
_MAX_WORD = 4


@lru_cache(maxsize=1)
def _common_re() -> re.Pattern[str]:
    chars = "".join(sorted(common_chars()))
    return re.compile("[" + re.escape(chars) + "\u3000\uff01-\uff5e“”‘’—…·" + re.escape(COMMON_SYMBOLS) + "]")


def non_ascii_count(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def common_share(text: str) -> float:
    """Share of the non-ASCII characters that are common Han characters or CJK punctuation
    (1.0 for ASCII-only text)."""
    n = non_ascii_count(text)
    if not n:
        return 1.0
    return len(_common_re().findall(text)) / n


def script_share(text: str, script: str) -> float:
    n = non_ascii_count(text)
    return len(_SCRIPTS[script].findall(text)) / n if n else 0.0


def latin_share(text: str) -> float:
    """Share of the non-ASCII characters that are accented letters next to an ASCII letter."""
    n = non_ascii_count(text)
    return len(_LATIN_IN_WORD.findall(text)) / n if n else 0.0


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


def word_coverage(text: str, *, limit: int = SAMPLE_CHARS) -> float:
    """Share of the Han characters (the first ``limit``) covered by dictionary words of two
    or more characters, by greedy longest match (0.0 when there is no Han character).
    Traditional text is measured in its Simplified form (the dictionary is Simplified)."""
    from .wordmodel import word_freq

    text = _t2s().convert(text[: 4 * limit])
    covered = total = 0
    for m in _HAN_RUN.finditer(text):
        run = m.group()
        if total >= limit:
            break
        run = run[: limit - total]
        total += len(run)
        i = 0
        while i < len(run) - 1:
            for j in range(min(len(run), i + _MAX_WORD), i + 1, -1):
                if word_freq(run[i:j]):
                    covered += j - i
                    i = j
                    break
            else:
                i += 1
    return covered / total if total else 0.0


def chinese_score(text: str) -> float:
    """How much ``text`` reads as Chinese prose, in [0, 1]: common characters and words."""
    sample = text if len(text) <= 4 * SAMPLE_CHARS else text[: 4 * SAMPLE_CHARS]
    common = common_share(sample)
    if common < WORDS_FROM:  # words cannot lift it above a real reading: skip the dictionary
        return COMMON_WEIGHT * common
    return COMMON_WEIGHT * common + WORDS_WEIGHT * word_coverage(sample)
