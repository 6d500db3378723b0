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

import hashlib
import threading
from collections import Counter
from itertools import compress, islice
from pathlib import Path

from cleaning.lazyre import lazy

#: Keywords kept per article.
KEYWORDS_PER_ARTICLE = 10
#: How many times the title is counted beside the summary and the body.
TITLE_WEIGHT = 3
#: The most body characters read: the head of a long article names its subject (and a live blog
#: of 100,000 characters would cost 40 ms to segment).
MAX_CHARS = 5_000

STOPWORDS_FILE = Path(__file__).with_name("stopwords_zh.txt")

_LETTER = lazy(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z]")
#: A number as segmentation cuts it: digits (with a decimal point, a percent sign) or Chinese numerals.
_NUMBER = lazy(r"[0-9０-９.．,，%％]*[0-9０-９][0-9０-９.．,，%％]*|[零〇一二两三四五六七八九十百千万亿几数]+")
#: A vague quantity or an amount: "more than / some" or a numeral and a measure word or a currency
#: (余家, 多位, 数十名, 几款, 千亿元, 亿美元).
_QUANTITY = lazy(r"[余多几数十百千万亿]+(?:[个家位名款项颗枚台辆架只条种批轮次件篇座所支元]|美元)")
#: A title's column label: ``特稿｜``, ``科创板观察｜``, ``10%公司｜`` (a short label before a bar).
_COLUMN_PREFIX = lazy(r"^[^｜|]{1,8}[｜|]\s*")
_LOCK = threading.Lock()
_EXTRACTOR = None
_CODE: str | None = None


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
    after = Counter(compress(islice(tokens, 1, None), map(numbers.__contains__, tokens)))  # what follows a number
    return {word for word, n in after.items() if n == counts[word]}  # no occurrence elsewhere


def tfidf_words(text: str, tfidf: _Weights | None = None, tokens: list[str] | None = None) -> list[str]:
    """The words of ``text`` (or of its ``tokens``, already cut) by TF-IDF, best first, ties in
    order of first occurrence: what ``jieba.analyse.TFIDF.extract_tags(text, topK=None)``
    returns, with rjieba's words."""
    import rjieba

    counts = Counter(tokens if tokens is not None else rjieba.cut(text))
    words, scores, _ = _tally(counts, tfidf or _extractor(), every=True)
    return [words[i] for i in _ranked(scores)]


def _tally(counts: Counter[str], tfidf: _Weights, every: bool = False) -> tuple[list[str], list[float], set[str]]:
    """The words of ``counts`` that may be a keyword (``every`` counted word), in order of first
    occurrence (``counts``' order), the TF-IDF of each (its count times its weight over the
    count of all counted words, as ``jieba.analyse.TFIDF`` computes it), and the numbers among
    all: one pass, one look-up of :meth:`_Weights.judge` per word."""
    known, judge = tfidf.judged, tfidf.judge
    words: list[str] = []
    times: list[int] = []
    weights: list[float] = []
    numbers: set[str] = set()
    total = 0
    for word, n in counts.items():
        weight, keyword, number = known.get(word) or judge(word)
        if weight is not None:
            total += n
            if keyword or every:
                words.append(word)
                times.append(n)
                weights.append(weight)
        if number:
            numbers.add(word)
    over = float(total)
    return words, [n * (w / over) for n, w in zip(times, weights)], numbers


def _ranked(scores: list[float]) -> list[int]:
    """The indices of ``scores``, highest first, ties in order: a stable sort."""
    return sorted(range(len(scores)), key=scores.__getitem__, reverse=True)


def _tokens(title: str, summary: str, body: str) -> list[str]:
    """rjieba's words of the article's text: ``title`` :data:`TITLE_WEIGHT` times, ``summary``
    and ``body``, a line each, stripped. A title without whitespace at either end is cut once:
    rjieba (as jieba) cuts each run of CJK characters, letters and digits by itself and what
    lies between them character by character (a whitespace one word, ``\\r\\n`` too), so a line
    break ends the words before it and the title is cut alike in each of its lines."""
    import rjieba

    rest = f"{summary}\n{body}".rstrip()
    if not title or title != title.strip():
        text = "\n".join([title] * TITLE_WEIGHT + [rest]).strip()
        return rjieba.cut(text) if text else []
    words = rjieba.cut(title)
    tokens = (words + ["\n"]) * (TITLE_WEIGHT - 1) + words
    if rest:
        tokens.append("\n")
        tokens += rjieba.cut(rest)  # extended in place: the body's words copied once
    return tokens


def extract_keywords(
    title: str, summary: str = "", paragraphs: list[str] | tuple[str, ...] = (), *, top: int = KEYWORDS_PER_ARTICLE
) -> list[str]:
    """The ``top`` keywords of an article, best first (ties in order of first occurrence);
    an empty list for an article without text."""
    if top < 1:
        return []
    tokens = _tokens(_COLUMN_PREFIX.sub("", title), summary, "\n".join(map(str, paragraphs))[:MAX_CHARS])
    if not tokens:
        return []
    counts = Counter(tokens)
    words, scores, numbers = _tally(counts, _extractor())
    leftovers: set[str] | None = None
    out: list[str] = []
    for i in _ranked(scores):  # tfidf_words' order
        word = words[i]
        if word in out:
            continue
        if leftovers is None:
            leftovers = numeral_leftovers(tokens, counts, numbers)
        if word not in leftovers:
            out.append(word.strip())
            if len(out) == top:
                break
    return out


def keywords_code() -> str:
    """This code's identity, as the archive's ``keywords_basis`` needs it
    (:func:`domain.record.keywords_basis`): this module's and the stop-word file's bytes,
    :data:`BASIS_RULES`, the format of :mod:`cleaning.vocab`'s tables and the size and time of
    the files the words come from (jieba's IDF table and stop words, rjieba's library with its
    dictionary: a reinstall gives a new identity, and keywords are computed anew once).
    Anything else that changes the words must change one of these. Made once per process."""
    global _CODE
    if _CODE is None:
        from cleaning import vocab

        h = hashlib.sha256(f"{BASIS_RULES} {vocab.FORMAT}".encode())
        for path in (Path(__file__), STOPWORDS_FILE):
            h.update(b"\x00" + path.read_bytes())
        jieba, rjieba = vocab.package_dir("jieba"), vocab.package_dir("rjieba")
        for path in sorted([jieba / "analyse" / "idf.txt", jieba / "analyse" / "tfidf.py", *rjieba.glob("*.so")]):
            st = path.stat()
            h.update(f"\x00{path.name} {st.st_size} {st.st_mtime_ns}".encode())
        _CODE = h.hexdigest()[:32]
    return _CODE


#: The rule of :func:`cleaning.document.record_keywords` beside this module's (a gone article
#: has none): changed by hand when that rule changes (:func:`keywords_code` reads this module).
BASIS_RULES = "gone-none"
