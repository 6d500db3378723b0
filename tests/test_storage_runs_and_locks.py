"""The archive's bookkeeping: failures back off and go dead, runs start, finish and are aborted when
dead, cursors never move back, and the crawl lock is refused, kept alive, released and taken over
from a stale or dead holder, with one winner when processes race for it.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from storage.failures import due_failures, record_failure, resolve_failure
from storage.runs import (
    abort_dead_runs,
    acquire_lock,
    finish_run,
    get_cursor,
    heartbeat,
    lock_holder,
    release_lock,
    set_cursor,
    start_run,
)
from storage.models import CrawlRun, Failure
from tests.conftest import ROOT
from tests.storage_helpers import T0, archive, session, start_together


# --------------------------------------------------------------------------- failures
def test_failure_backoff_then_dead(session):
    url = "https://www.thepaper.cn/newsDetail_forward_5"
    base = 600
    for attempt in range(1, 5):
        now = T0 + timedelta(hours=attempt)
        f = record_failure(
            session,
            url=url,
            cont_id=5 if attempt == 1 else None,
            reason=f"http_50{attempt}",
            message=f"try {attempt}",
            run_id=None,
            now=now,
            max_attempts=4,
            backoff_base_s=base,
        )
        session.commit()
        assert f.attempts == attempt and f.reason == f"http_50{attempt}" and f.message == f"try {attempt}"
        assert f.cont_id == 5 and f.first_failed_at == T0 + timedelta(hours=1) and f.last_failed_at == now
        if attempt < 4:
            assert not f.dead and f.next_retry_at == now + timedelta(seconds=base * 2 ** (attempt - 1))
        else:
            assert f.dead and f.next_retry_at is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Failure)) == 1


def test_due_failures_and_resolve(session):
    a = record_failure(
        session, url="a", cont_id=1, reason="timeout", message="", run_id=None, now=T0, backoff_base_s=60
    )
    b = record_failure(
        session,
        url="b",
        cont_id=2,
        reason="timeout",
        message="",
        run_id=None,
        now=T0 + timedelta(seconds=30),
        backoff_base_s=60,
    )
    record_failure(session, url="c", cont_id=3, reason="http_404", message="", run_id=None, now=T0, max_attempts=1)
    session.commit()
    assert due_failures(session, T0 + timedelta(seconds=59)) == []
    assert [f.url for f in due_failures(session, T0 + timedelta(seconds=60))] == ["a"]
    assert [f.url for f in due_failures(session, T0 + timedelta(days=1))] == ["a", "b"]  # c is dead
    assert resolve_failure(session, "a") == 1
    assert resolve_failure(session, "other-url-form", cont_id=2) == 1
    assert resolve_failure(session, "a") == 0
    session.commit()
    assert [f.url for f in session.scalars(sa.select(Failure))] == ["c"]
    assert a is not None and b is not None


# --------------------------------------------------------------------------- runs and cursors
def test_runs_start_and_finish(session):
    run = start_run(session, command="crawl", args={"channels": [119908]}, now=T0)
    assert run.id is not None and run.status == "running" and run.pid == os.getpid()
    counters = {"new": 3, "updated": 1, "unchanged": 9, "gone": 1, "failed": 0}
    finish_run(session, run, status="ok", counters=counters, message="done", now=T0 + timedelta(minutes=2))
    session.commit()
    session.expunge_all()
    r = session.get(CrawlRun, run.id)
    assert (r.status, r.counters, r.message, r.args) == ("ok", counters, "done", {"channels": [119908]})
    assert r.finished_at - r.started_at == timedelta(minutes=2) and r.hostname == socket.gethostname()
    with pytest.raises(ValueError):
        finish_run(session, r, status="running", counters={}, message=None, now=T0)


def test_abort_dead_runs(session):
    dead_pid = _dead_pid()
    mine = start_run(session, command="crawl", args={}, now=T0)
    crashed = start_run(session, command="crawl", args={}, now=T0)
    crashed.pid = dead_pid
    elsewhere = start_run(session, command="crawl", args={}, now=T0)
    elsewhere.pid, elsewhere.hostname = dead_pid, "some-other-host"
    session.flush()
    assert [r.id for r in abort_dead_runs(session, T0)] == [crashed.id]
    assert (crashed.status, mine.status, elsewhere.status) == ("aborted", "running", "running")


def test_cursor_advances_but_never_back(session):
    assert get_cursor(session, "channel", 119908) is None
    c = set_cursor(session, "channel", 119908, 1_700_000_000_000, run_id=None, now=T0)
    set_cursor(session, "channel", 119908, 1_600_000_000_000, run_id=None, now=T0 + timedelta(1))
    assert c.newest_pub_time_ms == 1_700_000_000_000 and c.updated_at == T0
    set_cursor(session, "channel", 119908, 1_800_000_000_000, run_id=None, now=T0 + timedelta(2))
    set_cursor(session, "node", 119908, 5, run_id=None, now=T0)
    session.commit()
    assert get_cursor(session, "channel", 119908).newest_pub_time_ms == 1_800_000_000_000
    assert get_cursor(session, "node", 119908).newest_pub_time_ms == 5
    set_cursor(session, "channel", 119908, 1, run_id=None, now=T0, force=True)
    assert get_cursor(session, "channel", 119908).newest_pub_time_ms == 1
    with pytest.raises(ValueError):
        set_cursor(session, "tag", 1, 1, run_id=None, now=T0)


# --------------------------------------------------------------------------- locks
def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lock_acquire_refuse_heartbeat_release(archive):
    engine, _ = archive
    me, other = "hostA:1", f"{socket.gethostname()}:{os.getpid()}"
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=me)
    assert not acquire_lock(engine, "crawl", stale_after_s=60, holder=other)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=me)  # re-entrant for the holder
    assert acquire_lock(engine, "reprocess", stale_after_s=60, holder=other)  # other names are free
    assert heartbeat(engine, "crawl", holder=me) and not heartbeat(engine, "crawl", holder=other)
    assert not release_lock(engine, "crawl", holder=other)
    assert release_lock(engine, "crawl", holder=me)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder=other)
    assert lock_holder(engine, "crawl").holder == other


def test_stale_lock_is_taken_over(archive):
    engine, _ = archive
    t = datetime.now(timezone.utc)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder="far-host:42", now=t - timedelta(seconds=61))
    assert not acquire_lock(engine, "crawl", stale_after_s=120, holder="me:1", now=t)
    assert acquire_lock(engine, "crawl", stale_after_s=60, holder="me:1", now=t)
    assert not heartbeat(engine, "crawl", holder="far-host:42")  # the old holder learns it lost it
    lock = lock_holder(engine, "crawl")
    assert lock.holder == "me:1" and lock.acquired_at == t


def test_dead_holder_lock_is_taken_over(archive):
    engine, _ = archive
    dead = f"{socket.gethostname()}:{_dead_pid()}"
    assert acquire_lock(engine, "crawl", stale_after_s=3600, holder=dead)
    assert acquire_lock(engine, "crawl", stale_after_s=3600)  # fresh heartbeat, but its pid is gone
    assert lock_holder(engine, "crawl").holder == f"{socket.gethostname()}:{os.getpid()}"
    # a live holder (this very process) on the same host is respected
    assert not acquire_lock(engine, "crawl", stale_after_s=3600, holder="x:1")


_RACER = textwrap.dedent("""
    import sys
    from storage.db import make_engine
    from storage.runs import acquire_lock
    engine = make_engine(sys.argv[1])
    print("READY", flush=True)
    sys.stdin.readline()  # GO: every racer is ready
    print("GOT" if acquire_lock(engine, "crawl", stale_after_s=600) else "REFUSED", flush=True)
    sys.stdin.readline()  # stay alive until every racer has tried: a dead holder would be taken over
""")


def test_lock_race_between_processes(archive, db_url):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = start_together(_RACER, [db_url], 6, env)
    results = [proc.stdout.readline().strip() for proc in procs]  # every racer has tried
    outs = [proc.communicate(input="done\n", timeout=600) for proc in procs]
    assert sorted(results) == ["GOT"] + ["REFUSED"] * 5, [o[1][-500:] for o in outs]
