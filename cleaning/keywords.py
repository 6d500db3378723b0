"""The keywords of one article: jieba's TF-IDF (``jieba.analyse``) over its title, summary
and body, with a stop-word list kept as data (``cleaning/stopwords_zh.txt``).

The words come from **rjieba** (the Python binding of jieba-rs, with jieba's dictionary and
HMM: the same Chinese words, about ten times faster; a Latin name with a hyphen such as
``DeepSeek-R1`` stays whole where jieba splits it); they are weighted with jieba's own IDF
table exactly as ``jieba.analyse.TFIDF.extract_tags`` weighs them
(``tests/test_analysis_trends.py`` checks that both rank the Chinese words alike).

Pure: the same text always gives the same keywords, best first. The title counts
:data:`TITLE_WEIGHT` times (a headline names the subject), words of one character,
stop words and words without a letter (numbers, percentages, dates) are left out, and so are
what a number leaves behind when it is cut (:func:`numeral_leftovers`: ``颗卫星`` of
``3颗卫星``, ``余家`` of ``450余家``, ``片晶`` of ``12片晶圆``), vague quantities (``多家``)
and a title's column label (``特稿｜``, ``科创板观察｜``).
The chain (:mod:`cleaning.document`) stores the result on the record as it cleans it;
the count is part of the cleaner's output (``domain.record.CLEANER_VERSION``), not a
setting.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

#: Keywords kept per article.
KEYWORDS_PER_ARTICLE = 10
#: How many times the title is counted beside the summary and the body.
TITLE_WEIGHT = 3
#: The most body characters read: the head of a long article names its subject (and a live blog
#: of 100,000 characters would cost 40 ms to segment).
MAX_CHARS = 5_000

STOPWORDS_FILE = Path(__file__).with_name("stopwords_zh.txt")

_LETTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z]")
#: A number as segmentation cuts it: digits (with a decimal point, a percent sign) or Chinese numerals.
_NUMBER = re.compile(r"[0-9０-９.．,，%％]*[0-9０-９][0-9０-９.．,，%％]*|[零〇一二两三四五六七八九十百千万亿几数]+")
#: A vague quantity or an amount: "more than / some" or a numeral and a measure word or a currency
#: (余家, 多位, 数十名, 几款, 千亿元, 亿美元).
_QUANTITY = re.compile(r"[余多几数十百千万亿]+(?:[个家位名款项颗枚台辆架只条种批轮次件篇座所支元]|美元)")
#: A title's column label: ``特稿｜``, ``科创板观察｜``, ``10%公司｜`` (a short label before a bar).
_COLUMN_PREFIX = re.compile(r"^[^｜|]{1,8}[｜|]\s*")
_LOCK = threading.Lock()
_EXTRACTOR = None


def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    """The stop words of ``path``: one a line, blank lines and ``#`` comments skipped."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(word.lower())
    return frozenset(words)


class _Weights:
    """What :func:`tfidf_words` weighs words with: jieba's IDF table (``idf_freq``, read from
    :mod:`cleaning.vocab`'s memory-mapped copy of ``jieba/analyse/idf.txt``), its median for
    words the table lacks, and the stop words (jieba's own and ours), as
    ``jieba.analyse.TFIDF`` holds them: no second copy of jieba's dictionary is loaded.

    What is decided of a word alone is kept per process (:meth:`judge`): whether it is
    counted, its weight, whether it may be a keyword; the trie and the regexes are asked once
    per word, not once per article (at most :data:`JUDGED` words, then it starts again)."""

    def __init__(self) -> None:
        from cleaning import vocab

        self.idf_freq = vocab.table("idf")
        self.median_idf = vocab.small("totals")["idf_median"]
        self.stop_words = set(vocab.small("stopwords")) | set(load_stopwords())
        self.judged: dict[str, tuple[float | None, bool, bool]] = {}

    def judge(self, word: str) -> tuple[float | None, bool, bool]:
        """``(weight, keyword, number)``: the IDF weight when TF-IDF counts ``word`` (None when it
        does not: one character, a stop word), whether it may be a keyword (:func:`is_keyword`,
        and not a number or a quantity by its shape), whether it is a number."""
        got = self.judged.get(word)
        if got is None:
            if len(self.judged) >= JUDGED:
                self.judged.clear()
            counted = len(word.strip()) >= 2 and word.lower() not in self.stop_words
            number = bool(_NUMBER.fullmatch(word))
            keyword = is_keyword(word, self.stop_words) and not (number or _QUANTITY.fullmatch(word))
            got = (self.idf_freq.get(word, self.median_idf) if counted else None, keyword, number)
            self.judged[word] = got
        return got


#: Words whose judgement a process keeps (:meth:`_Weights.judge`): ~3 MB.
JUDGED = 20_000


def _extractor() -> _Weights:
    """The keyword weights (one per process, built on first use)."""
    global _EXTRACTOR
    if _EXTRACTOR is None:
        with _LOCK:
            if _EXTRACTOR is None:
                _EXTRACTOR = _Weights()
    return _EXTRACTOR


def is_keyword(word: str, stopwords: frozenset[str] | set[str]) -> bool:
    """Whether ``word`` may be a keyword: two characters or more, a letter (CJK or Latin) in
    it, not a stop word."""
    w = word.strip()
    return len(w) >= 2 and bool(_LETTER.search(w)) and w.lower() not in stopwords


def numeral_leftovers(
    tokens: list[str], counts: Counter[str] | None = None, numbers: set[str] | None = None
) -> set[str]:
    """The words that only ever follow a number: what segmentation leaves of a measure or a
    quantity (``3颗卫星`` → ``颗卫星``, ``450余家`` → ``余家``, ``12片晶圆`` → ``片晶``,
    ``千次连续`` → ``次连续``), never the subject of an article. ``counts`` (of ``tokens``) and
    ``numbers`` (those of its words that are numbers) when the caller has them."""
    counts = Counter(tokens) if counts is None else counts
    numbers = {word for word in counts if _NUMBER.fullmatch(word)} if numbers is None else numbers
    if not numbers:
        return set()
    after = Counter(tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] in numbers)
    return {word for word, n in after.items() if n == counts[word]}  # no occurrence elsewhere


def tfidf_words(text: str, tfidf: _Weights | None = None, tokens: list[str] | None = None) -> list[str]:
    """The words of ``text`` (or of its ``tokens``, already cut) by TF-IDF, best first, ties in
    order of first occurrence: what ``jieba.analyse.TFIDF.extract_tags(text, topK=None)``
    returns, with rjieba's words."""
    import rjieba

    tfidf = tfidf or _extractor()
    counts = Counter(tokens if tokens is not None else rjieba.cut(text))
    freq = _scores(counts, _judged(counts, tfidf))
    return sorted(freq, key=freq.__getitem__, reverse=True)


def _scores(counts: Counter[str], judged: dict[str, tuple[float | None, bool, bool]]) -> dict[str, float]:
    """Each counted word's TF-IDF, in order of first occurrence (``counts``' order); ``judged``:
    :meth:`_Weights.judge` of each word."""
    weights = {word: w for word, (w, _, _) in judged.items() if w is not None}
    total = float(sum(counts[word] for word in weights))
    return {word: float(counts[word]) * (w / total) for word, w in weights.items()}


def _judged(counts: Counter[str], tfidf: _Weights) -> dict[str, tuple[float | None, bool, bool]]:
    """:meth:`_Weights.judge` of each word of ``counts``, in its order."""
    known, judge = tfidf.judged, tfidf.judge
    return {word: known.get(word) or judge(word) for word in counts}


def extract_keywords(
    title: str, summary: str = "", paragraphs: list[str] | tuple[str, ...] = (), *, top: int = KEYWORDS_PER_ARTICLE
) -> list[str]:
    """The ``top`` keywords of an article, best first (ties in order of first occurrence);
    an empty list for an article without text."""
    import rjieba

    body = "\n".join(str(p) for p in paragraphs)[:MAX_CHARS]
    text = "\n".join([_COLUMN_PREFIX.sub("", title)] * TITLE_WEIGHT + [summary, body]).strip()
    if not text or top < 1:
        return []
    tfidf = _extractor()
    tokens = rjieba.cut(text)
    counts = Counter(tokens)
    judged = _judged(counts, tfidf)
    freq = _scores(counts, judged)
    # the keywords in tfidf_words' order: a stable sort of the words that may be one keeps it
    words = sorted((w for w in freq if judged[w][1]), key=freq.__getitem__, reverse=True)
    leftovers: set[str] | None = None
    out: list[str] = []
    for word in words:
        if word in out:
            continue
        if leftovers is None:
            leftovers = numeral_leftovers(tokens, counts, {w for w, j in judged.items() if j[2]})
        if word not in leftovers:
            out.append(word.strip())
            if len(out) == top:
                break
    return out
