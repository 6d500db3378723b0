"""The crawl's worker process started before Scrapy (storage.worker.start_early, used by
``crawl`` through crawler.cli.spider_run.early_worker): the ProcessWriter built later with the same
arguments takes it; one built with other arguments starts its own and the early one is stopped;
a crawl that ends before its pipelines are built leaves no worker behind. And the worker ignores
Ctrl-C (the terminal's whole process group gets it): the crawl stops it once its pages are queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from cleaning.page import clean_page, load_chain
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage import worker
from tests.conftest import cli_env, run_cli

ROOT = Path(__file__).resolve().parent.parent


def _args(keywords: bool = False, max_batch: int = 50) -> dict:
    # a new partial each time, as the CLI and the item pipeline each build their own
    return {
        "max_batch": max_batch,
        "clean": clean_page,
        "keep_records": False,
        "warm": partial(load_chain, keywords=keywords),
    }


def _ended(proc, timeout: float = 30) -> bool:
    proc.join(timeout=timeout)
    return not proc.is_alive()


@pytest.fixture(autouse=True)
def _nothing_left():
    yield
    worker.discard_early()


def test_the_same_arguments_take_the_early_worker():
    worker.start_early(**_args())
    proc = worker._early[0][1][1]
    taken = worker._take_early(*_args().values())
    assert taken is not None and taken[1] is proc and proc.is_alive()
    assert worker._early == []
    conn = taken[0]
    conn.close()  # no archive named: it sees the pipe close and ends
    assert _ended(proc) and proc.exitcode == 0


@pytest.mark.parametrize("other", [_args(keywords=True), _args(max_batch=51), {**_args(), "keep_records": True}])
def test_other_arguments_start_anew_and_stop_the_early_worker(other):
    worker.start_early(**_args())
    proc = worker._early[0][1][1]
    assert worker._take_early(*other.values()) is None
    assert worker._early == [] and _ended(proc)


def test_a_second_early_start_replaces_the_first_and_discard_stops_it():
    worker.start_early(**_args())
    first = worker._early[0][1][1]
    worker.start_early(**_args())
    second = worker._early[0][1][1]
    assert len(worker._early) == 1 and _ended(first)
    worker.discard_early()
    assert worker._early == [] and _ended(second)
    worker.discard_early()  # nothing started: nothing to do


@pytest.mark.parametrize(
    "a, b, same",
    [
        (partial(load_chain, keywords=True), partial(load_chain, keywords=True), True),
        (partial(load_chain, keywords=True), partial(load_chain, keywords=False), False),
        (partial(load_chain), partial(load_chain, keywords=True), False),
        (None, None, True),
        (None, partial(load_chain), False),
    ],
)
def test_arguments_compare_partials_by_what_they_call(a, b, same):
    assert worker._same_args((1, clean_page, False, a), (1, clean_page, False, b)) is same


def _crawl_args(site, db_url: str, *extra: str) -> list[str]:
    return ["crawl", "--base-url", site.base_url, "--db", db_url, *extra]


def _start_crawl(site, db_url: str, *extra: str, **popen) -> subprocess.Popen:
    """``thepaper-archive crawl`` of ``site`` into ``db_url``, running (its output as text)."""
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *_crawl_args(site, db_url, *extra)],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_a_crawl_with_the_worker_takes_the_one_started_early(tmp_path):
    ds = generate_dataset(30, seed=3)
    db_url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with MockSite(ds) as site:
        res = run_cli(*_crawl_args(site, db_url, "--profile", "bench", "--log-level", "debug"), timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stderr.count("the worker process started early") == 1
    assert res.stderr.splitlines()[-1].startswith("run 1 ok: new ")


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


def test_a_crawl_refused_before_scrapy_starts_leaves_no_worker(tmp_path):
    """The run lock is held by another crawl: this one exits (code 4) before its pipelines are
    built; the worker it started early ends with it, not left waiting."""
    ds = generate_dataset(150, seed=9)
    db_url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    faults = [{"pattern": r"^/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0, "scope": "request"}]
    with MockSite(ds, faults=faults) as site:
        holder = _start_crawl(site, db_url, "-q")
        try:
            deadline = time.monotonic() + 120
            while site.hits_article_pages() == 0 and time.monotonic() < deadline:  # the lock is held
                time.sleep(0.1)
            refused = _start_crawl(site, db_url, "-q", "--profile", "bench")
            seen: set[int] = set()
            while refused.poll() is None:
                seen |= _children(refused.pid)
                time.sleep(0.05)
            err = refused.stderr.read()
        finally:
            holder.send_signal(signal.SIGINT)
            holder.communicate(timeout=300)
    assert refused.returncode == 4 and "another run is in progress" in err, err[-2000:]
    assert seen, "the early worker was never seen"
    time.sleep(0.5)
    for pid in seen:  # every child it started has ended (no orphan waiting on a pipe)
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_ctrl_c_at_a_terminal_stops_the_crawl_and_its_worker_stores_what_was_fetched(tmp_path):
    """Ctrl-C reaches the crawl's whole process group, the worker included: the worker ignores it,
    the crawl stops as Scrapy does (exit code 130) and sends the stop once its pages are queued; every
    article page fetched is in the archive, and no traceback is printed."""
    import sqlalchemy as sa

    from storage.db import open_archive
    from storage.models import RawPage

    ds = generate_dataset(150, seed=5)
    db_url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    faults = [{"pattern": r"^/newsDetail_forward_", "kind": "slow", "delay": 0.2, "rate": 1.0, "scope": "request"}]
    with MockSite(ds, faults=faults) as site:
        # its own process group, as a shell gives a command
        proc = _start_crawl(site, db_url, "-q", "--profile", "bench", start_new_session=True)
        deadline = time.monotonic() + 120
        while site.hits_article_pages() < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=300)
        fetched = site.hits_article_pages()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
    engine, Session = open_archive(db_url)
    try:
        with Session() as s:
            stored = s.scalar(sa.select(sa.func.count()).select_from(RawPage).where(RawPage.kind == "article"))
    finally:
        engine.dispose()
    assert 20 <= stored <= fetched
    assert stored >= fetched - 1  # a page whose answer was cut by the stop may be missing, no more
