"""A crawl whose worker process dies (``THEPAPER_PIPELINE_WORKER``: the child that cleans and stores
the pages), as when the system runs out of memory and kills it: the run stops with one line that says
how the worker ended (exit code 6), is recorded as failed, keeps what was committed, and the next run
completes the archive. Before, the crawl waited for ever on the pages it had handed over."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import CrawlRun, RunLock
from tests.conftest import ROOT, cli_env, messages, run_cli
from tests.test_e2e_full_disk import articles_and_orphans
from tests.test_e2e_scheduled import expected_ids, stored_ids

STOP_LINE = (
    "thepaper-archive: error: the crawl's worker process was killed by SIGKILL (as when the system runs out "
    "of memory) before it stored the pages handed to it; stopping the run (what was committed stays; the next "
    "run fetches the rest)"
)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as fh:
            kids += [int(k) for k in fh.read().split()]
    return kids


def _worker_of(pid: int) -> int | None:
    """The crawl's worker process: its ``multiprocessing`` child that is not the resource tracker."""
    for kid in _children(pid):
        try:
            with open(f"/proc/{kid}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            continue
        if b"spawn_main" in cmd and b"resource_tracker" not in cmd:
            return kid
    return None


def _committed(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:  # not made yet
        return 0


def test_a_crawl_whose_worker_is_killed_stops_with_one_line_and_the_next_run_completes(tmp_path):
    ds = generate_dataset(2000, seed=13)
    db = tmp_path / "archive.sqlite3"
    db_url = f"sqlite:///{db}"
    args = ["crawl", "--db", db_url, "-q", "-s", "THEPAPER_PIPELINE_WORKER=1"]
    with MockSite(ds) as site:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", *args, "--base-url", site.base_url],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 300
            while _committed(db) < 40 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)  # a batch of articles is committed: the crawl is under way
            worker = _worker_of(proc.pid)
            assert worker is not None and proc.poll() is None, "the crawl ended before its worker could be killed"
            os.kill(worker, signal.SIGKILL)
            _, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 6, err[-3000:]
        lines = messages(err)
        assert lines[0] == STOP_LINE and len(lines) == 2, err[-3000:]  # quiet: the line and the summary
        assert lines[1].startswith("run 1 failed (the crawl's worker process was killed by SIGKILL")
        engine = create_engine(db_url)
        with Session(engine) as s:
            assert s.scalar(text("PRAGMA integrity_check")) == "ok"
            assert s.scalars(select(CrawlRun.status)).all() == ["failed"]
            assert s.scalar(select(func.count()).select_from(RunLock)) == 0  # the lock is released
        first, orphans = articles_and_orphans(db_url)
        summary = lines[1]
        new, gone = (int(summary.split(f"{k} ")[1].split(",")[0]) for k in ("new", "gone"))
        assert new + gone == first and orphans == 0  # the summary counts what was committed, nothing more
        assert 0 < first < len(expected_ids(ds))
        again = run_cli(*args, "--base-url", site.base_url)
        assert again.returncode == 0, again.stderr[-3000:]
        assert set(stored_ids(db_url)) == expected_ids(ds)  # the pages the dead worker held were fetched again
        engine.dispose()
