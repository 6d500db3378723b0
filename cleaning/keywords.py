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
the shapes a segmenter leaves of numbers and measure words (:func:`is_keyword`,
:func:`tfidf_words`): a word of numerals and measure words only (``余家`` of ``450余家``,
``千次``, ``一千万``), a word that begins with a measure word right after a number (``颗卫星``
of ``36颗卫星``, ``片晶`` of ``12片晶圆``); the title's column prefix (``特稿｜``,
``言短意长｜``) is not counted (a column, not the subject).
The chain (:mod:`cleaning.document`) stores the result on the record as it cleans it;
the count is part of the cleaner's output (``domain.record.CLEANER_VERSION``), not a
setting.
"""

from __future__ import annotations

import re
import threading
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
#: Chinese numerals and the words a number is written with.
_NUMERALS = "零〇一二三四五六七八九十百千万亿两几数多余半"
#: Measure words (量词) and units that follow a number.
_MEASURES = ("个颗家台款位名只条项份部辆架艘枚块片张件座所层次轮批套组种类篇首号倍元米吨股笔场届期例"
             "年月日天周岁分秒度")
_NUMBER_TOKEN = re.compile(rf"^(?:[0-9０-９][0-9０-９.,，%]*|[{_NUMERALS}]+)$")
_NUMBER_SHAPE = re.compile(rf"^[0-9０-９.,{_NUMERALS}]*[{_NUMERALS}0-9０-９][{_NUMERALS}{_MEASURES}]*$")
#: A column's prefix before the title (``特稿｜``, ``数据 | ``): at most this many characters.
_PREFIX = re.compile(r"^\s*[^｜|]{1,10}?\s*[｜|]\s*(?=\S)")
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

    def __init__(self):
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
    it, not a stop word, not only numerals and measure words (``余家``, ``千次``)."""
    w = word.strip()
    return (len(w) >= 2 and bool(_LETTER.search(w)) and w.lower() not in stopwords
            and not _NUMBER_SHAPE.match(w))


def tfidf_words(text: str, tfidf=None, *, drop_fragments: bool = False) -> list[str]:
    """The words of ``text`` by TF-IDF, best first, ties in order of first occurrence: what
    ``jieba.analyse.TFIDF.extract_tags(text, topK=None)`` returns, with rjieba's words;
    ``drop_fragments``: less the fragments a number leaves (a word that begins with a measure
    word right after a number)."""
    import rjieba

    tfidf = tfidf or _extractor()
    stop = tfidf.stop_words
    freq: dict[str, float] = {}
    after_number = False
    for word in rjieba.cut(text):
        # ``36颗卫星`` is cut 36 / 颗卫星: a measure word glued to a noun after a number is no word
        fragment = drop_fragments and after_number and word[:1] in _MEASURES
        after_number = bool(_NUMBER_TOKEN.match(word))
        if not fragment and len(word.strip()) >= 2 and word.lower() not in stop:
            freq[word] = freq.get(word, 0.0) + 1.0
    total = sum(freq.values())
    idf, median = tfidf.idf_freq, tfidf.median_idf
    for word in freq:
        freq[word] *= idf.get(word, median) / total
    return sorted(freq, key=freq.__getitem__, reverse=True)


def extract_keywords(title: str, summary: str = "", paragraphs: list[str] | tuple[str, ...] = (),
                     *, top: int = KEYWORDS_PER_ARTICLE) -> list[str]:
    """The ``top`` keywords of an article, best first (ties in order of first occurrence);
    an empty list for an article without text."""
    body = "\n".join(str(p) for p in paragraphs)[:MAX_CHARS]
    title = _PREFIX.sub("", title or "")
    text = "\n".join([title] * TITLE_WEIGHT + [summary, body]).strip()
    if not text or top < 1:
        return []
    tfidf = _extractor()
    words = tfidf_words(text, tfidf, drop_fragments=True)
    out: list[str] = []
    for word in words:
        if is_keyword(word, tfidf.stop_words) and word not in out:
            out.append(word.strip())
            if len(out) == top:
                break
    return out
