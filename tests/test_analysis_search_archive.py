"""Full-text search on an archive (SQLite and PostgreSQL): it finds exactly the articles holding every
term, ranked, for short and long terms alike and for Traditional queries; the index follows inserts,
updates, deletes and batches; filters by time, column and tag agree with a Python oracle; the SQLite
trigram path agrees with a substring scan."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from domain.record import ArticleRecord
from storage.articles import save_article
from storage.db import open_archive
from storage.models import Article
from storage.search import Filters, SearchError, search, split_terms
from tests.test_analysis_data import ARTICLES, SH, db_url, expected_hits, filled, stored_texts
from cleaning.repair.traditional import query_forms


# ----------------------------------------------------------------------------- on a database
QUERIES = [
    "光",
    "AI",
    "芯片",
    "驾驶",
    "大模型",
    "人工智能",
    "固态电池",
    "人工智能 芯片",
    "芯片 出口",
    "量子 光",
    "不存在的词",
    "<script>",
    "ai绘画",
]


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_exactly_the_articles_holding_every_term_ranked(filled, query):
    _, engine, Session, _, _ = filled
    expected = expected_hits(split_terms(query))
    with Session() as s:
        hits = search(s, query, limit=50)
    assert {h.cont_id: h.score for h in hits} == expected
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for h in hits:  # every hit shows a marked term in its title or snippet
        assert "[" in h.title_marked or any(h.snippet[a:b] for a, b in h.spans)
        for a, b in h.spans:
            assert h.snippet[a - 1] == "[" and h.snippet[b] == "]"
            assert h.snippet[a:b].lower() in [t.lower() for t in split_terms(query)]


def test_one_two_and_three_char_queries_each_find_something(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        for q in ("光", "芯片", "大模型"):
            hits = search(s, q)
            assert hits, q
            assert len(q) >= 3 or hits[0].method in ("like", "pg_trgm")


def test_title_hits_rank_above_body_hits(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        hits = search(s, "人工智能")
    # 31000001 has the word twice in its title and twice in its body; 31000002 once in its body
    ids = [h.cont_id for h in hits]
    assert ids.index(31000001) < ids.index(31000002)
    assert hits[0].cont_id == 31000001 and hits[0].title_marked.count("[人工智能]") == 2


def test_limit_and_empty_query(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        assert len(search(s, "的", limit=2)) == 2
        with pytest.raises(SearchError):
            search(s, "   ")


def _save(Session, cont_id, title, paras, now):
    with Session() as s:
        rec = ArticleRecord(
            cont_id=cont_id, title=title, paragraphs=paras, published_at=now, node_id=25950, node_name="科技湃"
        )
        out = save_article(s, rec, raw_page_id=None, now=now)
        s.commit()
        return out


@pytest.mark.parametrize("word", ["铱", "钙钛", "钙钛矿电池"])  # 1, 2 and 5 characters
def test_index_follows_insert_update_delete(db_url, word):  # noqa: F811
    engine, Session = open_archive(db_url, create=True)
    now = datetime.now(timezone.utc)
    try:
        with Session() as s:
            assert search(s, word) == []
        assert _save(Session, 41000001, f"{word}研究进展", ["新材料。"], now) == "new"
        with Session() as s:
            assert [h.cont_id for h in search(s, word)] == [41000001]
        # update: the word moves from the title into the body, then disappears
        assert _save(Session, 41000001, "研究进展", [f"团队在{word}方面取得突破。"], now + timedelta(1)) == "updated"
        with Session() as s:
            hits = search(s, word)
            assert [h.cont_id for h in hits] == [41000001] and hits[0].score == 1
        assert _save(Session, 41000001, "研究进展", ["团队取得突破。"], now + timedelta(2)) == "updated"
        with Session() as s:
            assert search(s, word) == []
        _save(Session, 41000002, word, [word], now)
        with Session() as s:
            s.execute(sa.delete(Article).where(Article.cont_id == 41000002))
            s.commit()
            assert search(s, word) == [] and search(s, "研究进展")[0].cont_id == 41000001
        if engine.dialect.name == "sqlite":  # the FTS index itself stays consistent
            with engine.connect() as c:
                c.exec_driver_sql("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        engine.dispose()


def test_a_batch_is_indexed_with_its_articles(db_url):  # noqa: F811
    """New articles are indexed in bulk by the statement after their insert, in the same
    transaction: a batch with new ids, an id met twice (new, then edited) and an update is
    searchable at once; a batch rolled back leaves nothing in the index."""
    from storage.articles import save_articles

    engine, Session = open_archive(db_url, create=True)
    now = datetime.now(timezone.utc)

    def rec(cont_id, title, body):
        return ArticleRecord(cont_id=cont_id, title=title, paragraphs=[body], published_at=now)

    try:
        _save(Session, 42000009, "旧标题石墨烯", ["旧正文。"], now)
        with Session() as s:
            outcomes = save_articles(
                s,
                [
                    (rec(42000001, "钙钛矿电池效率", "正文一。"), None),
                    (rec(42000002, "量子计算机", "正文二。"), None),
                    (rec(42000001, "钙钛矿电池新纪录", "正文三。"), None),
                    (rec(42000009, "新标题碳纳米管", "新正文。"), None),
                ],
                now=now,
            )
            s.commit()
        assert outcomes == ["new", "new", "updated", "updated"]
        with Session() as s:
            assert [h.cont_id for h in search(s, "新纪录")] == [42000001]
            assert search(s, "效率") == []  # the first version of 42000001 is gone from the index
            assert [h.cont_id for h in search(s, "量子计算")] == [42000002]
            assert [h.cont_id for h in search(s, "碳纳米管")] == [42000009] and search(s, "石墨烯") == []
            save_articles(s, [(rec(42000003, "拓扑绝缘体", "正文四。"), None)], now=now)
            s.rollback()
            assert search(s, "拓扑绝缘") == []
        if engine.dialect.name == "sqlite":
            with engine.connect() as c:
                c.exec_driver_sql("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        engine.dispose()


def test_a_batch_of_several_index_chunks_is_indexed_whole(db_url, monkeypatch):  # noqa: F811
    """New articles are indexed by one bound statement per chunk of ids (three chunks here)."""
    from storage import fulltext
    from storage.articles import save_articles

    monkeypatch.setattr(fulltext, "IN_CHUNK", 2)
    engine, Session = open_archive(db_url, create=True)
    now = datetime.now(timezone.utc)
    words = ["钙钛矿", "石墨烯", "碳纳米管", "拓扑绝缘", "量子计算"]
    try:
        with Session() as s:
            items = [
                (ArticleRecord(cont_id=43000001 + i, title=f"{w}进展", paragraphs=["正文。"], published_at=now), None)
                for i, w in enumerate(words)
            ]
            assert save_articles(s, items, now=now) == ["new"] * 5
            s.commit()
        with Session() as s:
            assert [[h.cont_id for h in search(s, w)] for w in words] == [[43000001 + i] for i in range(5)]
        if engine.dialect.name == "sqlite":
            with engine.connect() as c:
                c.exec_driver_sql("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_sample(tmp_path_factory):
    from tests.test_analysis_data import fill_archive

    url = f"sqlite:///{tmp_path_factory.mktemp('fts') / 'a.sqlite3'}"
    engine, Session = open_archive(url, create=True)
    fill_archive(Session, datetime.now(timezone.utc))
    yield engine, Session
    engine.dispose()


_TEXTS = [x for pair in stored_texts().values() for x in pair if len(x) >= 3]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sqlite_trigram_path_agrees_with_substring_scan(sqlite_sample, data):
    """Any 3+ character substring of a stored text: FTS5 trigram finds exactly what a scan finds."""
    text = data.draw(st.sampled_from(_TEXTS))
    start = data.draw(st.integers(0, len(text) - 3))
    term = text[start : start + data.draw(st.integers(3, 6))]
    if len(term) < 3 or any(ch.isspace() for ch in term):
        term = "人工智能"
    _, Session = sqlite_sample
    with Session() as s:
        hits = search(s, term, limit=100)
    assert hits and hits[0].method == "fts5"
    assert {h.cont_id: h.score for h in hits} == expected_hits([term])


COMBINED = ["人工智能 芯片", "芯片 光 人工智能", "智能 驾驶 新规", "光 量子计算", "AI 版权", "电池 量产 成本"]


@pytest.mark.parametrize("query", COMBINED)
def test_combined_short_and_long_terms_find_every_article(filled, query):
    """1-2 character terms beside 3+ character ones: what trigram MATCH alone misses."""
    with filled[2]() as s:
        hits = search(s, query, limit=50)
    expected = expected_hits(split_terms(query))
    assert expected and {h.cont_id: h.score for h in hits} == expected


@pytest.mark.parametrize(
    "query,simplified",
    [
        ("人工智慧", "人工智能"),
        ("人工智慧 晶片", "人工智能 芯片"),
        ("晶片 出口", "芯片 出口"),
        ("量子計算", "量子计算"),
        ("電池", "电池"),
    ],
)
def test_traditional_query_finds_the_simplified_articles(filled, query, simplified):
    with filled[2]() as s:
        as_typed = search(s, query, limit=50)
        converted = search(s, query, limit=50, forms=query_forms)
    expected = expected_hits(split_terms(simplified))
    assert as_typed == [] and expected
    assert {h.cont_id: h.score for h in converted} == expected
    assert all("[" in h.title_marked or h.spans for h in converted)


def _published(now):
    return {row[0]: (now.astimezone(SH) - timedelta(days=row[1])).date() for row in ARTICLES}


def _expected_filtered(now, terms, *, since=None, until=None, nodes=(), tags=()):
    days = _published(now)
    rows = {r[0]: r for r in ARTICLES}
    out = {}
    for cid, score in expected_hits(terms).items():
        row_tags = rows[cid][6]  # a gone article keeps the tags it had
        if since and days[cid] < since or until and days[cid] > until:
            continue
        if nodes and rows[cid][3] not in nodes or any(t not in row_tags for t in tags):
            continue
        out[cid] = score
    return out


@pytest.mark.parametrize(
    "query,kw",
    [
        ("的", {"since": 2}),
        ("的", {"until": 2}),
        ("的", {"since": 5, "until": 1}),
        ("人工智能", {"since": 0}),
        ("的", {"nodes": (119489,)}),
        ("的", {"nodes": (25950, 27234)}),
        ("芯片", {"tags": ("芯片",)}),
        ("人工智能", {"tags": ("人工智能", "芯片")}),
        ("芯片", {"tags": ("外贸",)}),
        ("人工智能", {"nodes": (25950,), "since": 30, "tags": ("人工智能",)}),
        ("光", {"nodes": (999,)}),
    ],
)
def test_filters_select_by_time_column_and_tag(filled, query, kw):
    from datetime import time

    _, _, Session, now, _ = filled
    today = now.astimezone(SH).date()
    since = today - timedelta(days=kw["since"]) if "since" in kw else None
    until = today - timedelta(days=kw["until"]) if "until" in kw else None
    filters = Filters(
        since=since and datetime.combine(since, time(), SH),
        until=until and datetime.combine(until + timedelta(days=1), time(), SH),
        node_ids=kw.get("nodes", ()),
        tags=kw.get("tags", ()),
    )
    with Session() as s:
        hits = search(s, query, limit=100, filters=filters)
    expected = _expected_filtered(
        now, split_terms(query), since=since, until=until, nodes=kw.get("nodes", ()), tags=kw.get("tags", ())
    )
    assert {h.cont_id: h.score for h in hits} == expected


def test_trigram_match_alone_misses_short_terms_which_search_does_not(sqlite_sample):
    """Why short terms stay out of the MATCH: FTS5's trigram index answers them with no rows."""
    engine, Session = sqlite_sample
    with engine.connect() as c:
        bare = c.exec_driver_sql(
            """SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '"人工智能" AND "芯片"'"""
        )
        assert bare.scalar() == 0
    with Session() as s:
        hits = search(s, "人工智能 芯片")
    assert {h.cont_id for h in hits} == set(expected_hits(["人工智能", "芯片"])) and hits[0].method == "fts5"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_forms_only_ever_add_hits(sqlite_sample, data):
    """Any substring of a stored text, converted to Traditional (Taiwan phrases) or not: searching
    its Simplified forms too finds everything the term as typed finds."""
    import opencc

    text = data.draw(st.sampled_from(_TEXTS))
    start = data.draw(st.integers(0, len(text) - 1))
    term = "".join(text[start : start + data.draw(st.integers(1, 6))].split()) or "的"
    if data.draw(st.booleans()):
        term = opencc.OpenCC("s2twp").convert(term)
    _, Session = sqlite_sample
    with Session() as s:
        typed = {h.cont_id for h in search(s, term, limit=100)}
        converted = {h.cont_id for h in search(s, term, limit=100, forms=query_forms)}
    assert typed <= converted
    assert query_forms(term)[0] == term
