"""Word frequencies from jieba's dictionary, and what the repair's word model reads of them.

The dictionary (``jieba/dict.txt``: ``word freq tag`` per line) is read lazily, once, and
so is each table made of it (word prefixes, what completes a word, characters' use); its
place names (tag ``ns``) answer :func:`is_place`. Log probabilities are cached:
:func:`word_logp` per word, :func:`char_logp` per character (with fixed figures for
punctuation, ASCII and unknown characters), :func:`boundary_logp` (jieba's HMM: how likely a
character ends or begins a word). The tear repair's score built on them is
:mod:`cleaning.repair.readings`'; :func:`text_logprob` scores a whole string (the best
unigram segmentation's log probability, the idea behind jieba's own route search, less
penalties for unbalanced quotes and doubled clause marks), for the mojibake and
Traditional decisions; with ``wide`` (the mojibake repair's choice of lost bytes) it also
knows the words of the ``wordfreq`` package's Chinese list and person names.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

_LOCK = threading.Lock()
_FREQ: dict[str, int] | None = None
_PLACES: frozenset[str] = frozenset()
_PERSONS: tuple[str, ...] = ()  # the person names (tag nr) of two or three characters
_LOG_TOTAL = 0.0
_MAX_LEN = 1

#: Log probabilities of CJK punctuation (not in jieba's dictionary), roughly by frequency in news prose.
PUNCT_LOGP = {"，": -4.0, "。": -4.5, "、": -6.0, "“": -6.0, "”": -6.0, "：": -7.0, "；": -8.0,
              "？": -8.5, "！": -9.0, "（": -8.0, "）": -8.0, "《": -7.5, "》": -7.5}
OTHER_PUNCT_LOGP = -10.0
SEGMENT_COST = 2.5  # per word: prefer readings made of fewer, longer dictionary words
ASCII_LOGP = -6.0
UNKNOWN_LOGP = -19.0  # a character absent from the dictionary
#: Clause marks: a word ends before one and starts after it; two in a row cost PUNCT_PAIR_COST.
CLAUSE_MARKS = frozenset("，。、；：？！,;")
PUNCT_PAIR_COST = 6.0
#: A closing quote without an opening one.
QUOTE_COST = 4.0


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
    global _FREQ, _LOG_TOTAL, _MAX_LEN, _PLACES, _PERSONS
    if _FREQ is not None:  # the usual case: no lock to take
        return _FREQ
    with _LOCK:
        if _FREQ is None:
            freq: dict[str, int] = {}
            places: set[str] = set()
            persons: list[str] = []
            with open(_dict_path(), encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split(" ")
                    if len(parts) >= 2 and parts[1].strip().isdigit():
                        freq[parts[0]] = int(parts[1])
                        tag = parts[2].strip() if len(parts) >= 3 else ""
                        if tag == "ns":
                            places.add(parts[0])
                        elif tag == "nr" and 2 <= len(parts[0]) <= 3:
                            persons.append(parts[0])
            _PLACES = frozenset(places)
            _PERSONS = tuple(persons)
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


def is_place(word: str) -> bool:
    """Whether jieba's dictionary tags ``word`` as a place name (``ns``)."""
    _load()
    return word in _PLACES


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


_TOTAL_USAGE: int | None = None


def total_usage() -> int:
    """The sum of :func:`char_usage` over all characters."""
    global _TOTAL_USAGE
    if _TOTAL_USAGE is None:
        char_usage("")  # builds _USAGE
        _TOTAL_USAGE = sum(_USAGE.values()) or 1
    return _TOTAL_USAGE


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


_NAMES: tuple[dict[str, float], dict[str, float]] | None = None
#: A character seen this rarely as a surname (or in given names) is none.
NAME_MIN_COUNT = 20


def _names() -> tuple[dict[str, float], dict[str, float]]:
    """From the person names of jieba's dictionary (tag ``nr``, two or three characters): log P
    of a name beginning with each surname, and log P of each character of a given name; the
    first includes how often a word of text is a name at all (their summed frequency over the
    total). Counted over names, not their frequencies: a famous name is one name."""
    global _NAMES
    if _NAMES is None:
        freq = _load()  # first, outside the lock it takes
        with _LOCK:
            if _NAMES is None:
                sur: dict[str, int] = {}
                given: dict[str, int] = {}
                name_freq = 0
                for w in _PERSONS:
                    name_freq += freq[w] >> 1
                    sur[w[0]] = sur.get(w[0], 0) + 1
                    for c in w[1:]:
                        given[c] = given.get(c, 0) + 1
                n_sur, n_given = sum(sur.values()) or 1, sum(given.values()) or 1
                share = math.log(max(1, name_freq)) - _LOG_TOTAL
                _NAMES = ({c: share + math.log(k / n_sur) for c, k in sur.items() if k >= NAME_MIN_COUNT},
                          {c: math.log(k / n_given) for c, k in given.items() if k >= NAME_MIN_COUNT})
    return _NAMES


_WIDE: dict[str, float | None] | None = None


def _wide() -> dict[str, float | None]:
    """The words of jieba's dictionary and of the ``wordfreq`` package's Chinese list (word
    frequencies measured on large corpora: subtitles, Wikipedia, news, books; it has 叶芝, 小九九,
    有戏, which jieba's lacks, and rates 地铁 above 地道, 吗 above 南), words of one to eight Han
    characters: word -> log P, wordfreq's where it has the word (measured, where jieba's
    figures are partly set by hand), else jieba's; a prefix of a longer word -> None."""
    global _WIDE
    if _WIDE is None:
        freq = _load()
        from wordfreq import get_frequency_dict

        with _LOCK:
            if _WIDE is None:
                wide: dict[str, float | None] = {}
                for w, f in get_frequency_dict("zh", wordlist="large").items():
                    if 1 <= len(w) <= _MAX_LEN and all("\u4e00" <= c <= "\u9fff" for c in w) and f > 0:
                        wide[w] = math.log(f)
                for w, packed in freq.items():
                    if len(w) >= 2 and packed >> 1:
                        logp = math.log(packed >> 1) - _LOG_TOTAL
                        wide.setdefault(w, logp)
                for w in list(wide):
                    for k in range(2, len(w)):
                        wide.setdefault(w[:k], None)
                _WIDE = wide
    return _WIDE


_ABSENT = object()


def text_logprob(text: str, open_quotes: int = 0, wide: bool = False) -> float:
    """Log probability of the best segmentation of ``text`` into dictionary words, less
    penalties for unbalanced quotes (``open_quotes``: “ already open before ``text``) and for
    two clause marks in a row (``。，``). With ``wide``, the words are also those of the
    ``wordfreq`` package (:func:`_wide`), and a segment may be a person name the dictionary
    lacks: a surname and one or two given-name characters (:func:`_names`)."""
    freq = _load()
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
        for j in range(i + 2, min(n, i + _MAX_LEN) + 1):
            # log P of text[i:j] as a word, None for a prefix of one; neither: no longer one is either
            if table is not None:
                logp = table.get(text[i:j], _ABSENT)
                if logp is _ABSENT:
                    break
            else:
                packed = freq.get(text[i:j], 0)
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
