"""Distributed mode (crawler/distributed.py): Debian's redis-server, one list walker and three
workers on scrapy-redis, against the mock; one worker is SIGKILLed midway and every article
still ends up stored exactly once (PostgreSQL when THEPAPER_TEST_PG_URL is set, else SQLite)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from storage.models import Article
from tests.conftest import PG_URL, ROOT, cli_env, fresh_db_url, run_cli
from tests.mocksite.dataset import generate_dataset
from tests.mocksite.server import MockSite
from tests.test_e2e_scheduled import expected_ids

pytestmark = pytest.mark.timeout(150)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--daemonize", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _stored(db) -> list[int]:
    engine = create_engine(db)
    try:
        with Session(engine) as s:
            return list(s.scalars(select(Article.cont_id)))
    finally:
        engine.dispose()


def _count(db) -> int:
    from sqlalchemy.exc import DBAPIError

    try:
        return len(_stored(db))
    except DBAPIError:  # the archive's tables are not created yet
        return 0


def test_walker_and_three_workers_one_killed_store_every_article_once(tmp_path, redis_url):
    db = fresh_db_url("postgresql", tmp_path, name="dist") if PG_URL else fresh_db_url("sqlite", tmp_path)
    ds = generate_dataset(400, seed=21)
    expected = expected_ids(ds)

    def start(site, role, *extra):
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db, "--quiet",
             "--redis", redis_url, "--role", role, *extra],
            cwd=ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    with MockSite(ds) as site:
        # Workers slowed down a little so that the kill lands mid-crawl.
        slow = ("-s", "DOWNLOAD_DELAY=0.05", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "CONCURRENT_REQUESTS=4")
        workers = [start(site, "worker", *slow) for _ in range(3)]
        walker = start(site, "walker")
        deadline = time.monotonic() + 60
        while _count(db) < len(expected) // 4:
            assert time.monotonic() < deadline, "no progress"
            assert workers[0].poll() is None, workers[0].communicate()[1][-3000:]
            time.sleep(0.2)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        for proc in [walker, *workers[1:]]:
            _, err = proc.communicate(timeout=90)
            assert proc.returncode == 0, err[-3000:]
        first = _stored(db)
        assert len(first) == len(set(first))
        assert set(first) <= expected

        # The killed worker's in-flight requests are not in the archive: the next walker run
        # (a fresh duplicate-filter key) queues them again; one worker fetches them.
        follow_worker = start(site, "worker")
        follow_walker = start(site, "walker", "--full")
        for proc in (follow_walker, follow_worker):
            _, err = proc.communicate(timeout=90)
            assert proc.returncode == 0, err[-3000:]

    ids = _stored(db)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_crawl_redis_usage_rejects_unknown_role():
    proc = run_cli("crawl", "--redis", "redis://127.0.0.1:1/0", "--role", "boss", timeout=60)
    assert proc.returncode == 2
