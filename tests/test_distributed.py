"""Distributed mode (crawler/distributed.py): Debian's redis-server, one list walker and three
workers on scrapy-redis, against a mock of 2,000 articles; one worker is SIGKILLed midway, the
others take back the requests it held, and every article ends up stored exactly once (PostgreSQL when
THEPAPER_TEST_PG_URL is set, else SQLite)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from crawler.distributed import INFLIGHT_KEY
from storage.models import Article
from tests.conftest import PG_URL, ROOT, cli_env, fresh_db_url, run_cli
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.redisserver import redis_server
from tests.test_e2e_scheduled import expected_ids

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


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


def _held_by(redis_url, pid: int) -> int:
    """How many requests the worker with this pid holds in Redis (crawler.distributed)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return sum(1 for w in client.hvals(INFLIGHT_KEY) if f":{pid}:" in w.decode())
    finally:
        client.close()


def test_walker_and_three_workers_one_killed_store_every_article_once(tmp_path, redis_url):
    db = fresh_db_url("postgresql", tmp_path, name="dist") if PG_URL else fresh_db_url("sqlite", tmp_path)
    ds = generate_dataset(2000, seed=21)
    expected = expected_ids(ds)

    def start(site, role, *extra):
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "crawl",
                "--base-url",
                site.base_url,
                "--db",
                db,
                "--quiet",
                "--redis",
                redis_url,
                "--role",
                role,
                "-s",
                "THEPAPER_REDIS_WORKER_TTL_S=3",
                *extra,
            ],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    with MockSite(ds) as site:
        # Workers slowed down a little so that the kill lands mid-crawl.
        slow = ("-s", "DOWNLOAD_DELAY=0.01", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "CONCURRENT_REQUESTS=4")
        workers = [start(site, "worker", *slow) for _ in range(3)]
        walker = start(site, "walker")
        victim = workers[0]
        deadline = time.monotonic() + 90
        # Kill the first worker midway, at a moment it holds requests taken from the queue.
        while _count(db) < len(expected) // 4 or not _held_by(redis_url, victim.pid):
            assert time.monotonic() < deadline, "no progress"
            assert victim.poll() is None, victim.communicate()[1][-3000:]
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert _held_by(redis_url, victim.pid) > 0  # its requests are still in Redis, held by nobody alive
        errs = []
        for proc in [walker, *workers[1:]]:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
            errs.append(err)

    # The survivors gave the dead worker's requests back to the queue and fetched them.
    assert _held_by(redis_url, victim.pid) == 0
    assert any("requests of worker" in e and f":{victim.pid}:" in e for e in errs), errs
    ids = _stored(db)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_worker_stopped_with_ctrl_c_gives_its_requests_back(tmp_path, redis_url):
    """Graceful stop (SIGINT): what the worker held goes back to the queue, a later worker finishes."""
    db = fresh_db_url("sqlite", tmp_path)
    ds = generate_dataset(300, seed=5)
    expected = expected_ids(ds)

    def start(site, role, *extra):
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "crawl",
                "--base-url",
                site.base_url,
                "--db",
                db,
                "--redis",
                redis_url,
                "--role",
                role,
                *extra,
            ],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    with MockSite(ds) as site:
        worker = start(
            site, "worker", "-s", "DOWNLOAD_DELAY=0.05", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "CONCURRENT_REQUESTS=2"
        )
        walker = start(site, "walker")
        _, err = walker.communicate(timeout=600)
        assert walker.returncode == 0, err[-3000:]
        deadline = time.monotonic() + 60
        while _count(db) < 20 or not _held_by(redis_url, worker.pid):
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=600)
        # Scrapy's graceful stop lets the downloads under way finish; they are committed and
        # released, and what is left unfinished goes back to the queue: nothing stays held.
        assert worker.returncode == 130, err[-3000:]  # interrupted (SIGINT)
        assert _held_by(redis_url, worker.pid) == 0, err[-3000:]
        assert len(set(_stored(db))) < len(expected)
        follow = start(site, "worker", "--quiet")
        _, err = follow.communicate(timeout=600)
        assert follow.returncode == 0, err[-3000:]

    ids = _stored(db)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected


def test_crawl_redis_usage_rejects_unknown_role():
    proc = run_cli("crawl", "--redis", "redis://127.0.0.1:1/0", "--role", "boss", timeout=600)
    assert proc.returncode == 2


# -- the acknowledged scheduler, step by step, against the real Redis --------------------------
def _scheduler(redis_url):
    from scrapy.utils.test import get_crawler

    from crawler.distributed import AckedScheduler
    from crawler.spiders.thepaper import ThepaperSpider

    from scrapy.settings import Settings
    from twisted.internet.task import Clock

    import crawler.settings as project
    from crawler.distributed import apply_settings

    settings = Settings()
    settings.setmodule(project)
    apply_settings(settings, redis_url, "worker")
    settings.set("THEPAPER_REDIS_WORKER_TTL_S", 30)
    settings.set("TWISTED_REACTOR_ENABLED", False)  # no reactor in the test process: a fake clock
    crawler = get_crawler(ThepaperSpider, settings.copy_to_dict())
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    sched = AckedScheduler.from_crawler(crawler)
    sched.clock = Clock()
    sched.open(crawler.spider)
    return crawler, sched


def _article_request(spider, cont_id: int):
    from scrapy import Request

    return Request(
        f"http://127.0.0.1:9/newsDetail_forward_{cont_id}",
        callback=spider.parse_article,
        errback=spider.on_error,
        dont_filter=True,
        meta={"cont_id": cont_id},
    )


def test_acked_scheduler_holds_releases_and_recovers(redis_url):
    import redis
    from scrapy import signals

    from crawler.distributed import QUEUE_KEY, WORKER_KEY
    from domain.items import FetchFailure

    client = redis.Redis.from_url(redis_url)
    a_crawler, a = _scheduler(redis_url)
    b_crawler, b = _scheduler(redis_url)
    for cid in (1, 2, 3, 4):
        a.enqueue_request(_article_request(a_crawler.spider, cid))
    assert client.zcard(QUEUE_KEY) == 4
    taken = [a.next_request() for _ in range(3)]
    assert sorted(r.meta["cont_id"] for r in taken) == sorted(int(k) for k in a.held)
    assert client.zcard(QUEUE_KEY) == 1 and client.hlen(INFLIGHT_KEY) == 3

    # An item (here a failure) completes its request: released.
    first = taken[0].meta["cont_id"]
    a_crawler.signals.send_catch_log(
        signals.item_scraped, item=FetchFailure("u", first, "http_500", "x"), response=None, spider=a_crawler.spider
    )
    assert client.hlen(INFLIGHT_KEY) == 2 and str(first) not in a.held
    # A retry of a held request goes back to the queue and replaces it.
    second = taken[1]
    a.enqueue_request(second.replace(meta={**second.meta, "retry_times": 1}))
    assert client.hlen(INFLIGHT_KEY) == 1 and client.zcard(QUEUE_KEY) == 2

    # While a is alive, b leaves its requests alone; once a's heartbeat is gone, b requeues them.
    assert b.recover() == 0
    a._next_beat.cancel()  # a dies: no more heartbeats
    client.delete(WORKER_KEY.format(a.worker))
    assert b.recover() == 1
    assert client.hlen(INFLIGHT_KEY) == 0 and client.zcard(QUEUE_KEY) == 3
    assert b_crawler.stats.get_value("thepaper/redis/recovered") == 1

    # A stop before the end gives back what is held; a finished run drops what never made an item.
    b.next_request()
    b.close("shutdown")
    assert client.hlen(INFLIGHT_KEY) == 0 and client.zcard(QUEUE_KEY) == 3
    c_crawler, c = _scheduler(redis_url)
    got = c.next_request()
    assert got is not None and client.hlen(INFLIGHT_KEY) == 1
    c.close("finished")
    assert client.hlen(INFLIGHT_KEY) == 0 and c_crawler.stats.get_value("thepaper/redis/unacked") == 1
    assert not client.exists(WORKER_KEY.format(c.worker))
    client.close()


def test_crawl_redis_unreachable_or_malformed_is_one_clear_line(tmp_path):
    db = f"sqlite:///{tmp_path}/a.sqlite3"
    proc = run_cli(
        "crawl", "--redis", "redis://:secret@127.0.0.1:1/0", "--role", "worker", "--db", db, "-q", timeout=60
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]  # one line, no traceback
    assert "Redis at 127.0.0.1:1 unreachable" in proc.stderr and "secret" not in proc.stderr
    proc = run_cli("crawl", "--redis", "http://127.0.0.1:1", "--role", "walker", "--db", db, "-q", timeout=600)
    assert proc.returncode == 2 and "--redis" in proc.stderr, proc.stderr[-2000:]
