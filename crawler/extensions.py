"""Scrapy extensions: progress, a quiet log, the run lock's heartbeat."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from pipelines.run_state import run_state


class Progress:
    """Shows how far the run is on stderr (:mod:`crawler.progress`): a live bar on a terminal,
    else a plain line every THEPAPER_PROGRESS_INTERVAL seconds; the first after
    THEPAPER_PROGRESS_FIRST_S (1 s), so that a short run shows one too. 0 = off (``-q``)."""

    def __init__(self, crawler, interval: float, first: float):
        self.crawler = crawler
        self.interval = interval
        self.first = first
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.first_call = None
        self.display = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("THEPAPER_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, min(interval, crawler.settings.getfloat("THEPAPER_PROGRESS_FIRST_S")))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        from twisted.internet import reactor

        from crawler.progress import Display

        self.started = time.monotonic()
        self.display = Display(sys.stderr)
        # A bar is redrawn twice a second; plain lines every interval.
        every = 0.5 if self.display.bar_mode else self.interval
        self.loop = task.LoopingCall(self.tick)
        self.first_call = reactor.callLater(self.first, lambda: self.loop.start(every, now=True))

    def snapshot(self):
        from crawler.progress import snapshot

        spider = self.crawler.spider
        scheduled = getattr(spider, "scheduled", ())
        return snapshot(
            self.crawler.stats.get_stats(),
            time.monotonic() - self.started,
            len(scheduled),
            bool(getattr(spider, "lists_walked", False)),
        )

    def tick(self):
        self.display.show(self.snapshot())

    def closed(self, spider=None, reason=None):
        if self.first_call is not None and self.first_call.active():
            self.first_call.cancel()
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.display is not None:
            self.display.close()


class QuietLogs:
    """Keeps the log to what a person must read (Scrapy's detail stays at INFO and below):

    * robots.txt that cannot be fetched is one WARNING line (Scrapy logs an ERROR with a
      traceback; the crawl goes on without it, and an ERROR would mean a bug to cron);
    * once the run is stopping for a reason it reports itself (``RunState.fatal``: site
      unreachable, blocked), the warnings of every request still failing are left out;
    * with THEPAPER_TRACEBACK_FILES (the command line sets it unless ``--debug``), the traceback
      of an error logged during the crawl (a bug) goes to the run's crash file
      (:mod:`crawler.crashes`) and the log line names it.
    """

    ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"

    def __init__(self, crawler):
        self.crawler = crawler
        self.traceback_files = crawler.settings.getbool("THEPAPER_TRACEBACK_FILES")
        self.crash_path: str | None = None  # the run's tracebacks, one file

    @classmethod
    def from_crawler(cls, crawler):
        import logging

        ext = cls(crawler)
        logging.getLogger(cls.ROBOTS_LOGGER).addFilter(ext.robots)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.engine_stopped)
        return ext

    def opened(self, spider=None):
        """Scrapy replaces its root handler while it applies the crawler's settings: the
        handler filter goes on the handlers in place once the spider opens."""
        import logging

        for handler in logging.getLogger().handlers:
            handler.addFilter(self.after_fatal)

    def robots(self, record) -> bool:
        import logging

        if record.levelno >= logging.ERROR and str(record.msg).startswith("Error downloading"):
            exc = record.exc_info[1] if record.exc_info else None
            if run_state(self.crawler).fatal:
                return False
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "robots.txt not fetched (%s); crawling without it",
                (f"{type(exc).__name__}: {exc}" if exc else "error",),
            )
            record.exc_info = record.exc_text = None
        return True

    def after_fatal(self, record) -> bool:
        import logging

        if record.levelno >= logging.ERROR and record.exc_info and self.traceback_files:
            from crawler.crashes import crash_report, shown

            try:
                where = self.crash_path = crash_report(
                    exc_info=record.exc_info, context=record.getMessage(), path=self.crash_path
                )
            except OSError:
                return True  # the traceback stays in the log
            record.msg, record.args = "%s (a bug; the traceback is in %s)", (shown(record.getMessage()), where)
            record.exc_info = record.exc_text = None
            return True
        return record.levelno > logging.WARNING or not run_state(self.crawler).fatal

    def closed(self):
        import logging

        logging.getLogger(self.ROBOTS_LOGGER).removeFilter(self.robots)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self.after_fatal)


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
        ext = cls(crawler, name, crawler.settings.getfloat("THEPAPER_LOCK_HEARTBEAT_S"))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(self.interval, now=False)

    def beat(self):
        from storage.runs import heartbeat
        from storage.unwritable import ArchiveUnwritable

        state = run_state(self.crawler)
        if state.archive is None:
            return
        try:
            held = heartbeat(state.archive.engine, self.name)
        except ArchiveUnwritable as exc:
            state.stop_unwritable(exc.why)
            return
        if not held:
            print(f"[thepaper-archive] warning: lost the run lock {self.name!r}", file=sys.stderr, flush=True)

    def closed(self, spider=None, reason=None):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
