"""ProcessWriter under the reactor, as a crawl uses it (storage.worker, storage.pipesend): the jobs
submitted go into the worker's pipe from the reactor thread, every Deferred fires once its job is
committed, close waits for the worker; a worker that dies fails what is pending instead of leaving
it waiting (saying how it ended), and what is submitted after it, and close still returns. Each case runs in a new process (the reactor is installed once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import open_archive
from storage.models import RawPage

ROOT = Path(__file__).resolve().parent.parent


def writer_under_reactor(db_url: str, n: int, kill: bool) -> None:
    """Submit ``n`` raw pages to a ProcessWriter under the asyncio reactor (``kill``: the worker
    killed right after); print what each Deferred fired with, and whether close returned."""
    from twisted.internet import asyncioreactor

    asyncioreactor.install()
    from types import SimpleNamespace

    from twisted.internet import reactor
    from twisted.internet.defer import DeferredList, ensureDeferred

    from storage.worker import ProcessWriter
    from tests.raw_codec_helpers import _pages, page_jobs

    out: dict = {}

    async def main():
        writer = ProcessWriter(SimpleNamespace(url=db_url, run_id=None), {}, max_batch=10)
        jobs = page_jobs(_pages(n))
        ds = [writer.submit(*job) for job in jobs]
        if kill:
            writer.proc.kill()
        results = await DeferredList(ds, consumeErrors=True)
        out["stored"] = [ok and entry.raw_page_id is not None for ok, entry in results]
        out["errors"] = sorted({type(r.value).__name__ for ok, r in results if not ok})
        out["messages"] = sorted({str(r.value) for ok, r in results if not ok})
        if kill:  # what is handed over after the death fails at once (it used to wait for ever)
            late = await DeferredList([writer.submit(*job) for job in page_jobs(_pages(3))], consumeErrors=True)
            out["late"] = [type(r.value).__name__ for ok, r in late if not ok]
        await writer.close()
        out["closed"] = True
        out["threads"] = sorted(t.name for t in __import__("threading").enumerate() if t.name.startswith("thepaper"))

    def done(result):
        if hasattr(result, "getTraceback"):
            out["failure"] = result.getTraceback()
        reactor.stop()

    reactor.callWhenRunning(lambda: ensureDeferred(main()).addBoth(done))
    reactor.run()
    print(json.dumps(out))


def _run(db_url: str, n: int, kill: bool) -> dict:
    code = f"from tests.test_process_writer import writer_under_reactor as w; w({db_url!r}, {n}, {kill})"
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert "failure" not in out, out["failure"]
    return out


@pytest.mark.parametrize("n", [1, 45])
def test_every_job_submitted_is_committed_and_its_deferred_fires(db_url, n):
    engine, _ = open_archive(db_url, create=True)
    engine.dispose()
    out = _run(db_url, n, kill=False)
    assert out["stored"] == [True] * n and out["errors"] == []
    assert out["closed"] and out["threads"] == []  # no sender thread; the reader has ended
    engine, Session = open_archive(db_url)
    try:
        with Session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(RawPage)) == n
    finally:
        engine.dispose()


def test_a_worker_that_dies_fails_what_is_pending_and_close_returns(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    engine, _ = open_archive(db_url, create=True)
    engine.dispose()
    out = _run(db_url, 20, kill=True)
    assert out["stored"] == [False] * 20 and out["errors"] == ["WriterLost"]
    assert out["messages"] == [
        "the crawl's worker process was killed by SIGKILL (as when the system runs out of memory) "
        "before it stored the pages handed to it"
    ]
    assert out["late"] == ["WriterLost"] * 3
    assert out["closed"]
