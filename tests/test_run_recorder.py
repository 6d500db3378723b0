"""The run's record and state: the run recorder extension opens the run's row when the spider
opens and finishes it when it closes (a real crawl of the mock over loopback); the typed run
state is what the stop path and the exit code read; ``reprocess`` records a run as well, through
the one run-record helper (:class:`storage.runs.RunRecord`)."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from crawler.cli.errors import EXIT_BLOCKED, EXIT_OK, EXIT_STORAGE, EXIT_UNREACHABLE
from crawler.cli.spider_run import exit_code_for
from crawler.run_stop import stop_run, stop_unwritable, stopping
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from pipelines.run_state import RunState, run_state
from storage.models import CrawlRun, RawPage
from storage.runs import RUN_COMMANDS, RunRecord, outcome_status
from storage.unwritable import ArchiveUnwritable
from tests.conftest import BACKENDS, ROOT, cli_env, fresh_db_url, run_cli

#: A crawl in a process of its own (Scrapy's reactor runs once per process) that looks at the
#: run's row while the first item goes through, and prints the run's state at the end.
_CRAWL = """
import json, sys
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from crawler.cli import build_parser
from crawler.cli.spider_run import build_settings
from pipelines.run_state import run_state
from storage.models import CrawlRun

settings = build_settings(build_parser().parse_args(["crawl", "--base-url", sys.argv[1], "--db", sys.argv[2], "-q"]))
process = CrawlerProcess(settings)
crawler = process.create_crawler("thepaper")
during = []

def first_item(item, response=None, spider=None):
    if during:
        return
    state = run_state(crawler)
    with state.archive.Session() as session:
        run = session.get(CrawlRun, state.run_id)
        during.append({"status": run.status, "finished": run.finished_at is not None, "command": run.command})

crawler.signals.connect(first_item, signal=signals.item_scraped)
process.crawl(crawler)
process.start()
state = run_state(crawler)
print(json.dumps({"during": during, "run_id": state.run_id, "status": state.status, "message": state.message,
                  "stop_reason": state.stop_reason, "counts": dict(state.counts)}))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_recorder_opens_the_run_when_the_spider_opens_and_finishes_it_when_it_closes(backend, tmp_path):
    db = fresh_db_url(backend, tmp_path, name="recorder")
    with MockSite(generate_dataset(30, seed=8)) as site:
        proc = subprocess.run(
            [sys.executable, "-c", _CRAWL, site.base_url, db],
            cwd=ROOT,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # while items flowed, the run's row was open ("running", no end), a crawl
    assert out["during"] == [{"status": "running", "finished": False, "command": "crawl"}]
    engine = create_engine(db)
    try:
        with Session(engine) as s:
            run = s.scalars(select(CrawlRun)).one()
            assert run.id == out["run_id"]
            assert (run.status, run.message) == (out["status"], out["message"])
            assert run.status in ("ok", "partial") and out["stop_reason"] is None
            assert run.finished_at is not None and run.finished_at >= run.started_at
            # the row's counters are the state's
            counts = out["counts"]
            for key in ("new", "updated", "unchanged", "gone", "kept_original"):
                assert run.counters[key] == counts.get(f"thepaper/stored/{key}", 0), key
            assert run.counters["failed"] == counts.get("thepaper/failed", 0)
            assert run.counters["list_pages"] == counts["thepaper/list_pages"] > 0
            assert run.counters["new"] > 10
            assert run.coverage["pages"] == counts["thepaper/coverage/pages"] > 0
            assert run.drift["state"] in ("too_few", "no_baseline")
            # every page fetched belongs to the run, fetched between its start and its end
            pages = s.scalars(select(RawPage)).all()
            assert pages and {p.run_id for p in pages} == {run.id}
            assert all(run.started_at <= p.fetched_at <= run.finished_at for p in pages)
    finally:
        engine.dispose()


# ------------------------------------------------------------------ the typed state and the stop path
def _crawler():
    from scrapy.utils.test import get_crawler

    return get_crawler(settings_dict={"TWISTED_REACTOR_ENABLED": False})


def test_the_stop_path_reads_and_writes_the_typed_state_not_the_stats():
    crawler = _crawler()
    crawler.stats.open_spider()
    state = run_state(crawler)
    assert run_state(crawler) is state  # one state per crawler
    halted = []
    state.halt = lambda reason, message, drop: halted.append((reason, message, drop))
    # what the stats say decides nothing
    crawler.stats.set_value("thepaper/stop_reason", "blocked")
    crawler.stats.set_value("thepaper/fatal", "not from the state")
    assert stopping(crawler) is None and state.fatal is None
    assert exit_code_for(RunState(status="ok"), crawler.stats.get_stats()) == EXIT_OK

    assert stop_run(crawler, "site_unreachable", "cannot reach 127.0.0.1:9")
    assert stopping(crawler) == state.stop_reason == "site_unreachable"
    assert state.fatal == "cannot reach 127.0.0.1:9"
    assert halted == [("site_unreachable", "cannot reach 127.0.0.1:9", None)]
    # the first reason wins: a later guard neither changes it nor halts again
    assert not stop_run(crawler, "blocked", "blocked")
    assert not stop_unwritable(crawler, ArchiveUnwritable("the disk is full"))
    assert (state.stop_reason, len(halted)) == ("site_unreachable", 1)
    assert exit_code_for(state, {"finish_reason": "site_unreachable"}) == EXIT_UNREACHABLE


@pytest.mark.parametrize(
    "reason, code",
    [("site_unreachable", EXIT_UNREACHABLE), ("blocked", EXIT_BLOCKED), ("archive_unwritable", EXIT_STORAGE)],
)
def test_the_exit_code_of_a_stopped_run_is_its_states_reason(reason, code):
    state = RunState()
    state.stop(reason, "why")
    state.status = "failed"
    assert exit_code_for(state, {"finish_reason": "shutdown"}) == code


def test_an_unwritable_archive_stops_with_its_one_line_and_counters_show_in_the_stats():
    crawler = _crawler()
    crawler.stats.open_spider()
    state = run_state(crawler)
    assert stop_unwritable(crawler, ArchiveUnwritable("the disk is full"))
    assert state.fatal == (
        "cannot write the archive: the disk is full; stopping the run (the next run resumes "
        "once the archive can be written)"
    )
    state.inc_value("thepaper/stored/new", 2)
    assert state.counts["thepaper/stored/new"] == crawler.stats.get_value("thepaper/stored/new") == 2


# ------------------------------------------------------------------ one run-record helper for every run
@pytest.mark.parametrize(
    "done, error, failed, status",
    [
        (True, None, 0, "ok"),
        (True, None, 3, "partial"),
        (True, "damaged WARC", 0, "failed"),
        (False, None, 0, "aborted"),
        (False, "x", 2, "aborted"),
    ],
)
def test_a_batch_jobs_status(done, error, failed, status):
    assert outcome_status(done=done, error=error, failed=failed) == status


def test_a_run_record_refuses_an_unknown_command(tmp_path):
    from storage.db import open_archive

    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    try:
        with pytest.raises(ValueError, match="reprocess"):
            RunRecord.open(Session, "reprocesss", {})
        run = RunRecord.open(Session, "reprocess", {"jobs": 1})
        run.finish("ok", {"new": 1}, "finished")
        with Session() as s:
            row = s.get(CrawlRun, run.id)
            assert (row.command, row.status, row.message, row.counters["new"]) == ("reprocess", "ok", "finished", 1)
            assert row.counters["duration_s"] >= 0 and row.finished_at is not None
            assert s.scalar(select(func.count()).select_from(CrawlRun)) == 1  # the refused one left no row
    finally:
        engine.dispose()
    assert set(RUN_COMMANDS) == {"crawl", "import", "reprocess"}


def test_reprocess_writes_a_run_row(tmp_path):
    """``reprocess`` as a user types it: its run is in ``crawl_runs`` (issue 24 item 14), beside the crawl's."""
    db = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with MockSite(generate_dataset(12, seed=4)) as site:
        crawl = run_cli("crawl", "--base-url", site.base_url, "--db", db, "-q", timeout=600)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    proc = run_cli("reprocess", "--db", db, "--jobs", "1", "-q", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    engine = create_engine(db)
    try:
        with Session(engine) as s:
            runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            pages = s.scalar(select(func.count()).select_from(RawPage).where(RawPage.kind == "article"))
    finally:
        engine.dispose()
    assert [r.command for r in runs] == ["crawl", "reprocess"]
    run = runs[1]
    assert run.status in ("ok", "partial") and run.message == "finished" and run.finished_at is not None
    assert run.args["jobs"] == 1 and run.pid not in (None, os.getpid())
    assert run.counters["unchanged"] > 0 and run.counters["new"] == run.counters["updated"] == 0
    assert 0 < run.counters["pages"] <= pages
    assert (
        sum(run.counters[k] for k in ("new", "updated", "unchanged", "kept_original", "failed"))
        == run.counters["pages"]
    )
    assert proc.stderr.strip().splitlines()[-1].startswith(f"reprocess: run {run.id}: new 0, updated 0, unchanged ")


def test_an_interrupted_reprocess_is_recorded_aborted(tmp_path, monkeypatch):
    """Ctrl-C in the middle of a reprocess: exit 130, and its row says ``aborted`` and why."""
    from cleaning import document as chain
    from crawler import cli

    db = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with MockSite(generate_dataset(12, seed=4)) as site:
        assert run_cli("crawl", "--base-url", site.base_url, "--db", db, "-q", timeout=600).returncode == 0
    original, calls = chain.clean_document, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(chain, "clean_document", interrupted)
    assert cli.main(["reprocess", "--db", db, "--jobs", "1", "-q"]) == 130
    engine = create_engine(db)
    try:
        with Session(engine) as s:
            run = s.scalars(select(CrawlRun).where(CrawlRun.command == "reprocess")).one()
    finally:
        engine.dispose()
    assert (run.status, run.message) == ("aborted", "interrupted by SIGINT (Ctrl-C)")
    assert run.finished_at is not None and run.counters["pages"] == 0


# ------------------------------------------------------------------ nothing decides on a stats key
#: Reading one of our keys back from Scrapy's stats (``stats.get_value("thepaper/...")``,
#: ``stats.get("thepaper/...")``, ``stats["thepaper/..."]``).
_STATS_READ = re.compile(r"""stats\w*(?:\.get_value|\.get)\(\s*f?["']thepaper/|stats\w*\[\s*f?["']thepaper/""")


def stats_reads(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _STATS_READ.search(line)]


def test_no_module_reads_its_control_state_back_from_the_stats():
    """Stats are for display: the run's control flow reads the typed state."""
    found = {
        str(path.relative_to(ROOT)): stats_reads(path.read_text(encoding="utf-8"))
        for pkg in ("crawler", "pipelines", "jobs")
        for path in sorted((ROOT / pkg).rglob("*.py"))
    }
    assert {path: lines for path, lines in found.items() if lines} == {}


@pytest.mark.parametrize(
    "line, read",
    [
        ('if self.crawler.stats.get_value("thepaper/fatal"):', True),
        ('reason = stats.get("thepaper/stop_reason") or stats.get("finish_reason")', True),
        ("error_line(stats['thepaper/alarm'])", True),
        ('self.crawler.stats.inc_value("thepaper/list_pages")', False),
        ('self.crawler.stats.set_value("thepaper/run_status", status)', False),
        ('counters["failed"] = int(counts.get("thepaper/failed", 0))', False),
    ],
)
def test_the_check_sees_a_stats_read(line, read):
    assert bool(stats_reads(line)) is read
