"""Word frequencies from jieba's dictionary, and what the repair's word model reads of them.

The dictionary (``jieba/dict.txt``: ``word freq tag`` per line) is read lazily, once, and
so is each table made of it (word prefixes, what completes a word, characters' use). Log
probabilities are cached: :func:`word_logp` per word, :func:`char_logp` per character (with
fixed figures for punctuation, ASCII and unknown characters), :func:`boundary_logp` (jieba's
HMM: how likely a character ends or begins a word). The score built on them is
:mod:`pipelines.repair.readings`'.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

_LOCK = threading.Lock()
_FREQ: dict[str, int] | None = None
_LOG_TOTAL = 0.0
_MAX_LEN = 1

#: Log probabilities of CJK punctuation (not in jieba's dictionary), roughly by frequency in news prose.
PUNCT_LOGP = {"，": -4.0, "。": -4.5, "、": -6.0, "“": -6.0, "”": -6.0, "：": -7.0, "；": -8.0,
              "？": -8.5, "！": -9.0, "（": -8.0, "）": -8.0, "《": -7.5, "》": -7.5}
OTHER_PUNCT_LOGP = -10.0
SEGMENT_COST = 2.5  # per word: prefer readings made of fewer, longer dictionary words
ASCII_LOGP = -6.0
UNKNOWN_LOGP = -19.0  # a character absent from the dictionary


def _dict_path() -> str:
    import jieba

    f = jieba.get_dict_file()
    try:
        return f.name
    finally:
        f.close()


def _load() -> dict[str, int]:
    """The dictionary, with the prefixes of its words: word or prefix -> ``freq << 1 | p``
    (``p``: a longer word starts with it; a prefix only has frequency 0), so that one look-up
    answers both (:func:`lookup`)."""
    global _FREQ, _LOG_TOTAL, _MAX_LEN
    if _FREQ is not None:  # the usual case: no lock to take
        return _FREQ
    with _LOCK:
        if _FREQ is None:
            freq: dict[str, int] = {}
            with open(_dict_path(), encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split(" ")
                    if len(parts) >= 2 and parts[1].strip().isdigit():
                        freq[parts[0]] = int(parts[1])
            total = sum(freq.values()) or 1
            max_len = min(8, max(len(w) for w in freq))
            packed = {w: f << 1 for w, f in freq.items()}
            for w in freq:
                for k in range(1, min(len(w), max_len)):
                    packed[w[:k]] = packed.get(w[:k], 0) | 1
            _LOG_TOTAL = math.log(total)
            _MAX_LEN = max_len
            _FREQ = packed
    return _FREQ


def lookup(text: str) -> int:
    """``freq << 1 | p`` of ``text``: its frequency as a word (0 when it is none) and ``p``, 1
    when a longer dictionary word starts with it; 0 when it is neither."""
    return (_FREQ if _FREQ is not None else _load()).get(text, 0)


def word_freq(word: str) -> int:
    """jieba's frequency of ``word`` (0 when absent)."""
    return (_FREQ if _FREQ is not None else _load()).get(word, 0) >> 1


def max_word_len() -> int:
    """The longest word considered (at most 8 characters)."""
    _load()
    return _MAX_LEN


def is_prefix(text: str) -> bool:
    """Whether some dictionary word is longer than ``text`` and starts with it."""
    return bool((_FREQ if _FREQ is not None else _load()).get(text, 0) & 1)


#: Words this frequent count as words for the repair's word checks.
COMMON_WORD_FREQ = 20
_FOLLOWING: dict[str, tuple[frozenset, frozenset]] | None = None
_EMPTY = (frozenset(), frozenset())


def following(start: str) -> tuple[frozenset[str], frozenset[str]]:
    """What completes ``start`` (one or two characters) into a common word (frequency at least
    COMMON_WORD_FREQ) of two or three characters: (the one characters, the pairs); for two
    characters only the one characters (pairs empty)."""
    global _FOLLOWING
    if _FOLLOWING is None:
        with _LOCK:
            if _FOLLOWING is None:
                ones: dict[str, set] = {}
                twos: dict[str, set] = {}
                for w, f in _load().items():
                    if f >> 1 >= COMMON_WORD_FREQ and 2 <= len(w) <= 3:
                        ones.setdefault(w[:-1], set()).add(w[-1])
                        if len(w) == 3:
                            twos.setdefault(w[0], set()).add(w[1:])
                _FOLLOWING = {k: (frozenset(ones.get(k, ())), frozenset(twos.get(k, ())))
                              for k in set(ones) | set(twos)}
    return _FOLLOWING.get(start, _EMPTY)


@lru_cache(maxsize=262144)
def word_logp(word: str) -> float:
    """log P(word) of a dictionary word (its frequency over the total); cached."""
    return math.log(_load()[word] >> 1) - _LOG_TOTAL


_USAGE: dict[str, int] | None = None


def char_usage(ch: str) -> int:
    """How often ``ch`` is used in text: the summed frequency of the dictionary words that
    contain it (示 is rare as a word of its own but common in 表示, 显示...)."""
    global _USAGE
    if _USAGE is None:
        usage: dict[str, int] = {}
        for word, f in _load().items():
            if f >> 1:
                for c in set(word):
                    usage[c] = usage.get(c, 0) + (f >> 1)
        _USAGE = usage
    return _USAGE.get(ch, 0)


@lru_cache(maxsize=65536)
def char_logp(ch: str) -> float:
    """log P of one character as a word of its own (fixed figures for punctuation, ASCII,
    characters the dictionary lacks); cached."""
    return _char_logp(ch, _load())


def _char_logp(ch: str, freq: dict[str, int]) -> float:
    f = freq.get(ch, 0) >> 1
    if f:
        return math.log(f) - _LOG_TOTAL
    if ch.isascii():
        return ASCII_LOGP
    if ch in PUNCT_LOGP:
        return PUNCT_LOGP[ch]
    if ch in "‘’—…·「」":
        return OTHER_PUNCT_LOGP
    return UNKNOWN_LOGP


_EMIT = None


@lru_cache(maxsize=65536)
def boundary_logp(ch: str, states: str) -> float:
    """log P(states | ch) from jieba's HMM emission table (uniform state prior)."""
    global _EMIT
    if _EMIT is None:
        from jieba.finalseg import emit_P

        _EMIT = emit_P
    vals = {k: math.exp(_EMIT[k].get(ch, -20.0)) for k in "BMES"}
    total = sum(vals.values())
    if total <= 0:
        return 0.0
    return math.log(sum(vals[k] for k in states) / total)
