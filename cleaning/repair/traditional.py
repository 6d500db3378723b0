"""Traditional -> Simplified, only for text that was converted to Traditional.

**Detection** (:func:`is_converted_traditional`) counts two kinds of characters:

* *Traditional forms*: characters OpenCC ``t2s`` changes (這 們 說 國 …, but also 乾 昇 蒐 祕
  氾 麽, which Simplified text uses too: 乾县, 毕昇, 蒐集, 祕鲁);
* *Simplified-only forms*: characters OpenCC ``s2t`` changes that Big5 cannot even encode
  (这 们 说 过 还 …): a Traditional converter never leaves many of them.

Text is converted Traditional when Traditional forms are at least ``MIN_CHANGED`` and
``MIN_RATIO`` of its Han characters, and Simplified-only forms are at most ``MAX_SIMPLIFIED``
of the Traditional ones. Simplified text that uses 乾 昇 蒐 著 is full of Simplified-only
characters, so detection never fires on it (著 is not even a Traditional form: t2s keeps it).

**Conversion** (:func:`to_simplified`) detects which converter made the text: the outputs of
OpenCC's own ``t2s``, ``tw2sp`` (Taiwan phrases: 程式 -> 程序, 機率 -> 概率, 水準 -> 水平,
教育訓練 -> 培训) and ``hk2s`` (Hong Kong variants) are compared sentence by sentence with jieba's
word model (:func:`wordmodel.text_logprob` with the wide vocabulary, which knows 通信 and 范式;
after the 著 fix below), and a phrase converter wins only by ``PHRASE_GAIN`` per differing
sentence on average (``t2s`` is the default). Then every 著 left is decided
by the word it forms (:func:`fix_zhe`): it stays 著 when a dictionary word written with 著
(著名, 著作, 显著, 土著) is at least as frequent as the same word written with 着, and becomes
the particle 着 otherwise (随着, 意味着, 着装, and 散落着 where no word forms at all).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # opencc has no type information: an Any to mypy
    from opencc import OpenCC

from cleaning.lazyre import LazyPattern, lazy

from .charsets import CJK_RE
from .params import MAX_SIMPLIFIED, MIN_CHANGED, MIN_RATIO, PHRASE_GAIN  # the tuned figures live in params

CONVERTERS = ("t2s", "tw2sp", "hk2s")
_SENTENCE = re.compile(r"[^。！？；\n]*[。！？；\n]?")


@lru_cache(maxsize=4)
def _converter(config: str) -> OpenCC:
    import opencc

    return opencc.OpenCC(config)


@lru_cache(maxsize=1)
def _forms() -> tuple[LazyPattern, LazyPattern]:
    """Regexes of the Traditional forms and of the Simplified-only forms (module doc), from
    :mod:`cleaning.vocab`'s table of what OpenCC's ``t2s`` and ``s2t`` change; each compiled
    when first used (most text has too few Traditional forms to count the others)."""
    from cleaning import vocab

    forms = vocab.small("scripts")
    return (
        lazy("[" + re.escape(forms["traditional"]) + "]"),
        lazy("[" + re.escape(forms["simplified_only"]) + "]"),
    )


def counts(text: str) -> tuple[int, int, int]:
    """(Han characters, Traditional forms, Simplified-only forms) of ``text``."""
    trad, simp = _forms()
    return len(CJK_RE.findall(text)), len(trad.findall(text)), len(simp.findall(text))


def is_converted_traditional(text: str) -> bool:
    """Whether ``text`` reads as Simplified text converted to Traditional (module doc)."""
    trad_re, simp_re = _forms()
    trad = len(trad_re.findall(text))
    if trad < MIN_CHANGED:  # most text: the Han characters need no counting
        return False
    han = len(CJK_RE.findall(text))
    return han > 0 and trad / han >= MIN_RATIO and len(simp_re.findall(text)) <= MAX_SIMPLIFIED * trad


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def detect_converter(text: str) -> str:
    """Which of :data:`CONVERTERS` undoes ``text`` best (module doc)."""
    from .wordmodel import text_logprob

    base = fix_zhe(_converter("t2s").convert(text))
    best, best_gain = "t2s", 0.0
    base_sents = _sentences(base)
    for config in CONVERTERS[1:]:
        out = fix_zhe(_converter(config).convert(text))
        if out == base:
            continue
        sents = _sentences(out)
        if len(sents) != len(base_sents):
            sents, base_s = [out], [base]
        else:
            base_s = base_sents
        gain, differing = 0.0, 0
        for a, b in zip(base_s, sents):
            if a != b:
                differing += 1
                gain += text_logprob(b[:400], wide=True) - text_logprob(a[:400], wide=True)
        if differing and gain > PHRASE_GAIN * differing and gain > best_gain:
            best, best_gain = config, gain
    return best


def fix_zhe(text: str) -> str:
    """著 -> 着 unless 著 forms a dictionary word that is written with 著 (module doc)."""
    if "著" not in text:
        return text
    from .wordmodel import word_freq

    chars = list(text)
    i = text.find("著")
    while i >= 0:  # each 著 in turn (those before it decided already: its words read them so)
        with_zhu = with_zhe = 0
        for size in (2, 3, 4):
            for start in range(i - size + 1, i + 1):
                if start < 0 or start + size > len(chars):
                    continue
                word = "".join(chars[start : start + size])
                with_zhu = max(with_zhu, word_freq(word))
                with_zhe = max(with_zhe, word_freq(word.replace("著", "着")))
        if not (with_zhu and with_zhu >= with_zhe):
            chars[i] = "着"
        i = text.find("著", i + 1)
    return "".join(chars)


def to_simplified(text: str, *, converter: str | None = None) -> str:
    """Convert Traditional text to Simplified (module doc); ``converter`` forces one of
    :data:`CONVERTERS`."""
    config = converter or detect_converter(text)
    return fix_zhe(_converter(config).convert(text))


def query_forms(term: str) -> list[str]:
    """``term`` and its Simplified forms (every converter's output, 著 decided, Taiwan phrases
    such as 晶片 -> 芯片 and 人工智慧 -> 人工智能 included), without repeats: what a search word
    typed in Traditional characters is looked for as. A Simplified term gives only itself."""
    forms = [term]
    if not CJK_RE.search(term):
        return forms
    for config in CONVERTERS:
        out = fix_zhe(_converter(config).convert(term))
        if out not in forms:
            forms.append(out)
    return forms
