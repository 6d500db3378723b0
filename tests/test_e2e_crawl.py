"""End to end: the real spider and pipelines crawl the mock over loopback into a real SQLite file."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Failure, RawPage
from tests.conftest import BACKENDS, fresh_db_url, run_cli
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite

N_ARTICLES = 200


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request, tmp_path_factory):
    """One crawl of a fresh mock per backend; (dataset, db url, CompletedProcess, hits)."""
    dataset = generate_dataset(N_ARTICLES, seed=3)
    db = fresh_db_url(request.param, tmp_path_factory.mktemp("e2e"), name="e2e")
    with MockSite(dataset) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", timeout=600)
        hits = dict(site.hits)
    return dataset, db, proc, hits


def _session(db: str) -> Session:
    return Session(create_engine(db))


def _all_articles(dataset):
    return [dataset.article(i) for i in range(len(dataset))]


def test_crawl_exits_ok_with_summary(crawled):
    _, _, proc, _ = crawled
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "new " in proc.stderr and "failed" in proc.stderr


def test_every_article_stored_once_with_exact_text(crawled):
    dataset, db, _, _ = crawled
    with _session(db) as s:
        stored = {a.cont_id: a for a in s.scalars(select(Article))}
    content_kinds = {"news", "pph", "video", "live", "paywalled"}
    checked = 0
    for art in _all_articles(dataset):
        if art.kind not in content_kinds or art.robots_disallowed:
            continue
        row = stored.get(art.cont_id)
        assert row is not None, f"{art.cont_id} ({art.kind}/{art.layout}) not stored"
        assert row.title == art.title, art.cont_id
        assert row.paragraphs == art.expected_paragraphs, (art.cont_id, art.kind, art.layout)
        assert row.published_at == art.pub_time, art.cont_id
        assert row.source == art.source, art.cont_id
        assert row.author == art.author, (art.cont_id, art.layout, art.author_raw)
        assert row.editor == art.editor, (art.cont_id, art.layout)
        assert sorted(t.name for t in row.tags) == sorted(art.tags), art.cont_id
        expected_type = "pph" if art.kind == "pph" else art.kind
        assert row.content_type == expected_type, art.cont_id
        assert row.url == f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}"
        for chrome in ("澎湃Logo", "下载客户端", "沪ICP备", "扫码下载", "我要举报"):
            assert chrome not in row.body_text, (art.cont_id, chrome)
        checked += 1
    assert checked > N_ARTICLES // 2


def test_gone_external_and_paywalled_are_recorded_as_such(crawled):
    dataset, db, _, _ = crawled
    with _session(db) as s:
        stored = {a.cont_id: a for a in s.scalars(select(Article))}
        failures = {f.cont_id: f for f in s.scalars(select(Failure))}
    kinds_seen = set()
    for art in _all_articles(dataset):
        if art.robots_disallowed:  # withdrawn, named in robots.txt: never fetched, recorded as gone
            row = stored[art.cont_id]
            assert row.content_type == "gone" and row.gone_reason == "robots_disallowed"
            assert row.title == art.title and art.cont_id not in failures
            kinds_seen.add("robots")
            continue
        if art.kind.startswith("gone"):
            row = stored[art.cont_id]
            assert row.content_type == "gone" and row.gone_reason, art.cont_id
            assert row.paragraphs == [], art.cont_id
            kinds_seen.add(art.kind)
        elif art.kind == "external":
            row = stored[art.cont_id]
            assert row.content_type == "external" and row.external_url == art.external_url
            kinds_seen.add(art.kind)
        elif art.kind == "paywalled":
            assert stored[art.cont_id].content_type == "paywalled"
            assert stored[art.cont_id].paragraphs, art.cont_id
            kinds_seen.add(art.kind)
    assert {"gone_404", "gone_null", "gone_offline", "external", "paywalled", "robots"} <= kinds_seen


def test_each_article_row_once_and_raw_pages_archived(crawled):
    dataset, db, _, hits = crawled
    with _session(db) as s:
        n_rows = s.scalar(select(func.count()).select_from(Article))
        ids = s.scalars(select(Article.cont_id)).all()
        assert len(ids) == len(set(ids)) == n_rows
        # every article page fetched is archived, raw bytes intact
        raws = s.scalars(select(RawPage).where(RawPage.kind == "article")).all()
        assert raws and all(r.raw_bytes() for r in raws if r.status == 200)
        assert s.scalar(select(func.count()).select_from(RawPage).where(RawPage.kind == "list")) > 0
        run = s.scalars(select(CrawlRun)).one()
        assert run.status in ("ok", "partial") and run.finished_at is not None
        assert run.counters["new"] == n_rows - run.counters.get("gone", 0) or run.counters["new"] > 0


def test_the_whole_list_item_of_every_article_page_is_in_its_archived_list_page(crawled):
    """An article page's context keeps what cleaning reads of its list item and the SHA-256 of
    the list page that listed it: that archived page holds the whole item (nothing is lost)."""
    from crawler.listapi import parse_list_response
    from cleaning.listitem import list_item_essentials

    _, db, _, _ = crawled
    with _session(db) as s:
        lists = {r.sha256: r for r in s.scalars(select(RawPage).where(RawPage.kind == "list"))}
        pages = [
            r
            for r in s.scalars(select(RawPage).where(RawPage.kind == "article"))
            if r.context and "list_item" in r.context
        ]
        assert len(pages) > N_ARTICLES // 2
        for r in pages:
            listed = lists[r.context["list_page"]]
            items = {str(i["contId"]): i for i in parse_list_response(listed.raw_bytes()).items}
            whole = items[str(r.context["list_item"]["contId"])]
            assert list_item_essentials(whole) == r.context["list_item"]
            assert len(whole) > len(r.context["list_item"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_site_fails_fast_with_clear_message(db_url):
    port = _closed_port()
    proc = run_cli("crawl", "--base-url", f"http://127.0.0.1:{port}", "--db", db_url, "--quiet", timeout=300)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert f"127.0.0.1:{port}" in proc.stderr and "cannot reach" in proc.stderr
    with _session(db_url) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "failed" and "cannot reach" in (run.message or "")
        # fast: stopped after THEPAPER_UNREACHABLE_AFTER failures, before retrying its 7 start lists
        # (RETRY_TIMES 3: 4 tries each), let alone waiting out the backoff of every try
        assert run.counters["requests"] < 7 * 4, run.counters
        assert s.scalar(select(func.count()).select_from(Article)) == 0


def test_bad_base_url_is_a_usage_error(db_url):
    proc = run_cli("crawl", "--base-url", "ftp://example.org", "--db", db_url)
    assert proc.returncode == 2
    assert "not an http(s) base URL" in proc.stderr


def test_list_answer_shapes_are_kept(crawled):
    """Items the API nests in one-element lists, titles with ``" | "`` and 澎湃号 items (no
    ``nodeInfo``) all reach the archive as given (the mock serves those shapes)."""
    from mocksite.render_api import nested

    dataset, db, _, _ = crawled
    with _session(db) as s:
        stored = {a.cont_id: a for a in s.scalars(select(Article))}
    arts = [a for a in _all_articles(dataset) if a.kind in ("news", "pph") and not a.robots_disallowed]
    was_nested = [a for a in arts if isinstance(nested([{"contId": str(a.cont_id)}])[0], list)]
    barred = [a for a in arts if " | " in a.title]
    pph = [a for a in arts if a.kind == "pph"]
    assert was_nested and barred and pph
    for a in was_nested + barred + pph:
        assert a.cont_id in stored, a.cont_id
        assert stored[a.cont_id].title == a.title
    for a in pph:
        assert stored[a.cont_id].author_outlet == a.pph_account
