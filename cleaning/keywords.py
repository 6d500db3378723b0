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
    ``jieba.analyse.TFIDF`` holds them: no second copy of jieba's dictionary is loaded."""

    def __init__(self) -> None:
        from cleaning import vocab

        self.idf_freq = vocab.table("idf")
        self.median_idf = vocab.small("totals")["idf_median"]
        self.stop_words = set(vocab.small("stopwords")) | set(load_stopwords())


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


def numeral_leftovers(tokens: list[str]) -> set[str]:
    """The words that only ever follow a number: what segmentation leaves of a measure or a
    quantity (``3颗卫星`` → ``颗卫星``, ``450余家`` → ``余家``, ``12片晶圆`` → ``片晶``,
    ``千次连续`` → ``次连续``), never the subject of an article."""
    after: set[str] = set()  # words after a number
    other: set[str] = set()  # words anywhere else
    previous = ""
    for token in tokens:
        (after if _NUMBER.fullmatch(previous) else other).add(token)
        previous = token
    return after - other


def _quantity(word: str, leftovers: set[str]) -> bool:
    """A number, a vague quantity or what a number left behind: not a subject."""
    return word in leftovers or bool(_NUMBER.fullmatch(word) or _QUANTITY.fullmatch(word))


def tfidf_words(text: str, tfidf: _Weights | None = None, tokens: list[str] | None = None) -> list[str]:
    """The words of ``text`` (or of its ``tokens``, already cut) by TF-IDF, best first, ties in
    order of first occurrence: what ``jieba.analyse.TFIDF.extract_tags(text, topK=None)``
    returns, with rjieba's words."""
    import rjieba

    tfidf = tfidf or _extractor()
    stop = tfidf.stop_words
    # each distinct word judged once (Counter keeps the order of first occurrence)
    counts = Counter(tokens if tokens is not None else rjieba.cut(text))
    freq: dict[str, float] = {
        word: float(n) for word, n in counts.items() if len(word.strip()) >= 2 and word.lower() not in stop
    }
    total = sum(freq.values())
    idf, median = tfidf.idf_freq, tfidf.median_idf
    for word in freq:
        freq[word] *= idf.get(word, median) / total
    return sorted(freq, key=freq.__getitem__, reverse=True)


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
    words = tfidf_words(text, tfidf, tokens)
    leftovers = numeral_leftovers(tokens)
    out: list[str] = []
    for word in words:
        if is_keyword(word, tfidf.stop_words) and not _quantity(word, leftovers) and word not in out:
            out.append(word.strip())
            if len(out) == top:
                break
    return out
