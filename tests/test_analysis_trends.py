"""``trends`` and ``keywords``: the periods, the per-article keywords (pure, stop words,
negatives), counts checked against the sample archive computed in Python on both backends,
``reprocess`` filling the keywords of old rows, and the one-line usage errors."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.cli import main
from domain.record import CLEANER_VERSION
from cleaning.keywords import extract_keywords, is_keyword, load_stopwords
from storage.keywords import keyword_coverage, top_keywords
from storage.models import Article
from storage.periods import Window, bucket, choose_unit, label, period_start, periods
from storage.types import SHANGHAI
from tests.conftest import ROOT, messages, run_cli
from tests.test_analysis_data import ARTICLES, GONE_ID, filled, make_record, stored_texts  # noqa: F401

STOPWORDS = load_stopwords()


# ----------------------------------------------------------------------------- periods
@pytest.mark.parametrize(
    "days,unit",
    [(1, "day"), (30, "day"), (60, "day"), (61, "week"), (400, "week"), (730, "week"), (731, "month"), (5000, "month")],
)
def test_unit_follows_the_window_length(days, unit):
    assert choose_unit(days) == unit


@pytest.mark.parametrize(
    "day,unit,start,name",
    [
        (date(2026, 12, 2), "day", date(2026, 12, 2), "2026-12-02"),
        (date(2026, 12, 2), "week", date(2026, 11, 30), "2026-W49"),  # a Wednesday: its Monday
        (date(2024, 12, 31), "week", date(2024, 12, 30), "2025-W01"),  # ISO week of the next year
        (date(2021, 1, 3), "week", date(2020, 12, 28), "2020-W53"),
        (date(2026, 12, 31), "month", date(2026, 12, 1), "2026-12"),
    ],
)
def test_period_start_and_label(day, unit, start, name):
    assert period_start(day, unit) == start and label(start, unit) == name


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    st.integers(0, 3000),
    st.sampled_from(["day", "week", "month"]),
    st.lists(st.tuples(st.integers(-10, 3010), st.integers(0, 50)), max_size=30),
)
def test_buckets_keep_every_count_of_the_window(first, length, unit, counts):
    window = Window(first, first + timedelta(days=length))
    pairs = [(first + timedelta(days=offset), n) for offset, n in counts]
    got = bucket(pairs, window, unit)
    assert [s for s, _ in got] == periods(window, unit)
    assert sum(n for _, n in got) == sum(n for d, n in pairs if window.first <= d <= window.last)
    starts = [s for s, _ in got]
    assert starts[0] <= window.first <= window.last and starts[-1] <= window.last
    assert starts == sorted(set(starts))


# ----------------------------------------------------------------------------- keywords of one article
@pytest.mark.parametrize(
    "title,paragraphs,first",
    [
        ("光刻机供应依然紧张", ["国产光刻机进展缓慢。"], "光刻机"),
        ("固态电池量产在即", ["研究团队宣布固态电池能量密度提升三成。"], "固态"),  # jieba's words: 固态 电池
        ("自动驾驶出租车扩大运营", ["自动驾驶出租车在更多城区开放。"], "出租车"),
        ("AI绘画引发版权讨论", ["AI 绘画工具生成的图片是否受版权保护。"], "AI"),
    ],
)
def test_keywords_name_the_subject_first(title, paragraphs, first):
    kws = extract_keywords(title, "", paragraphs)
    assert kws[0] == first and len(kws) <= 10 and len(set(kws)) == len(kws)


@pytest.mark.parametrize(
    "title,paragraphs",
    [
        ("", []),  # nothing to read
        ("2026年11月30日", ["30% 100 3.5 —— 2026-11-30"]),  # numbers and dates only
        ("我们认为", ["他们表示，目前已经可以进行相关工作。"]),  # stop words only
        ("澎湃新闻记者 实习生", ["责任编辑：", "图片来源：澎湃新闻"]),  # bylines and credits
    ],
)
def test_texts_without_a_subject_give_no_keywords(title, paragraphs):
    assert extract_keywords(title, "", paragraphs) == []


@settings(deadline=None)  # the first example loads jieba's dictionary
@given(
    st.lists(st.sampled_from(sorted(STOPWORDS)), min_size=1, max_size=40), st.sampled_from(["光刻机", "出租车", "芯片"])
)
def test_stop_words_never_become_keywords(filler, word):
    kws = extract_keywords(word, "", ["，".join(filler)])
    assert word in kws and not set(kws) & STOPWORDS
    assert all(is_keyword(k, STOPWORDS) for k in kws)


def _corpus_texts():
    """Titles and bodies of the mock's generated articles and of the real samples' text."""
    from mocksite.dataset import Dataset
    from tests.conftest import SAMPLES

    ds = Dataset(200, 5, cache_size=200)
    out = []
    for i in range(120):
        a = ds.article(i)
        out.append("\n".join([a.title] * 3 + [a.summary or ""] + [getattr(b, "text", "") or "" for b in a.blocks]))
    for path in sorted(SAMPLES.glob("*.txt"))[:4]:
        out.append(path.read_bytes().decode("utf-8", "replace")[:20_000])
    return out


def test_rjieba_words_weigh_as_jieba_analyse_does():
    """The fast path (rjieba's words, jieba's IDF) ranks the Chinese words as jieba.analyse.TFIDF
    does; only runs of Latin letters, digits and marks may be cut otherwise (jieba-rs keeps
    ``DeepSeek-R1`` and ``Jean-Pierre`` whole where jieba splits them)."""
    import jieba.analyse

    from cleaning.keywords import _extractor, load_stopwords, tfidf_words

    def chinese(words):
        return [w for w in words if not any(c.isascii() for c in w)]

    ours_weights = _extractor()  # the memory-mapped copy of jieba's IDF table
    tfidf = jieba.analyse.TFIDF()
    tfidf.stop_words = set(tfidf.STOP_WORDS) | set(load_stopwords())
    assert ours_weights.stop_words == tfidf.stop_words
    assert ours_weights.median_idf == tfidf.median_idf
    for word in list(tfidf.idf_freq)[::997] + ["不在表里的词"]:
        assert ours_weights.idf_freq.get(word, ours_weights.median_idf) == tfidf.idf_freq.get(word, tfidf.median_idf)
    texts = _corpus_texts() + [
        line
        for line in (ROOT / "tests" / "data" / "text" / "simplified_clean.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(texts) > 200
    same = 0
    for text in texts:
        ours, theirs = tfidf_words(text), tfidf.extract_tags(text, topK=None)
        assert chinese(ours) == chinese(theirs), text[:80]
        same += ours == theirs
    assert same >= 0.9 * len(texts)


def test_gone_articles_have_no_keywords():
    from cleaning.document import with_keywords

    from datetime import datetime, timezone

    rec = make_record(next(r for r in ARTICLES if r[0] == GONE_ID), datetime.now(timezone.utc))
    rec.content_type = "gone"
    assert with_keywords(rec).keywords == []


# ----------------------------------------------------------------------------- on the sample archive
def expected_trend(term: str, now) -> Counter:
    """Shanghai day -> articles whose title or body holds ``term`` (A-Z folded), from the sample data."""
    out: Counter = Counter()
    texts = stored_texts()
    for row in ARTICLES:
        title, body = texts[row[0]]
        if term.lower() in title.lower() or term.lower() in body.lower():
            out[make_record(row, now).published_at.astimezone(SHANGHAI).date()] += 1
    return out


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_trends_count_the_articles_that_mention_each_term(filled, capsys):
    url, _, Session, now, _ = filled
    today = now.astimezone(SHANGHAI).date()
    terms = ["人工智能", "芯片", "ai", "光"]
    data = run_json(capsys, "trends", *terms, "--db", url, "--by", "day", "--format", "json")
    oldest = today - timedelta(days=40)
    assert (data["first"], data["last"], data["unit"]) == (oldest.isoformat(), today.isoformat(), "day")
    assert [p["period"] for p in data["periods"]] == [(oldest + timedelta(days=i)).isoformat() for i in range(41)]
    for series in data["series"]:
        want = expected_trend(series["term"], now)
        assert sum(want.values()) > 0
        assert series["counts"] == [want.get(oldest + timedelta(days=i), 0) for i in range(41)], series["term"]
    assert sum(data["articles"]) == len(ARTICLES)

    week = run_json(
        capsys,
        "trends",
        "人工智能",
        "--db",
        url,
        "--by",
        "week",
        "--format",
        "json",
        "--since",
        (today - timedelta(days=13)).isoformat(),
    )
    want = expected_trend("人工智能", now)
    assert sum(week["series"][0]["counts"]) == sum(n for d, n in want.items() if d >= today - timedelta(days=13))
    assert all(p["period"][4:6] == "-W" for p in week["periods"])

    column = run_json(capsys, "trends", "芯片", "--db", url, "--column", "25950", "--format", "json")
    assert sum(column["series"][0]["counts"]) == 2 and column["columns"] == [25950]  # 31000001, 31000006
    assert sum(column["articles"]) == sum(1 for r in ARTICLES if r[3] == 25950)


def test_trends_as_table_and_csv(filled, capsys):
    url, now = filled[0], filled[3]
    capsys.readouterr()
    assert main(["trends", "芯片", "--db", url, "--by", "month", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["period", "articles", "芯片"]
    assert sum(int(r[2]) for r in rows[1:]) == sum(expected_trend("芯片", now).values()) == 2
    assert main(["trends", "芯片", "--db", url, "--by", "month"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Articles per month mentioning each term") and lines[1].split() == [
        "period",
        "articles",
        "芯片",
    ]


def test_top_keywords_count_articles(filled, capsys):
    url, _, Session, now, _ = filled
    with Session() as s:
        stored = {cid: kws for cid, kws in s.execute(sa.select(Article.cont_id, Article.keywords))}
    assert stored[31000001][:2] == ["人工智能", "芯片"] and stored[GONE_ID] == []
    want = Counter(k for kws in stored.values() for k in kws)
    data = run_json(capsys, "keywords", "--db", url, "--top", "5", "--format", "json")
    got = [(k["keyword"], k["articles"]) for k in data["keywords"]]
    assert got == sorted(want.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert data["articles"] == len(ARTICLES) - 1 and data["not_yet_reprocessed"] == 0

    today = now.astimezone(SHANGHAI).date()
    with Session() as s:
        recent = top_keywords(s, Window(today, today), 100)
    today_ids = [r[0] for r in ARTICLES if r[1] == 0]
    assert dict(recent) == Counter(k for c in today_ids for k in stored[c])


def test_keywords_warn_about_rows_an_older_cleaner_stored(filled, capsys):
    url, engine, Session, now, _ = filled
    with engine.begin() as conn:
        conn.execute(
            sa.update(Article.__table__)
            .where(Article.__table__.c.cont_id == 31000001)
            .values(keywords=[], cleaner_version="2")
        )
    today = now.astimezone(SHANGHAI).date()
    with Session() as s:
        assert keyword_coverage(s, Window(today, today)) == {"articles": 2, "not_yet_reprocessed": 1}
    capsys.readouterr()
    assert main(["keywords", "--db", url, "--since", today.isoformat()]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "thepaper-archive: warning: 1 of these articles were stored by an older cleaner and have no keywords yet "
        "(run thepaper-archive reprocess)"
    ]


def test_reprocess_fills_the_keywords_of_old_rows(tmp_path):
    from datetime import datetime, timezone

    from jobs.reprocess import reprocess_archive
    from cleaning.page import clean_page
    from storage.articles import save_article
    from storage.db import open_archive
    from storage.raw import archive_raw

    sample = ROOT / "tests" / "data" / "samples" / "m_thepaper_2017_newsDetail_forward_1787647.html"
    url = "https://www.thepaper.cn/newsDetail_forward_1787647"
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    record = clean_page(sample.read_bytes(), url=url)
    assert record.keywords
    with Session() as s:
        page = archive_raw(
            s,
            url=url,
            final_url=url,
            status=200,
            headers={},
            body=sample.read_bytes(),
            fetched_at=now,
            kind="article",
            cont_id=record.cont_id,
        )
        s.flush()
        old = clean_page(sample.read_bytes(), url=url)
        old.keywords, old.keywords_code, old.cleaner_version = [], None, "2"  # as the cleaner before keywords stored it
        save_article(s, old, raw_page_id=page.id, now=now)
        s.commit()
    counts = reprocess_archive(Session, jobs=1)
    assert counts["updated"] == 1
    with Session() as s:
        row = s.get(Article, record.cont_id)
        assert row.keywords == record.keywords and row.cleaner_version == CLEANER_VERSION
    engine.dispose()


# ----------------------------------------------------------------------------- usage errors
def test_trends_and_keywords_usage_errors_are_one_line(filled):
    url = filled[0]
    cases = [
        (["trends", " ", "--db", url], "thepaper-archive: error: empty term"),
        (
            ["trends", "芯片", "--db", url, "--since", "2026-12-05", "--until", "2026-12-01"],
            "thepaper-archive: error: the window starts (2026-12-05) after it ends (2026-12-01)",
        ),
        (
            ["trends", "芯片", "--db", url, "--by", "year"],
            "thepaper-archive trends: error: argument --by: invalid choice: 'year' (choose from 'day', 'week', "
            "'month') (see thepaper-archive trends --help)",
        ),
        (
            ["trends", "芯片", "--db", url, "--column", "科技"],
            "thepaper-archive trends: error: argument --column: not a numeric id: '科技' "
            "(see thepaper-archive trends --help)",
        ),
        (
            ["trends", *[f"词{i}" for i in range(21)], "--db", url],
            "thepaper-archive: error: too many terms: 21 (at most 20)",
        ),
        (
            ["keywords", "--db", url, "--top", "0"],
            "thepaper-archive keywords: error: argument --top: must be at least 1: 0 (see thepaper-archive keywords --help)",
        ),
        (
            ["keywords", "--db", url, "--until", "2026-02-30"],
            "thepaper-archive keywords: error: argument --until: not a date (YYYY-MM-DD) or ISO 8601 datetime: "
            "'2026-02-30' (see thepaper-archive keywords --help)",
        ),
    ]
    for argv, line in cases:
        proc = run_cli(*argv)
        assert proc.returncode == 2 and messages(proc.stderr) == [line], (argv, proc.stderr)
        assert proc.stdout == ""


def test_trends_need_an_archive(tmp_path):
    missing = tmp_path / "none.sqlite3"
    proc = run_cli("trends", "芯片", "--db", str(missing))
    assert proc.returncode == 2 and messages(proc.stderr) == [
        f"thepaper-archive: error: no archive at {missing} (crawl or import first, or check --db)"
    ]
