"""Scrapy item pipelines: thin adapters that run the pure stages on crawled items.

Order (``ITEM_PIPELINES`` in ``crawler/settings.py``)::

    ArchiveStage (100) → CleanStage (300) → ValidateStage (500) → PersistStage (900)

* ArchiveStage puts the response's raw bytes, headers, status, URLs and fetch
  time into the item's database transaction before anything looks at them.
* CleanStage runs the cleaning chain (decode → extract → repair → strip) of
  ``pipelines.chain``; any error becomes ``item.error``, never a lost page.
* ValidateStage refuses records that would be silently empty or half-known.
* PersistStage commits the raw page together with the article (or with the
  failure) in one transaction, and keeps the run's counters.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timezone

from urllib.parse import urlsplit

from crawler.items import FetchedPage, FetchFailure, ListedRecord
from crawler.urls import canonical_url
from pipelines.record import CleaningError
from pipelines.stages import ValidationError, clean_page, validate_record

logger = logging.getLogger(__name__)

_STORE_ATTR = "_thepaper_store"


class Store:
    """The archive database of one crawl: engine, sessions and the run row."""

    def __init__(self, db_url: str | None, command: str, args: dict):
        from storage.db import open_archive, resolve_db_url

        self.url = resolve_db_url(db_url or None)
        self.engine, self.Session = open_archive(self.url)
        self.command = command
        self.args = args
        self.run_id: int | None = None

    def start_run(self):
        from storage import repository

        with self.Session() as session:
            run = repository.start_run(session, command=self.command, args=self.args, now=_now())
            session.commit()
            self.run_id = run.id

    def finish_run(self, status: str, counters: dict, message: str):
        from storage import repository
        from storage.models import CrawlRun

        if self.run_id is None:
            return
        with self.Session() as session:
            run = session.get(CrawlRun, self.run_id)
            repository.finish_run(session, run, status=status, counters=counters, message=message, now=_now())
            session.commit()

    def close(self):
        self.engine.dispose()


def store_for(crawler) -> Store:
    """The one :class:`Store` shared by every stage of a crawler."""
    store = getattr(crawler, _STORE_ATTR, None)
    if store is None:
        args = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "site": crawler.settings.get("THEPAPER_SITE_URL"),
            "api": crawler.settings.get("THEPAPER_API_URL"),
        }
        store = Store(crawler.settings.get("THEPAPER_DB_URL"), "crawl", args)
        setattr(crawler, _STORE_ATTR, store)
    return store


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _Stage:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class ArchiveStage(_Stage):
    """Opens the item's transaction and archives the raw response in it."""

    def process_item(self, item):
        if isinstance(item, FetchedPage):
            self._archive(item)
            if item.kind in ("article", "mirror"):
                self.stats.inc_value("thepaper/articles_fetched")
        elif isinstance(item, FetchFailure) and item.page is not None:
            self._archive(item.page)
        return item

    def _archive(self, page: FetchedPage):
        from storage import repository

        store = store_for(self.crawler)
        session = store.Session()
        page.raw_page = repository.archive_raw(
            session,
            url=page.url,
            final_url=page.final_url,
            status=page.status,
            headers=page.headers,
            body=page.body,
            fetched_at=page.fetched_at,
            kind=page.kind,
            run_id=store.run_id,
            cont_id=page.cont_id,
            context=page_context(page, self.crawler.settings.get("THEPAPER_SITE_URL")),
        )
        page._session = session  # committed (or rolled back) by PersistStage


def _same_host(url: str, base: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(base).netloc.lower()


def cleaning_url(page: FetchedPage, site_url: str) -> str:
    """The URL a page is cleaned under. A page fetched from the configured site is
    the original, whatever host serves it (the real site or the mock): it is cleaned
    under its canonical URL so that it is not taken for a mirror copy."""
    if page.cont_id is not None and page.kind == "article" and _same_host(page.final_url, site_url):
        return canonical_url(page.cont_id)
    return page.final_url


def page_context(page: FetchedPage, site_url: str) -> dict:
    """What the crawl knew about a page besides its bytes (kept with the raw page,
    so that ``reprocess`` cleans it exactly as the crawl did)."""
    context = {"url": cleaning_url(page, site_url)}
    if page.list_item:
        context["list_item"] = page.list_item
    if page.channel_id is not None:
        context["channel_id"] = page.channel_id
    return context


class CleanStage(_Stage):
    """decode → extract → repair → strip (``pipelines.stages.clean_page``); errors become ``item.error``."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.site_url = crawler.settings.get("THEPAPER_SITE_URL")

    def process_item(self, item):
        if isinstance(item, FetchedPage) and item.kind in ("article", "mirror"):
            try:
                item.record = clean_page(item.body, url=cleaning_url(item, self.site_url), headers=item.headers,
                                         status=item.status, list_item=item.list_item, cont_id=item.cont_id,
                                         source_url=item.final_url)
            except CleaningError as exc:
                item.error = exc
        return item


class ValidateStage(_Stage):
    """Refuses records that would be silently empty or half-known (pages are
    validated inside ``clean_page``; list-only records here)."""

    def process_item(self, item):
        if isinstance(item, ListedRecord):
            try:
                validate_record(item.record)
            except ValidationError as exc:
                from scrapy.exceptions import DropItem

                raise DropItem(f"list item not stored: {exc}") from exc
        return item


class PersistStage(_Stage):
    """Commits raw page + article (+ tags) or raw page + failure, in one transaction."""

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        stage = cls(crawler)
        stage.failure_policy = {
            "backoff_base_s": crawler.settings.getfloat("THEPAPER_FAILURE_RETRY_BASE_S", 900),
            "max_attempts": crawler.settings.getint("THEPAPER_FAILURE_MAX_ATTEMPTS", 5),
        }
        crawler.signals.connect(stage.spider_closed, signal=signals.spider_closed)
        return stage

    def open_spider(self, spider=None):
        self.started = _now()
        store_for(self.crawler).start_run()

    def spider_closed(self, spider=None, reason="finished"):
        store = store_for(self.crawler)
        stats = self.crawler.stats.get_stats()
        counters = run_counters(stats)
        counters["duration_s"] = round((_now() - self.started).total_seconds(), 3)
        status = run_status(reason, counters)
        self.crawler.stats.set_value("thepaper/run_status", status)
        self.crawler.stats.set_value("thepaper/run_id", store.run_id)
        store.finish_run(status, counters, stats.get("thepaper/fatal") or reason)
        store.close()

    def process_item(self, item):
        from storage import repository

        store = store_for(self.crawler)
        now = _now()
        if isinstance(item, FetchedPage):
            session = getattr(item, "_session", None) or store.Session()
            try:
                if item.kind in ("article", "mirror"):
                    self._persist_article(session, item, now)
                session.commit()
            except Exception:
                session.rollback()
                raise
            finally:
                session.close()
        elif isinstance(item, ListedRecord):
            with store.Session() as session:
                item.outcome = repository.save_article(session, item.record, raw_page_id=None, now=now)
                session.commit()
            self.stats.inc_value(f"thepaper/stored/{item.outcome}")
        elif isinstance(item, FetchFailure):
            session = getattr(item.page, "_session", None) if item.page is not None else None
            session = session or store.Session()
            try:
                repository.record_failure(session, url=item.url, cont_id=item.cont_id, reason=item.reason,
                                          message=item.message, run_id=store.run_id, now=now,
                                          **self.failure_policy)
                session.commit()
            finally:
                session.close()
            self.stats.inc_value("thepaper/failed")
            self.stats.inc_value(f"thepaper/failed/{item.reason}")
        return item

    def _persist_article(self, session, item: FetchedPage, now):
        from storage import repository

        store = store_for(self.crawler)
        raw_id = item.raw_page.id if item.raw_page is not None else None
        if item.record is not None:
            session.flush()
            raw_id = item.raw_page.id if item.raw_page is not None else None
            item.outcome = repository.save_article(session, item.record, raw_page_id=raw_id, now=now)
            repository.resolve_failure(session, item.url, cont_id=item.record.cont_id)
            key = "gone" if item.record.content_type == "gone" else item.outcome
            self.stats.inc_value(f"thepaper/stored/{key}")
        else:
            err = item.error or CleaningError("no record and no error")
            repository.record_failure(session, url=item.url, cont_id=item.cont_id, reason=err.reason,
                                      message=str(err), run_id=store.run_id, now=now, **self.failure_policy)
            self.stats.inc_value("thepaper/failed")
            self.stats.inc_value(f"thepaper/failed/{err.reason}")
            logger.warning("article %s not stored: %s (%s)", item.url, err.reason, err)


def run_counters(stats: dict) -> dict:
    keys = ("new", "updated", "unchanged", "gone", "kept_original")
    counters = {k: int(stats.get(f"thepaper/stored/{k}", 0)) for k in keys}
    counters["failed"] = int(stats.get("thepaper/failed", 0))
    counters["articles_fetched"] = int(stats.get("thepaper/articles_fetched", 0))
    counters["list_pages"] = int(stats.get("thepaper/list_pages", 0))
    counters["responses"] = int(stats.get("downloader/response_count", 0))
    counters["requests"] = int(stats.get("downloader/request_count", 0))
    return counters


def run_status(reason: str, counters: dict) -> str:
    if reason in ("site_unreachable", "blocked"):
        return "failed"
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        return "aborted"
    return "partial" if counters.get("failed") else "ok"
