"""Distributed mode on scrapy-redis: one list walker feeds article requests into Redis,
any number of workers consume them and write to the shared archive (PostgreSQL).

``thepaper-archive crawl --redis URL --role walker`` walks the lists as usual; each article
request goes, instead of to its own scheduler, through the shared duplicate filter into the
shared scrapy-redis queue. ``--role worker`` walks nothing: its scheduler is scrapy-redis's,
reading that queue; a worker stops when the queue is empty, no walker is active and no other
worker still holds a request.

Nothing a worker takes is lost when it dies (:class:`AckedScheduler`): a request popped from
the queue moves, in the same Redis script, into the in-flight hash ``thepaper:inflight``
(field: the serialized request, value: the worker's id), and leaves it only once the article
(or its failure) is committed to the archive. Every worker refreshes a heartbeat key
``thepaper:worker:<id>``; the requests of a worker whose heartbeat has expired
(``THEPAPER_REDIS_WORKER_TTL_S``) go back into the queue, again in one script, and another worker
fetches them. An article can thus be fetched twice (the dead worker may have committed it just
before dying); the archive stores it once ("unchanged" the second time).

Bounded Redis state: the duplicate filter key is per walker run
(``thepaper:dupefilter:<run>``) and expires after THEPAPER_REDIS_TTL_S; the queue's and the
in-flight hash's expiry are refreshed on every push, so keys nobody uses disappear after the
same time; heartbeat keys expire by themselves.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

if TYPE_CHECKING:
    from twisted.internet.base import DelayedCall

logger = logging.getLogger(__name__)

QUEUE_KEY = "thepaper:requests"
INFLIGHT_KEY = "thepaper:inflight"  # hash: serialized request -> id of the worker holding it
WORKER_KEY = "thepaper:worker:{}"  # a worker's heartbeat (expires)
WALKER_KEY = "thepaper:walker_active"  # set while a walker runs (refreshed, expires)
WALKER_ALIVE_S = 120

# Pop the best request and hold it for this worker, atomically (a kill between the two
# steps would lose it). KEYS: queue, in-flight; ARGV: worker id, TTL of the in-flight hash.
_POP_AND_HOLD = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if r[1] then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
  redis.call('HSET', KEYS[2], r[1], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return r[1]
end
return false
"""
# Give a held request back to the queue, once: only the caller whose HDEL removed it pushes.
# KEYS: in-flight, queue; ARGV: serialized request, score, TTL of the queue.
_REQUEUE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


def request_key(request) -> str:
    """What a request is held under until done: its article id, else its URL."""
    cont_id = request.meta.get("cont_id")
    return str(cont_id) if cont_id is not None else request.url


def item_key(item) -> str | None:
    """The key of the request an item completes (see :func:`request_key`)."""
    cont_id = getattr(item, "cont_id", None)
    if cont_id is None:
        record = getattr(item, "record", None)
        cont_id = getattr(record, "cont_id", None)
    if cont_id is not None:
        return str(cont_id)
    return getattr(item, "url", None)


def redis_unreachable(redis_url: str) -> str | None:
    """Why Redis at ``redis_url`` cannot be reached (a one-line message without the password),
    or None when it answers; ValueError for a malformed URL. Checked before the crawl starts,
    so that a wrong URL or a server that is down is one clear line."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    where = (
        f"{client.connection_pool.connection_kwargs.get('host', '?')}:"
        f"{client.connection_pool.connection_kwargs.get('port', '?')}"
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {where} unreachable: {exc}"
    finally:
        client.close()
    return None


def apply_settings(settings, redis_url: str, role: str) -> None:
    """Scrapy settings of a walker or worker using Redis at ``redis_url``."""
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    settings.set("THEPAPER_ROLE", role, priority="cmdline")
    settings.set("SCHEDULER_QUEUE_KEY", QUEUE_KEY, priority="cmdline")
    ext = dict(settings.getdict("EXTENSIONS"))
    ext["crawler.distributed.RedisRole"] = 520
    settings.set("EXTENSIONS", ext, priority="cmdline")
    if role == "worker":
        settings.set("SCHEDULER", "crawler.distributed.AckedScheduler", priority="cmdline")
        settings.set("SCHEDULER_PERSIST", True, priority="cmdline")  # the queue outlives a worker
        # Article requests carry dont_filter; the walker deduplicates before pushing.
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
        settings.set("SCHEDULER_DUPEFILTER_KEY", "thepaper:dupefilter:worker", priority="cmdline")


class _Clock(Protocol):
    """What the scheduler needs of the reactor (twisted's IReactorTime.callLater)."""

    def callLater(self, delay: float, callable: Callable[..., object], /, *args: object) -> DelayedCall: ...


class AckedScheduler(Scheduler):
    """scrapy-redis's scheduler, with requests held in Redis until their item is committed.

    ``next_request`` pops and holds in one script; the item's ``item_scraped`` /
    ``item_dropped`` / ``item_error`` signal (sent once the persist stage has committed it)
    releases it; a retry or redirect releases the request it replaces once it is queued
    again. A heartbeat (every third of THEPAPER_REDIS_WORKER_TTL_S, at most 5 s) refreshes the
    worker's key and requeues what dead workers held.
    """

    # set by from_crawler (scrapy-redis builds the scheduler there, not in __init__)
    _next_beat: DelayedCall | None  # the next heartbeat
    _wake: DelayedCall | None  # the next early poll of the engine
    clock: _Clock | None  # the reactor; tests give a twisted.internet.task.Clock

    @classmethod
    def from_crawler(cls, crawler):
        self = super().from_crawler(crawler)
        s = crawler.settings
        self.crawler = crawler
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.alive_s = max(1.0, s.getfloat("THEPAPER_REDIS_WORKER_TTL_S"))
        self.ttl = s.getint("THEPAPER_REDIS_TTL_S")
        self.held: dict[str, set[bytes]] = {}
        self._pop = self.server.register_script(_POP_AND_HOLD)
        self._requeue = self.server.register_script(_REQUEUE)
        self.beat_every = min(5.0, self.alive_s / 3)
        self._next_beat = None
        self.poll_s = s.getfloat("THEPAPER_REDIS_POLL_S")
        self._wake = None
        self.clock = None  # the reactor; tests give a twisted.internet.task.Clock
        for sig in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._item_done, signal=sig)
        crawler.signals.connect(self._spider_idle, signal=signals.spider_idle)
        return self

    # -- lifecycle ---------------------------------------------------------
    def open(self, spider):
        super().open(spider)
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        self._tick()
        logger.info(
            "worker %s: heartbeat every %.1fs, presumed dead after %.0fs", self.worker, self.beat_every, self.alive_s
        )

    def _tick(self) -> None:
        assert self.clock is not None, "open() sets the clock"
        self.beat()
        self._next_beat = self.clock.callLater(self.beat_every, self._tick)

    def close(self, reason):
        for call in (self._next_beat, self._wake):
            if call is not None and call.active():
                call.cancel()
        held = [data for entries in self.held.values() for data in entries]
        self.held.clear()
        if held and reason == "finished":
            # Dropped without an item (e.g. a redirect to a duplicate): as done as it gets.
            self.server.hdel(INFLIGHT_KEY, *held)
            self.stats.inc_value("thepaper/redis/unacked", len(held))
            logger.warning("worker %s: %d requests ended without an item", self.worker, len(held))
        elif held:  # stopped early (Ctrl-C, breaker...): another worker takes them
            n = sum(self._give_back(data) for data in held)
            logger.info("worker %s stopping (%s): %d requests back in the queue", self.worker, reason, n)
        self.server.delete(WORKER_KEY.format(self.worker))
        super().close(reason)

    def beat(self) -> None:
        try:
            self.server.set(WORKER_KEY.format(self.worker), "1", px=int(self.alive_s * 1000))
            self.recover()
        except Exception:  # Redis briefly away: the next beat tries again
            logger.exception("worker %s: heartbeat failed", self.worker)

    # -- queue -------------------------------------------------------------
    def next_request(self):
        data = self._pop(keys=[self.queue.key, INFLIGHT_KEY], args=[self.worker, self.ttl])
        if data is None:
            self._poll_soon()
            return None
        request = self.queue._decode_request(data)
        self.held.setdefault(request_key(request), set()).add(data)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _poll_soon(self) -> None:
        """Ask the engine again in THEPAPER_REDIS_POLL_S instead of at its 5 s heartbeat: the
        walker may push the next requests any moment."""
        if self._wake is not None and self._wake.active():
            return
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if nextcall is not None and self.clock is not None:
            self._wake = self.clock.callLater(self.poll_s, nextcall.schedule)

    def enqueue_request(self, request):
        queued = super().enqueue_request(request)
        self.server.expire(self.queue.key, self.ttl)
        self._release(request_key(request))  # a retry or redirect replaces the held request
        return queued

    def _item_done(self, item, **kw):
        key = item_key(item)
        if key is not None:
            self._release(key)

    def _release(self, key: str) -> None:
        entries = self.held.pop(key, None)
        if entries:
            self.server.hdel(INFLIGHT_KEY, *entries)

    def _give_back(self, data: bytes) -> int:
        request = self.queue._decode_request(data)
        return int(self._requeue(keys=[INFLIGHT_KEY, self.queue.key], args=[data, -request.priority, self.ttl]))

    # -- dead workers ------------------------------------------------------
    def recover(self) -> int:
        """Requeue the requests held by workers whose heartbeat has expired; returns how many."""
        holders: dict[str, list[bytes]] = {}
        for data, worker in self.server.hgetall(INFLIGHT_KEY).items():
            worker = worker.decode()
            if worker != self.worker:
                holders.setdefault(worker, []).append(data)
        n = 0
        for worker, entries in holders.items():
            if self.server.exists(WORKER_KEY.format(worker)):
                continue
            back = sum(self._give_back(data) for data in entries)
            if back:
                logger.warning(
                    "worker %s: requeued %d requests of worker %s (no heartbeat for %.0fs)",
                    self.worker,
                    back,
                    worker,
                    self.alive_s,
                )
                self.stats.inc_value("thepaper/redis/recovered", back)
            n += back
        return n

    def _spider_idle(self, spider):
        """Stay open while another worker holds requests: if it dies, they come back."""
        self.recover()
        if any(w.decode() != self.worker for w in self.server.hvals(INFLIGHT_KEY)):
            raise DontCloseSpider


class RedisRole:
    """Walker: pushes article requests into Redis (``spider.redis_push``) and keeps the
    walker-active key alive. Worker: keeps the spider open while a walker is active or the
    queue has requests."""

    def __init__(self, crawler):
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        s = crawler.settings
        self.role = s.get("THEPAPER_ROLE")
        self.server = get_redis_from_settings(s)
        self.ttl = s.getint("THEPAPER_REDIS_TTL_S")
        self.run = s.get("THEPAPER_REDIS_RUN") or str(int(time.time() * 1000))
        self.queue = None
        self.df = None
        self.last_beat = 0.0
        self.started = time.monotonic()
        #: A worker started before the walker waits this long for one to appear.
        self.grace = s.getfloat("THEPAPER_REDIS_WAIT_S")
        crawler.signals.connect(self.spider_opened, signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signals.spider_closed)
        crawler.signals.connect(self.spider_idle, signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        if self.role != "walker":
            return
        from scrapy_redis.dupefilter import RFPDupeFilter
        from scrapy_redis.queue import PriorityQueue

        self.queue = PriorityQueue(self.server, spider, QUEUE_KEY)
        self.df = RFPDupeFilter(self.server, key=f"thepaper:dupefilter:{self.run}")
        self.beat()
        spider.redis_push = self.push

    def beat(self):
        now = time.monotonic()
        if now - self.last_beat > 5:
            self.server.set(WALKER_KEY, "1", ex=WALKER_ALIVE_S)
            self.last_beat = now

    def push(self, request) -> None:
        self.beat()
        if self.df.request_seen(request):  # another walker of this run queued it
            self.crawler.stats.inc_value("thepaper/redis/duplicate")
            return
        self.server.expire(self.df.key, self.ttl)
        self.queue.push(request)
        self.server.expire(QUEUE_KEY, self.ttl)
        self.crawler.stats.inc_value("thepaper/redis/pushed")

    def spider_idle(self, spider):
        if self.role == "walker":
            return
        if (
            self.server.zcard(QUEUE_KEY)
            or self.server.exists(WALKER_KEY)
            or time.monotonic() - self.started < self.grace
        ):
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.role == "walker":
            self.server.delete(WALKER_KEY)
