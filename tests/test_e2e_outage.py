"""The site goes down in the middle of a run: the run stops the way the unreachable guard stops it
(exit 3, one line), records no failure for the articles it never really fetched, and the next
run resumes. Also the outage rule itself (:class:`crawler.outage.HostWatch`)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crawler.outage import HostWatch
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Article, CrawlRun, Failure
from tests.conftest import ROOT, cli_env, messages, run_cli
from tests.test_e2e_scheduled import expected_ids, stored_ids


# --------------------------------------------------------------------------- the rule
def test_connection_failures_in_a_row_after_answers_are_an_outage():
    watch = HostWatch(start_after=3, outage_after=4, min_failures=0)
    watch.response()
    assert [watch.failure(t, connection=True) for t in range(3)] == [None, None, None]
    assert watch.failure(3, connection=True) == "outage"


def test_one_answer_ends_a_streak():
    watch = HostWatch(outage_after=3, min_failures=0)
    watch.response()
    for _ in range(5):
        assert watch.failure(0, connection=True) is None
        assert watch.failure(0, connection=True) is None
        watch.response()


def _answered(watch: HostWatch, n: int, now: float = 0.0) -> HostWatch:
    for i in range(n):
        watch.response(("ok", i), now)
    return watch


def test_most_recent_requests_failing_is_an_outage():
    """A host that accepts connections and no longer answers: every new request times out.
    The share of the window decides, whatever the pace: 16 at once (a fast crawl) ..."""
    fast = _answered(HostWatch(window=20, share=0.6, min_failures=3), 40)
    # the first wave: 16 requests in flight together time out together (sent at 0, seen at 10)
    assert [fast.failure(10, connection=False, key=("hang", i), sent=0) for i in range(16)] == [None] * 16
    # the next requests, sent after those were seen failing, fail too: the host stopped answering
    assert fast.failure(20.5, connection=False, key=("hang", 16), sent=10.5) == "outage"
    # ... or one every 23 s (the polite pace): the answers older than the window no longer count
    polite = HostWatch(window=20, window_s=60, share=0.6, min_failures=3)
    for t in range(-80, 1, 4):  # an answer every 4 s, then the site hangs at 0
        polite.response(("ok", t), t)
    assert [polite.failure(t, connection=False, key=t) for t in (20, 43)] == [None, None]
    assert polite.failure(66, connection=False, key=66) == "outage"  # 3 of 3 in the last 60 s
    assert polite.tally(66) == (3, 3)


@pytest.mark.parametrize(
    "events",
    [
        # a few pages that always hang, retried at the end of a run with nothing else left
        [("fail", "a", False)] + [("fail", "a", True)] * 3 + [("fail", "b", False)] + [("fail", "b", True)] * 3,
        # failures of earlier runs tried again at the start (not first attempts either)
        [("fail", k, True) for k in "abcdef"],
        # sporadic timeouts among answers: never most of the window
        [("ok", i, False) if i % 3 else ("fail", i, False) for i in range(60)],
        # failures that answer on their retry
        [e for i in range(20) for e in (("fail", i, False), ("ok", i, True))],
    ],
)
def test_no_outage_from_a_few_failing_pages(events):
    watch = _answered(HostWatch(window=20, window_s=60, share=0.6, min_failures=3), 20)
    for t, (what, key, retry) in enumerate(events):
        if what == "ok":
            watch.response(key, t)
        else:
            assert watch.failure(t, connection=False, key=key, first_attempt=not retry) is None


def test_one_stall_is_no_outage():
    """Requests in flight together that time out together are one event (a server stalled
    once, a loaded machine): the next requests answer."""
    watch = _answered(HostWatch(window=20, share=0.6, min_failures=3), 20)
    assert all(watch.failure(10, connection=False, key=i, sent=0) is None for i in range(16))
    for i in range(16, 40):
        watch.response(i, 11)
    assert watch.failure(21, connection=False, key=40, sent=11) is None  # 1 of 20


def test_old_outcomes_leave_the_window():
    watch = _answered(HostWatch(window=20, window_s=60, share=0.6, min_failures=3), 0)
    watch.response("x", 0)
    assert watch.failure(100, connection=False, key=1) is None
    assert watch.failure(110, connection=False, key=2) is None
    assert watch.tally(110) == (2, 2)  # the answer at 0 is too old to count
    assert watch.failure(200, connection=False, key=3) is None  # 1 and 2 are too old as well
    assert watch.tally(200) == (1, 1)


def test_before_any_answer_the_start_rule_applies():
    watch = HostWatch(start_after=3, outage_after=100)
    assert [watch.failure(0, connection=False) for _ in range(3)] == [None, None, "unreachable"]


def test_zero_turns_a_rule_off():
    watch = HostWatch(start_after=0, outage_after=0, min_failures=0)
    assert all(watch.failure(t, connection=True, key=t) is None for t in range(100))
    watch.response()
    assert all(watch.failure(t * 1000, connection=True, key=t) is None for t in range(100))


# --------------------------------------------------------------------------- end to end
def _start_crawl(site, db_url, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db_url, "-q", *extra],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_articles(site, proc, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while site.hits_article_pages() < n:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_an_outage_mid_run_stops_the_run_and_the_next_run_resumes(db_url, mode):
    ds = generate_dataset(600, seed=21)
    with MockSite(ds) as site:
        # hang: every request times out after 2 s (the mock profile's 10 s, shortened)
        extra = ("-s", "DOWNLOAD_TIMEOUT=2") if mode == "hang" else ()
        proc = _start_crawl(site, db_url, *extra)
        _wait_for_articles(site, proc, 80)
        asked_before = site.hits_total()  # the requests the mock had before the outage
        articles_left = len(ds) - site.hits_article_pages()
        site.outage(mode)
        _, err = proc.communicate(timeout=300)

        assert proc.returncode == 3, err[-3000:]
        lines = messages(err)
        # One error line, then the summary. With -q warnings still show: Scrapy's one "Got data
        # loss" when the outage cuts a response, never a traceback or a warning per article.
        [error] = [line for line in lines if line.startswith("thepaper-archive: error: ")]
        assert error.startswith(f"thepaper-archive: error: lost contact with 127.0.0.1:{site.port}: ")
        assert error.endswith("stopping the run (the next run resumes)")
        assert (
            lines[-2:][0] == error
            and lines[-1].startswith("run 1 failed (lost contact with ")
            and "failed 0;" in lines[-1]
        )
        assert all("Got data loss" in line for line in lines[:-2]) and "Traceback" not in err, err[-3000:]
        with Session(create_engine(db_url)) as s:
            run = s.scalars(select(CrawlRun)).one()
            # stopped soon: fewer requests after the outage than articles left to fetch (not the
            # 4 tries, with backoff, of every remaining article of before)
            assert run.counters["requests"] - asked_before < articles_left, (run.counters, asked_before)
            assert run.status == "failed" and run.message.startswith("lost contact with")
            assert s.scalar(select(func.count()).select_from(Failure)) == 0  # nothing that never really failed
            stored = s.scalar(select(func.count()).select_from(Article))
        assert 0 < stored < len(expected_ids(ds))

        site.recover()
        again = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(stored_ids(db_url)) == expected_ids(ds)


def test_a_site_that_hangs_from_the_start_stops_the_run_and_the_next_run_resumes(db_url):
    """The site accepts connections and never answers, from the first request (robots.txt):
    exit 3 after THEPAPER_UNREACHABLE_AFTER timeouts, one line, nothing recorded as failed."""
    ds = generate_dataset(60, seed=22)
    with MockSite(ds) as site:
        site.outage("hang")
        proc = _start_crawl(site, db_url, "-s", "DOWNLOAD_TIMEOUT=2")
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 3, err[-3000:]
        lines = messages(err)
        assert lines[0] == (
            f"thepaper-archive: error: cannot reach 127.0.0.1:{site.port}: DownloadTimeoutError: "
            f"Getting {site.base_url}/robots.txt took longer than 2.0 seconds."
        )
        assert len(lines) == 2 and lines[1].startswith("run 1 failed (cannot reach ") and "failed 0;" in lines[1]
        assert site.hits_article_pages() == 0
        with Session(create_engine(db_url)) as s:
            assert s.scalar(select(func.count()).select_from(Failure)) == 0
            assert s.scalar(select(func.count()).select_from(Article)) == 0

        site.recover()
        again = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(stored_ids(db_url)) == expected_ids(ds)
