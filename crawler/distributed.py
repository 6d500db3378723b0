"""Distributed mode on scrapy-redis: one list walker feeds article requests into Redis,
any number of workers consume them and write to the shared archive (PostgreSQL).

``thepaper-archive crawl --redis URL --role walker`` walks the lists as usual; each article
request goes, instead of to its own scheduler, through the shared duplicate filter into the
shared scrapy-redis queue. ``--role worker`` walks nothing: its scheduler is scrapy-redis's,
reading that queue; a worker stops when the queue is empty and no walker is active.

Bounded Redis state: the duplicate filter key is per walker run
(``thepaper:dupefilter:<run>``) and expires after THEPAPER_REDIS_TTL_S; the queue key's expiry
is refreshed on every push, so a queue nobody consumes disappears after the same time.
A worker killed mid-crawl loses the requests it had popped; they are not in the archive, so
the next walker run (a fresh dupefilter key) lists and queues them again.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

logger = logging.getLogger(__name__)

QUEUE_KEY = "thepaper:requests"
WALKER_KEY = "thepaper:walker_active"  # set while a walker runs (refreshed, expires)
WALKER_ALIVE_S = 120


def apply_settings(settings, redis_url: str, role: str) -> None:
    """Scrapy settings of a walker or worker using Redis at ``redis_url``."""
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    settings.set("THEPAPER_ROLE", role, priority="cmdline")
    settings.set("SCHEDULER_QUEUE_KEY", QUEUE_KEY, priority="cmdline")
    ext = dict(settings.getdict("EXTENSIONS"))
    ext["crawler.distributed.RedisRole"] = 520
    settings.set("EXTENSIONS", ext, priority="cmdline")
    if role == "worker":
        settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", priority="cmdline")
        settings.set("SCHEDULER_PERSIST", True, priority="cmdline")  # the queue outlives a worker
        # Article requests carry dont_filter; the walker deduplicates before pushing.
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
        settings.set("SCHEDULER_DUPEFILTER_KEY", "thepaper:dupefilter:worker", priority="cmdline")


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
        self.ttl = s.getint("THEPAPER_REDIS_TTL_S", 7 * 86400)
        self.run = s.get("THEPAPER_REDIS_RUN") or str(int(time.time() * 1000))
        self.queue = None
        self.df = None
        self.last_beat = 0.0
        self.started = time.monotonic()
        #: A worker started before the walker waits this long for one to appear.
        self.grace = s.getfloat("THEPAPER_REDIS_WAIT_S", 10.0)
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
        if (self.server.zcard(QUEUE_KEY) or self.server.exists(WALKER_KEY)
                or time.monotonic() - self.started < self.grace):
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.role == "walker":
            self.server.delete(WALKER_KEY)
