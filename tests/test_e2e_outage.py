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
    watch = HostWatch(start_after=3, outage_after=4, silence_s=100)
    watch.response()
    assert [watch.failure(t, connection=True) for t in range(3)] == [None, None, None]
    assert watch.failure(3, connection=True) == "outage"


def test_one_answer_ends_a_streak():
    watch = HostWatch(outage_after=3, silence_s=100)
    watch.response()
    for _ in range(5):
        assert watch.failure(0, connection=True) is None
        assert watch.failure(0, connection=True) is None
        watch.response()


def test_timeouts_and_resets_are_an_outage_only_after_the_silence():
    """A live server that times out or resets single pages never refuses a connection: such
    failures stop the run only when nothing at all has answered for ``silence_s``."""
    watch = HostWatch(outage_after=3, silence_s=60)
    watch.response()
    assert all(watch.failure(t, connection=False) is None for t in range(0, 60, 5))
    assert watch.failure(60, connection=False) == "outage"
    idle = HostWatch(silence_s=60)
    idle.response()
    assert idle.failure(10_000, connection=False) is None  # a cool-down without requests is no silence
    assert idle.failure(10_030, connection=False) is None
    assert idle.failure(10_060, connection=False) == "outage"


def test_before_any_answer_the_start_rule_applies():
    watch = HostWatch(start_after=3, outage_after=100)
    assert [watch.failure(0, connection=False) for _ in range(3)] == [None, None, "unreachable"]


def test_zero_turns_a_rule_off():
    watch = HostWatch(start_after=0, outage_after=0, silence_s=0)
    assert all(watch.failure(t, connection=True) is None for t in range(100))
    watch.response()
    assert all(watch.failure(t * 1000, connection=True) is None for t in range(100))


# --------------------------------------------------------------------------- end to end
def _start_crawl(site, db_url, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db_url,
                             "-q", *extra], cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


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
        # hang: every request times out after 2 s; 4 s of that without an answer is an outage
        extra = ("-s", "DOWNLOAD_TIMEOUT=2", "-s", "THEPAPER_OUTAGE_SILENCE_S=4") if mode == "hang" else ()
        proc = _start_crawl(site, db_url, *extra)
        _wait_for_articles(site, proc, 80)
        down_at = time.monotonic()
        site.outage(mode)
        _, err = proc.communicate(timeout=180)
        stopped_after = time.monotonic() - down_at
        hits_at_stop = site.hits_article_pages()
        time.sleep(0.5)
        assert site.hits_article_pages() == hits_at_stop  # nothing more is asked for

        assert proc.returncode == 3, err[-3000:]
        lines = messages(err)
        # One error line, then the summary. With -q warnings still show: Scrapy's one "Got data
        # loss" when the outage cuts a response, never a traceback or a warning per article.
        [error] = [line for line in lines if line.startswith("thepaper-archive: error: ")]
        assert error.startswith(f"thepaper-archive: error: lost contact with 127.0.0.1:{site.port}: ")
        assert error.endswith("stopping the run (the next run resumes)")
        assert lines[-2:][0] == error and lines[-1].startswith("run 1 failed (lost contact with ") and "failed 0;" in lines[-1]
        assert all("Got data loss" in line for line in lines[:-2]) and "Traceback" not in err, err[-3000:]
        assert stopped_after < 60  # not the 4 × backoff × every remaining article of before
        with Session(create_engine(db_url)) as s:
            run = s.scalars(select(CrawlRun)).one()
            assert run.status == "failed" and run.message.startswith("lost contact with")
            assert s.scalar(select(func.count()).select_from(Failure)) == 0  # nothing that never really failed
            stored = s.scalar(select(func.count()).select_from(Article))
        assert 0 < stored < len(expected_ids(ds))

        site.recover()
        again = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(stored_ids(db_url)) == expected_ids(ds)
