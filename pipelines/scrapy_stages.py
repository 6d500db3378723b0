"""Scrapy item pipelines: thin adapters that run the pure stages on crawled items.

Order (``ITEM_PIPELINES`` in ``crawler/settings.py``)::

    ArchiveStage (100) → CleanStage (300) → ValidateStage (500) → PersistStage (900)

* ArchiveStage takes the response's raw bytes, headers, status, URLs and fetch
  time for the archive before anything looks at them.
* CleanStage runs the cleaning chain (decode → extract → repair → strip) of
  ``cleaning.document``; any error becomes ``item.error``, never a lost page.
* ValidateStage refuses records that would be silently empty or half-known.
* PersistStage hands each item to the crawl's single writer (``storage.writers``),
  which commits the raw page together with the article (or with the failure) in
  one transaction per batch of items, off the reactor thread; the run's counters
  move when the batch is committed. With ``THEPAPER_PIPELINE_WORKER`` the writer
  is a child process that also does CleanStage's work (a second core for it).
  The first commit that fails because the archive cannot be written stops the run
  (``archive_unwritable``, exit code 6); failures where the site gave no answer at all
  are held back until it answers again, and dropped if the run stops for an outage.
  At the end of the run it records the run's field coverage (``pipelines.coverage``)
  and its layout-drift check (``pipelines.drift``): an alarm marks the run ``degraded``
  and sends the ``layout_drift_alarm`` signal.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timezone

from urllib.parse import urlsplit

from domain.items import FetchedPage, FetchFailure, ListedRecord
from domain.record import CleaningError
from domain.urls import canonical_url
from pipelines.coverage import count_page, coverage_from_stats
from cleaning.page import ValidationError, clean_page, validate_record

logger = logging.getLogger(__name__)

_STORE_ATTR = "_thepaper_store"


class Store:
    """The archive database of one crawl: engine, sessions and the run row."""

    def __init__(self, db_url: str | None, command: str, args: dict):
        from storage.db import open_archive, resolve_db_url

        self.url = resolve_db_url(db_url or None)
        self.engine, self.Session = open_archive(self.url, create=True)  # a crawl may start an archive
        self.command = command
        self.args = args
        self.run_id: int | None = None

    def start_run(self):
        from storage.runs import start_run

        with self.Session() as session:
            run = start_run(session, command=self.command, args=self.args, now=_now())
            session.commit()
            self.run_id = run.id

    def finish_run(self, status: str, counters: dict, message: str, *, coverage: dict | None = None,
                   drift: dict | None = None) -> bool:
        """Record how the run ended; False when the archive cannot take even that (the next
        run then marks it ``aborted``)."""
        from storage.models import CrawlRun
        from storage.runs import finish_run
        from storage.unwritable import ArchiveUnwritable

        if self.run_id is None:
            return False
        try:
            with self.Session() as session:
                run = session.get(CrawlRun, self.run_id)
                finish_run(session, run, status=status, counters=counters, message=message, now=_now(),
                           coverage=coverage, drift=drift)
                session.commit()
        except ArchiveUnwritable as exc:
            logger.info("the run's end could not be recorded: %s", exc)
            return False
        return True

    def trailing_coverage(self, days: float) -> tuple[dict, dict]:
        """The archive's trailing coverage, this run excluded (:mod:`storage.coverage`)."""
        from storage.coverage import trailing_coverage

        with self.Session() as session:
            return trailing_coverage(session, now=_now(), days=days, exclude_run_id=self.run_id)

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
    """Takes the raw response into the item before anything looks at it (compressed
    and written by the writer thread, in the same transaction as its article)."""

    def process_item(self, item):
        if isinstance(item, FetchedPage):
            self._archive(item)
            if item.kind in ("article", "mirror"):
                self.stats.inc_value("thepaper/articles_fetched")
        elif isinstance(item, FetchFailure) and item.page is not None:
            self._archive(item.page)
        return item

    def _archive(self, page: FetchedPage):
        store = store_for(self.crawler)
        page._raw_args = dict(
            url=page.url, final_url=page.final_url, status=page.status, headers=page.headers, body=page.body,
            fetched_at=page.fetched_at, kind=page.kind, run_id=store.run_id, cont_id=page.cont_id,
            context=page_context(page, self.crawler.settings.get("THEPAPER_SITE_URL")))


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
    so that ``reprocess`` cleans it exactly as the crawl did): of the list item, what
    cleaning reads (:func:`cleaning.document.list_item_essentials`), and the SHA-256 of the
    archived list page that holds the whole item (``list_page``)."""
    from cleaning.document import list_item_essentials

    context = {"url": cleaning_url(page, site_url)}
    if page.list_item:
        context["list_item"] = list_item_essentials(page.list_item)
    if page.list_page:
        context["list_page"] = page.list_page
    if page.channel_id is not None:
        context["channel_id"] = page.channel_id
    if page.request:
        context["request"] = page.request
    return context


def worker_mode(crawler) -> bool:
    """Whether pages are cleaned and stored by the worker process (``THEPAPER_PIPELINE_WORKER``)."""
    return crawler.settings.getbool("THEPAPER_PIPELINE_WORKER")


class CleanStage(_Stage):
    """decode → extract → repair → strip (``cleaning.page.clean_page``); errors become ``item.error``.
    In worker mode the worker process does this, just before storing the page."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.site_url = crawler.settings.get("THEPAPER_SITE_URL")
        self.deferred = worker_mode(crawler)
        # a gzip file inside a body decompresses to at most what Scrapy lets a response be
        # (0, Scrapy's "no limit", keeps the cleaner's own bound)
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE") or None

    def clean_args(self, item) -> dict:
        return dict(url=cleaning_url(item, self.site_url), headers=item.headers, status=item.status,
                    list_item=item.list_item, cont_id=item.cont_id, source_url=item.final_url,
                    max_size=self.max_size)

    def process_item(self, item):
        if isinstance(item, FetchedPage) and item.kind in ("article", "mirror") and not self.deferred:
            try:
                item.record = clean_page(item.body, **self.clean_args(item))
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
    """Hands raw page + article (+ tags), or raw page + failure, to the crawl's single
    writer (``storage.writers``: a thread, or in worker mode a process that also
    cleans); the item completes once its batch is committed.

    Two things are not written at once: a failure where the site or the API gave no
    answer (``FetchFailure.unanswered``) waits until a page fetched after it shows the site
    answers (then it is a real failure of that article), or until the run ends; when the run
    stops because the site went down, the failures waiting are dropped, not recorded (those
    articles were not really tried; the next run fetches them). And once the archive proved
    unwritable, nothing more is: the run stops."""

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        stage = cls(crawler)
        stage.failure_policy = {
            "backoff_base_s": crawler.settings.getfloat("THEPAPER_FAILURE_RETRY_BASE_S"),
            "max_attempts": crawler.settings.getint("THEPAPER_FAILURE_MAX_ATTEMPTS"),
        }
        stage.max_batch = crawler.settings.getint("THEPAPER_WRITE_BATCH")
        stage.writer = None
        stage.cleaner = CleanStage(crawler) if worker_mode(crawler) else None
        stage.held: list[tuple[datetime, FetchFailure]] = []
        crawler.signals.connect(stage.spider_closed, signal=signals.spider_closed)
        return stage

    def open_spider(self, spider=None):
        self.started = _now()
        store = store_for(self.crawler)
        store.start_run()
        from storage.writers import ProcessWriter, ThreadWriter

        if self.cleaner is not None:
            self.writer = ProcessWriter(store, self.failure_policy, max_batch=self.max_batch, clean=clean_page,
                                        keep_records=bool(self.crawler.settings.getdict("FEEDS")))
        else:
            self.writer = ThreadWriter(store, self.failure_policy, max_batch=self.max_batch)

    async def close_spider(self, spider=None):
        """Drain the writer: every item is committed before the run row and the cursors move."""
        from pipelines.run_stop import stopping

        if self.held:
            if stopping(self.crawler) == "site_unreachable":
                self.stats.set_value("thepaper/failures_not_recorded", len(self.held))
                self.held.clear()
            else:
                await self._release(self.held)
        if self.writer is not None:
            await _wait(self.writer.close())

    def spider_closed(self, spider=None, reason="finished"):
        from pipelines.run_stop import stopping

        store = store_for(self.crawler)
        stats = self.crawler.stats.get_stats()
        counters = run_counters(stats)
        counters["duration_s"] = round((_now() - self.started).total_seconds(), 3)
        status = run_status(stopping(self.crawler) or reason, counters)
        message = run_message(stats, reason, self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT"))
        spider = spider if spider is not None else getattr(self.crawler, "spider", None)
        if getattr(spider, "article_ids", None):  # an import of chosen articles is no sample of the site
            coverage, verdict, report = None, None, {}
        elif stopping(self.crawler) == "archive_unwritable":  # the baseline cannot be read either
            coverage, verdict, report = coverage_from_stats(stats), None, {}
        else:
            coverage = coverage_from_stats(stats)
            verdict, report = self._judge(store, coverage)
        if verdict is not None and verdict.alarm and status in ("ok", "partial"):
            status, message = "degraded", verdict.line
        self.crawler.stats.set_value("thepaper/run_status", status)
        self.crawler.stats.set_value("thepaper/run_id", store.run_id)
        self.crawler.stats.set_value("thepaper/run_message", message)
        store.finish_run(status, counters, message, coverage=coverage,
                         drift=verdict.to_json(report["about"]) if verdict is not None else None)
        if verdict is not None and verdict.alarm:
            from pipelines.drift import layout_drift_alarm

            self.crawler.stats.set_value("thepaper/alarm", verdict.line)
            report.update(run_id=store.run_id, status=status)
            self.crawler.signals.send_catch_log(layout_drift_alarm, verdict=verdict, report=report)
        elif verdict is not None and verdict.state in ("too_few", "no_baseline") and coverage:
            self.crawler.stats.set_value("thepaper/drift_note", verdict.note)
        store.close()

    def _judge(self, store: Store, coverage: dict | None):
        """The layout-drift check of this run (:mod:`pipelines.drift`): ``(verdict, report)``,
        the report being the figures handed to the alert hook; ``(None, {})`` if it failed."""
        from dataclasses import asdict

        from pipelines.drift import Thresholds, judge
        from storage.coverage import side_by_side

        th = Thresholds.from_settings(self.crawler.settings)
        try:
            base, about = store.trailing_coverage(th.window_days) if coverage else ({}, {})
            verdict = judge(coverage, base, th)
        except Exception:  # the check must never cost the run its row
            logger.exception("the layout-drift check failed; the run is recorded without it")
            return None, {}
        logger.info("layout-drift check: %s%s", verdict.state, f" ({verdict.note})" if verdict.note else "")
        report = {"line": verdict.line, "state": verdict.state, "findings": verdict.to_json()["findings"],
                  "thresholds": asdict(th), "about": about, "coverage": coverage, "baseline": base,
                  "figures": side_by_side(coverage, base)}
        return verdict, report

    async def process_item(self, item):
        from pipelines.run_stop import stopping

        if stopping(self.crawler) == "archive_unwritable":
            return item  # nothing more is written
        if isinstance(item, FetchFailure) and item.unanswered:
            self.held.append((_now(), item))
            return item
        if self.held and isinstance(item, FetchedPage) and item.kind != "mirror":
            answered = [h for h in self.held if h[0] < item.fetched_at]
            self.held = [h for h in self.held if h[0] >= item.fetched_at]
            await self._release(answered)
        await self._persist(item)
        return item

    async def _release(self, held: list) -> None:
        """Store held failures: the site answered after them (or the run ended normally)."""
        items, held[:] = [item for _, item in held], []
        for item in items:
            await self._persist(item)

    async def _persist(self, item) -> None:
        from storage.batch import BatchEntry
        from storage.unwritable import ArchiveUnwritable

        clean_args = None
        if isinstance(item, FetchedPage):
            entry = BatchEntry(url=item.url)
            raw_args = getattr(item, "_raw_args", None)
            if item.kind in ("article", "mirror"):
                if self.cleaner is not None and item.record is None and item.error is None:
                    clean_args = self.cleaner.clean_args(item)
                elif item.record is not None:
                    entry.record = item.record
                else:
                    item.error = item.error or CleaningError("no record and no error")
                    entry.failure = _failure(item.url, item.cont_id, item.error.reason, str(item.error))
        elif isinstance(item, ListedRecord):
            entry, raw_args = BatchEntry(record=item.record), None
        elif isinstance(item, FetchFailure):
            entry = BatchEntry(failure=_failure(item.url, item.cont_id, item.reason, item.message))
            raw_args = getattr(item.page, "_raw_args", None) if item.page is not None else None
        else:
            return
        try:
            entry = await _wait(self.writer.submit(entry, raw_args, clean_args))
        except ArchiveUnwritable as exc:
            stop_unwritable(self.crawler, exc)
            return
        self._count(item, entry, clean_args)

    def _count(self, item, entry, clean_args) -> None:
        """The run's counters, on the reactor thread, once the item is committed."""
        if isinstance(item, FetchedPage):
            item.raw_page = entry.raw_page_id
            if clean_args is not None:  # cleaned by the worker process (the record comes back only for feeds)
                item.record, item.error = entry.record, getattr(entry, "error", None)
            if item.kind in ("article", "mirror") and not item.failure_retry and (
                    entry.stored is not None or entry.failure is not None):
                count_page(self.stats, body=item.body, record=entry.stored, outcome=entry.outcome,
                           failure_reason=item.error.reason if entry.stored is None and item.error else None)
            if entry.stored is not None:
                item.outcome = entry.outcome
                self.stats.inc_value(f"thepaper/stored/{_counter_key(entry.stored.content_type, entry.outcome)}")
                if entry.kept:  # the page lacked stored fields (drift, a paywall): they were kept
                    self.stats.inc_value("thepaper/stored/kept_fields")
            elif entry.failure is not None:
                err = item.error
                self.stats.inc_value("thepaper/failed")
                self.stats.inc_value(f"thepaper/failed/{err.reason}")
                # one line per reason at the end of the run (crawler.cli.spider_run.failure_lines), not one per page
                examples = self.stats.get_value(f"thepaper/failed_examples/{err.reason}") or []
                if len(examples) < FAILURE_EXAMPLES:
                    self.stats.set_value(f"thepaper/failed_examples/{err.reason}", [*examples, item.url])
                logger.info("article %s not stored: %s (%s)", item.url, err.reason, err)
        elif isinstance(item, ListedRecord):
            item.outcome = entry.outcome
            self.stats.inc_value(f"thepaper/stored/{_counter_key(item.record.content_type, item.outcome)}")
        else:
            self.stats.inc_value("thepaper/failed")
            self.stats.inc_value(f"thepaper/failed/{item.reason}")


#: The URLs of a failure reason kept for the run's end-of-run line.
FAILURE_EXAMPLES = 3


def _failure(url, cont_id, reason, message) -> dict:
    return {"url": url, "cont_id": cont_id, "reason": reason, "message": message}


async def _wait(d):
    from scrapy.utils.defer import maybe_deferred_to_future

    return await maybe_deferred_to_future(d)


def _counter_key(content_type: str, outcome: str) -> str:
    """Newly stored or newly gone articles that are gone count as "gone" in the summary."""
    return "gone" if content_type == "gone" and outcome in ("new", "updated") else outcome


def run_counters(stats: dict) -> dict:
    keys = ("new", "updated", "unchanged", "gone", "kept_original", "kept_fields")
    counters = {k: int(stats.get(f"thepaper/stored/{k}", 0)) for k in keys}
    counters["failed"] = int(stats.get("thepaper/failed", 0))
    counters["articles_fetched"] = int(stats.get("thepaper/articles_fetched", 0))
    counters["list_pages"] = int(stats.get("thepaper/list_pages", 0))
    counters["responses"] = int(stats.get("downloader/response_count", 0))
    counters["requests"] = int(stats.get("downloader/request_count", 0))
    return counters


def stop_unwritable(crawler, exc) -> None:
    """Stop the run because the archive cannot be written (:class:`storage.unwritable.ArchiveUnwritable`)."""
    from pipelines.run_stop import stop_run

    stop_run(crawler, "archive_unwritable",
             f"cannot write the archive: {exc.why}; stopping the run (the next run resumes once the "
             "archive can be written)")


#: Signals that stop a run, as its message names them.
SIGNAL_NAMES = {2: "interrupted by SIGINT (Ctrl-C)", 15: "stopped by SIGTERM"}


def run_status(reason: str, counters: dict) -> str:
    """``ok``; ``partial`` when articles failed or a limit cut the run short (the next run
    resumes); ``failed`` when the site could not be crawled or the archive written; ``aborted``
    otherwise (a signal...)."""
    if reason in ("site_unreachable", "blocked", "archive_unwritable"):
        return "failed"
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        return "aborted"
    return "partial" if counters.get("failed") or reason.startswith("closespider_") else "ok"


def run_message(stats: dict, reason: str, max_runtime_s: float = 0) -> str:
    """Why the run ended, in words (the ``crawl_runs.message``, shown by ``stats`` and the summary)."""
    if stats.get("thepaper/run_message"):
        return stats["thepaper/run_message"]
    if stats.get("thepaper/signal") in SIGNAL_NAMES:
        return SIGNAL_NAMES[stats["thepaper/signal"]] + "; the next run resumes"
    if stats.get("thepaper/fatal"):
        return stats["thepaper/fatal"]
    if reason == "closespider_timeout":
        return f"stopped by --max-runtime after {max_runtime_s:g}s; the next run resumes"
    if reason.startswith("closespider_"):
        return f"stopped by a limit ({reason}); the next run resumes"
    return reason
