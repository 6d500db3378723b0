"""The crawl under blocking and transient faults: slow down, retry, then stop cleanly."""

from __future__ import annotations


from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Failure
from tests.conftest import run_cli
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite


def test_waf_block_trips_the_breaker_and_stops_the_run(db_url):
    ds = generate_dataset(150, seed=21)
    faults = [{"pattern": r"^/newsDetail_forward_", "kind": "waf403", "rate": 1.0}]
    with MockSite(ds, faults=faults) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q", timeout=300)
        article_requests = site.hits_article_pages()
    assert proc.returncode == 5, proc.stderr[-3000:]
    # the run gave up only after its cool-downs (THEPAPER_BREAKER_MAX_TRIPS, 3 by default)
    assert "keeps blocking the crawler (429/WAF 403) after 3 cool-downs" in proc.stderr
    # it slowed down and gave up instead of hammering every article with every retry
    assert article_requests < len(ds) * 2, article_requests
    with Session(create_engine(db_url)) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "failed" and "blocking" in run.message


def test_transient_errors_are_retried_and_the_articles_stored(db_url):
    ds = generate_dataset(80, seed=22)
    faults = [
        {"pattern": r"^/newsDetail_forward_", "kind": "503", "rate": 0.4, "times": 2},
        {"pattern": r"^/newsDetail_forward_", "kind": "429", "rate": 0.2, "times": 1, "retry_after": 1},
    ]
    with MockSite(ds, faults=faults, fault_seed=4) as site:
        proc = run_cli(
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "-q",
            "-s",
            "THEPAPER_BREAKER_MIN_EVENTS=1000",
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Session(create_engine(db_url)) as s:
        ids = set(s.scalars(select(Article.cont_id)))
        assert not s.scalars(select(Failure)).all()
    assert ids == {a.cont_id for a in ds.articles()}


def test_permanent_errors_are_recorded_with_their_reason_and_retried_by_a_later_run(db_url):
    ds = generate_dataset(60, seed=23)
    victims = [a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed][:3]
    pattern = "^/newsDetail_forward_(" + "|".join(str(a.cont_id) for a in victims) + ")$"
    with MockSite(ds, faults=[{"pattern": pattern, "kind": "500", "rate": 1.0}]) as site:
        proc = run_cli(
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "-q",
            "-s",
            "THEPAPER_FAILURE_RETRY_BASE_S=0",
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    with Session(create_engine(db_url)) as s:
        failures = {f.cont_id: f for f in s.scalars(select(Failure))}
    assert set(failures) == {a.cont_id for a in victims}
    assert all(f.reason == "http_500" and f.attempts == 1 and not f.dead for f in failures.values())
    # the site recovers: the next (incremental) run retries them and stores them
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q", timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert site.hits_article_pages() == len(victims)
    with Session(create_engine(db_url)) as s:
        assert not s.scalars(select(Failure)).all()
        assert all(s.get(Article, a.cont_id).paragraphs == a.expected_paragraphs for a in victims)
