"""Word frequencies from jieba's dictionary, and what the repair's word model reads of them.

The tables are :mod:`cleaning.vocab`'s (built once into a cache directory, memory-mapped,
opened on first use): one look-up (:func:`lookup`) answers "word" (its frequency) and
"prefix of a word"; :func:`is_place` reads the tags (place names, ``ns``); :func:`following`
what completes a word. Log probabilities are cached: :func:`word_logp` per word,
:func:`char_logp` per character (with fixed figures for punctuation, ASCII and unknown
characters), :func:`boundary_logp` (jieba's HMM: how likely a character ends or begins a
word). The tear repair's score built on them is :mod:`cleaning.repair.readings`';
:func:`text_logprob` scores a whole string (the best unigram segmentation's log probability,
the idea behind jieba's own route search, less penalties for unbalanced quotes and doubled
clause marks), for the mojibake and Traditional decisions; with ``wide`` (the mojibake
repair's choice of lost bytes) it also knows the words of the ``wordfreq`` package's Chinese
list and person names.

Detection (:func:`word_freq`, :func:`is_place`) opens only the ``words`` table; the
repair's vocabularies (``wide``, ``names``, ``usage``, ``follow``, ``hmm``) are opened by the
functions that need them, which only a damaged page calls (:data:`cleaning.vocab.LOADS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast

from cleaning import vocab
from cleaning.vocab import COMMON_WORD_FREQ as COMMON_WORD_FREQ  # noqa: F401  (the word model's figure, readings.py reads it here)

from .params import (  # the word model's figures, read here by readings, readstate and the tests
    ASCII_LOGP as ASCII_LOGP,
    HMM_FLOOR_LOGP,
    OTHER_PUNCT_LOGP,
    PUNCT_LOGP,
    PUNCT_PAIR_COST as PUNCT_PAIR_COST,
    QUOTE_COST as QUOTE_COST,
    SEGMENT_COST as SEGMENT_COST,
    UNKNOWN_LOGP,
)

#: Clause marks: a word ends before one and starts after it; two in a row cost PUNCT_PAIR_COST.
CLAUSE_MARKS = frozenset("，。、；：？！,;")


def _totals() -> tuple[float, int]:
    t = vocab.small("totals")
    return t["log_total"], t["max_len"]


@lru_cache(maxsize=1 << 16)
def lookup(text: str) -> int:
    """``freq << 1 | p`` of ``text``: its frequency as a word (0 when it is none) and ``p``, 1
    when a longer dictionary word starts with it; 0 when it is neither (cached: the repair's
    searches ask for the same strings again and again)."""
    words = vocab.table("words")
    i = words.id(text)
    return 0 if i is None else cast("memoryview[int]", words.values)[i]  # cast: words has a typecode (I)


def word_freq(word: str) -> int:
    """jieba's frequency of ``word`` (0 when absent)."""
    return lookup(word) >> 1


@lru_cache(maxsize=1)
def max_word_len() -> int:
    """The longest word considered (at most 8 characters; the tables are read once per process)."""
    return _totals()[1]


def is_prefix(text: str) -> bool:
    """Whether some dictionary word is longer than ``text`` and starts with it."""
    return bool(lookup(text) & 1)


_EMPTY: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


@lru_cache(maxsize=1 << 15)
def following(start: str) -> tuple[frozenset[str], frozenset[str]]:
    """What completes ``start`` (one or two characters) into a common word (frequency at least
    COMMON_WORD_FREQ) of two or three characters: (the one characters, the pairs); for two
    characters only the one characters (pairs empty)."""
    done = vocab.table("follow").trie.keys(start + "\0")
    if not done:
        return _EMPTY
    cut = len(start) + 1
    return (
        frozenset(k[cut:] for k in done if len(k) == cut + 1),
        frozenset(k[cut:] for k in done if len(k) == cut + 2),
    )


@lru_cache(maxsize=262144)
def word_logp(word: str) -> float:
    """log P(word) of a dictionary word (its frequency over the total); cached."""
    f = lookup(word) >> 1
    if not f:
        raise KeyError(word)
    return math.log(f) - _totals()[0]


def is_place(word: str) -> bool:
    """Whether jieba's dictionary tags ``word`` as a place name (``ns``)."""
    words = vocab.table("words")
    i = words.id(word)
    return i is not None and bool(words.flags[i] & vocab.PLACE)


def char_usage(ch: str) -> int:
    """How often ``ch`` is used in text: the summed frequency of the dictionary words that
    contain it (示 is rare as a word of its own but common in 表示, 显示...)."""
    return cast(int, vocab.small("usage")["chars"].get(ch, 0))  # cast: usage.json, as vocab.build writes it


def char_usages(chars: Iterable[str]) -> list[int]:
    """:func:`char_usage` of each of ``chars``, the table read once."""
    usage = vocab.small("usage")["chars"]
    return [cast(int, usage.get(ch, 0)) for ch in chars]  # cast: usage.json, as vocab.build writes it


def total_usage() -> int:
    """The sum of :func:`char_usage` over all characters."""
    return cast(int, vocab.small("usage")["total"])  # cast: usage.json, as vocab.build writes it


@lru_cache(maxsize=65536)
def char_logp(ch: str) -> float:
    """log P of one character as a word of its own (fixed figures for punctuation, ASCII,
    characters the dictionary lacks); cached."""
    f = lookup(ch) >> 1
    if f:
        return math.log(f) - _totals()[0]
    if ch.isascii():
        return ASCII_LOGP
    if ch in PUNCT_LOGP:
        return PUNCT_LOGP[ch]
    if ch in "‘’—…·「」":
        return OTHER_PUNCT_LOGP
    return UNKNOWN_LOGP


@lru_cache(maxsize=65536)
def boundary_logp(ch: str, states: str) -> float:
    """log P(states | ch) from jieba's HMM emission table (uniform state prior)."""
    vals = {k: math.exp(vocab.table(f"hmm_{k}").get(ch, HMM_FLOOR_LOGP)) for k in vocab.HMM_STATES}
    total = sum(vals.values())
    if total <= 0:
        return 0.0
    return math.log(sum(vals[k] for k in states) / total)


def _names() -> list[dict[str, float]]:
    """From the person names of jieba's dictionary (tag ``nr``, two or three characters): log P
    of a name beginning with each surname, and log P of each character of a given name
    (:func:`cleaning.vocab._name_tables`)."""
    return cast("list[dict[str, float]]", vocab.small("names"))  # cast: names.json, as vocab.build writes it


class _Wide:
    """The words of jieba's dictionary and of the ``wordfreq`` package's Chinese list (word
    frequencies measured on large corpora: subtitles, Wikipedia, news, books; it has 叶芝, 小九九,
    有戏, which jieba's lacks, and rates 地铁 above 地道, 吗 above 南), words of one to eight Han
    characters: word -> log P, wordfreq's where it has the word (measured, where jieba's
    figures are partly set by hand), else jieba's; a prefix of a longer word -> None."""

    def __init__(self, table: vocab.Table):
        # cast: the wide table has a typecode (d)
        self.id, self.values = table.id, cast("memoryview[float]", table.values)

    def get(self, key: str, default: object = None) -> Any:  # Any: a float, None (a prefix) or ``default`` (a sentinel)
        i = self.id(key)
        if i is None:
            return default
        v = self.values[i]
        return None if v != v else v  # NaN: a prefix only


_WIDE: _Wide | None = None


def _wide() -> _Wide:
    global _WIDE
    if _WIDE is None:
        _WIDE = _Wide(vocab.table("wide"))
    return _WIDE


_ABSENT = object()


def text_logprob(text: str, open_quotes: int = 0, wide: bool = False) -> float:
    """Log probability of the best segmentation of ``text`` into dictionary words, less
    penalties for unbalanced quotes (``open_quotes``: “ already open before ``text``) and for
    two clause marks in a row (``。，``). With ``wide``, the words are also those of the
    ``wordfreq`` package (:func:`_wide`), and a segment may be a person name the dictionary
    lacks: a surname and one or two given-name characters (:func:`_names`)."""
    max_len = _totals()[1]
    n = len(text)
    best = [0.0] * (n + 1)
    sur, given = _names() if wide else ({}, {})
    table = _wide() if wide else None
    for i in range(n - 1, -1, -1):
        if text[i].isascii() and text[i].isalnum():
            # A Latin word or a number is one segment, whatever its length.
            j = i + 1
            while j < n and text[j].isascii() and text[j].isalnum():
                j += 1
            if j - i > 1:
                best[i] = ASCII_LOGP - SEGMENT_COST + best[j]
                continue
        single = table.get(text[i]) if table is not None else None
        score = (single if single is not None else char_logp(text[i])) - SEGMENT_COST + best[i + 1]
        for j in range(i + 2, min(n, i + max_len) + 1):
            # log P of text[i:j] as a word, None for a prefix of one; neither: no longer one is either
            if table is not None:
                logp = table.get(text[i:j], _ABSENT)
                if logp is _ABSENT:
                    break
            else:
                packed = lookup(text[i:j])
                if not packed:
                    break
                logp = word_logp(text[i:j]) if packed >> 1 else None
            if logp is not None and logp - SEGMENT_COST + best[j] > score:
                score = logp - SEGMENT_COST + best[j]
        if text[i] in sur:
            cand = sur[text[i]] - SEGMENT_COST
            for j in range(i + 1, min(n, i + 3)):
                g = given.get(text[j])
                if g is None:
                    break
                cand += g - SEGMENT_COST  # each character a segment, as if it were a word
                if cand + best[j + 1] > score:
                    score = cand + best[j + 1]
        best[i] = score
    return best[0] - _quote_penalty(text, open_quotes) - _punct_penalty(text) - _boundary_penalty(text)


def _boundary_penalty(text: str) -> float:
    """A clause mark ends a word before it and starts one after it: charge the characters
    around each mark by how unlikely they are to end (E/S) or begin (B/S) a word."""
    pen = 0.0
    for i, ch in enumerate(text):
        if ch in CLAUSE_MARKS:
            if i > 0 and "\u4e00" <= text[i - 1] <= "\u9fff":
                pen -= boundary_logp(text[i - 1], "ES")
            if i + 1 < len(text) and "\u4e00" <= text[i + 1] <= "\u9fff":
                pen -= boundary_logp(text[i + 1], "BS")
    return pen


def _punct_penalty(text: str) -> float:
    """PUNCT_PAIR_COST per pair of adjacent clause marks (``。，``), which good text does not have."""
    bad = 0
    prev = ""
    for ch in text:
        if ch in CLAUSE_MARKS and prev in CLAUSE_MARKS:
            bad += 1
        prev = ch
    return PUNCT_PAIR_COST * bad


def _quote_penalty(text: str, depth: int = 0) -> float:
    """QUOTE_COST per closing quote without an opening one."""
    if "“" not in text and "”" not in text:
        return 0.0
    bad = 0
    for ch in text:
        if ch == "“":
            depth += 1
        elif ch == "”":
            if depth:
                depth -= 1
            else:
                bad += 1
    return QUOTE_COST * bad
