"""Scrapy extensions: a progress line on long runs."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


def progress_line(stats: dict, elapsed: float) -> str:
    get = stats.get
    stored = sum(get(f"thepaper/stored/{k}", 0) for k in ("new", "updated"))
    rate = get("thepaper/articles_fetched", 0) / elapsed if elapsed > 0 else 0.0
    return (
        f"[thepaper-archive] {elapsed:6.0f}s  lists {get('thepaper/list_pages', 0)}  "
        f"articles {get('thepaper/articles_fetched', 0)} ({rate:.1f}/s)  "
        f"new {get('thepaper/stored/new', 0)}  updated {get('thepaper/stored/updated', 0)}  "
        f"unchanged {get('thepaper/stored/unchanged', 0)}  gone {get('thepaper/stored/gone', 0)}  "
        f"failed {get('thepaper/failed', 0)}  stored {stored}"
    )


class Progress:
    """Prints a one-line progress summary to stderr every THEPAPER_PROGRESS_INTERVAL seconds."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("THEPAPER_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self):
        print(progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started),
              file=sys.stderr, flush=True)

    def closed(self, spider=None, reason=None):
        if self.loop is not None and self.loop.running:
            self.loop.stop()


class LockHeartbeat:
    """Refreshes the run lock (THEPAPER_LOCK_NAME) every THEPAPER_LOCK_HEARTBEAT_S seconds,
    so that a later run can tell a live crawl from the stale lock of a crashed one."""

    def __init__(self, crawler, name: str, interval: float):
        self.crawler = crawler
        self.name = name
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        name = crawler.settings.get("THEPAPER_LOCK_NAME")
        if not name:
            raise NotConfigured
        ext = cls(crawler, name, crawler.settings.getfloat("THEPAPER_LOCK_HEARTBEAT_S", 30.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.interval, now=False)

    def beat(self):
        from pipelines.scrapy_stages import stop_unwritable, store_for
        from storage.runs import heartbeat
        from storage.unwritable import ArchiveUnwritable

        try:
            held = heartbeat(store_for(self.crawler).engine, self.name)
        except ArchiveUnwritable as exc:
            stop_unwritable(self.crawler, exc)
            return
        if not held:
            print(f"[thepaper-archive] warning: lost the run lock {self.name!r}", file=sys.stderr, flush=True)

    def closed(self, spider=None, reason=None):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
