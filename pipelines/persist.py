"""The last item stage: every item handed to the crawl's single writer (``storage.writers``).

The writer commits the raw page together with the article (or with the failure) in one
transaction per batch of items, off the reactor thread; the run's counters
(:class:`pipelines.run_state.RunState`) move when the batch is committed, with the field
coverage of the judged pages (:mod:`pipelines.coverage`). With ``THEPAPER_PIPELINE_WORKER``
the writer is a child process that also does CleanStage's work (a second core for it).
The first commit that fails because the archive cannot be written stops the run
(``archive_unwritable``, exit code 6), and so does the worker process dying (``writer_lost``,
exit code 6: what it committed stays, the pages it had not stored are fetched again by the next
run); failures where the site gave no answer at all are held
back until it answers again, and dropped if the run stops for an outage.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scrapy.utils.defer import maybe_deferred_to_future

from domain.items import FetchedPage, FetchFailure, ListedRecord
from domain.record import CleaningError
from pipelines.coverage import count_page
from pipelines.stages import CleanStage, _Stage, worker_mode
from pipelines.worker_args import worker_arguments
from storage.batch import BatchEntry
from storage.unwritable import ArchiveUnwritable
from storage.writers import WriterLost

if TYPE_CHECKING:
    from storage.worker import ProcessWriter
    from storage.writers import ThreadWriter

logger = logging.getLogger(__name__)
#: The stops after which nothing more is handed to the writer.
_NOTHING_WRITTEN = ("archive_unwritable", "writer_lost")


def _now() -> datetime:
    return datetime.now(timezone.utc)


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

    writer: ThreadWriter | ProcessWriter | None  # opened on the first item (_open_writer)
    cleaner: CleanStage | None  # worker mode: the writer's process cleans
    process: ProcessWriter | None  # worker mode: the writer's process, started at once
    max_batch: int

    @classmethod
    def from_crawler(cls, crawler):
        stage = cls(crawler)
        stage.failure_policy = {
            "backoff_base_s": crawler.settings.getfloat("THEPAPER_FAILURE_RETRY_BASE_S"),
            "max_attempts": crawler.settings.getint("THEPAPER_FAILURE_MAX_ATTEMPTS"),
        }
        stage.max_batch = crawler.settings.getint("THEPAPER_WRITE_BATCH")
        stage.writer = None
        stage.cleaner = CleanStage(crawler) if worker_mode(crawler) else None
        stage.held: list[tuple[datetime, FetchFailure]] = []
        stage.process = stage._start_process() if stage.cleaner is not None else None
        return stage

    def _start_process(self) -> ProcessWriter:
        """Worker mode: the writer's process, started as the pipelines are built (or taken
        running, started by ``crawl`` before Scrapy: :func:`crawler.cli.spider_run.early_worker`),
        so that its imports and the cleaning chain's tables load while the crawl starts (it learns
        its archive and run on the first item, :meth:`_open_writer`)."""
        from storage.worker import ProcessWriter

        assert self.cleaner is not None
        return ProcessWriter(**worker_arguments(self.crawler.settings))

    def _open_writer(self):
        """The writer, on the first item: the run recorder opens the archive and the run on
        ``spider_opened``, after the pipelines' ``open_spider``."""
        from storage.writers import ThreadWriter

        archive = self.state.archive
        if self.process is not None:
            self.process.open(archive, self.failure_policy)
            return self.process
        return ThreadWriter(archive, self.failure_policy, max_batch=self.max_batch)

    async def close_spider(self, spider=None):
        """Drain the writer: every item is committed before the run row and the cursors move."""
        if self.held:
            if self.state.stop_reason == "site_unreachable":
                self.crawler.stats.set_value("thepaper/failures_not_recorded", len(self.held))
                self.held.clear()
            else:
                await self._release(self.held)
        if self.writer is not None:
            await _wait(self.writer.close())
        elif self.process is not None:  # no item came: the process stops unused
            await _wait(self.process.close())

    async def process_item(self, item):
        if self.state.stop_reason in _NOTHING_WRITTEN:
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
        clean_args = None
        if isinstance(item, FetchedPage):
            entry = BatchEntry(url=item.url)
            raw_args = item.raw_args
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
            raw_args = item.page.raw_args if item.page is not None else None
        else:
            return
        if self.writer is None:
            self.writer = self._open_writer()
        try:
            entry = await _wait(self.writer.submit(entry, raw_args, clean_args))
        except ArchiveUnwritable as exc:
            self.state.stop_unwritable(exc.why)
            return
        except WriterLost as exc:
            self.state.stop_writer_lost(str(exc))
            return
        self._count(item, entry, clean_args)

    def _count(self, item, entry, clean_args) -> None:
        """The run's counters, on the reactor thread, once the item is committed."""
        if isinstance(item, FetchedPage):
            item.raw_page = entry.raw_page_id
            if clean_args is not None:  # cleaned by the worker process (the record comes back only for feeds)
                item.record, item.error = entry.record, getattr(entry, "error", None)
            if (
                item.kind in ("article", "mirror")
                and not item.failure_retry
                and (entry.stored is not None or entry.failure is not None)
            ):
                count_page(
                    self.state,
                    body=item.body,
                    record=entry.stored,
                    outcome=entry.outcome,
                    failure_reason=item.error.reason if entry.stored is None and item.error else None,
                )
            if entry.stored is not None:
                item.outcome = entry.outcome
                self.state.inc_value(f"thepaper/stored/{_counter_key(entry.stored.content_type, entry.outcome)}")
                if entry.kept:  # the page lacked stored fields (drift, a paywall): they were kept
                    self.state.inc_value("thepaper/stored/kept_fields")
            elif entry.failure is not None:
                err = item.error
                self.state.inc_value("thepaper/failed")
                self.state.inc_value(f"thepaper/failed/{err.reason}")
                # one line per reason at the end of the run (crawler.cli.spider_run.failure_lines), not one per page
                self.state.failed_example(err.reason, item.url)
                logger.info("article %s not stored: %s (%s)", item.url, err.reason, err)
        elif isinstance(item, ListedRecord):
            item.outcome = entry.outcome
            self.state.inc_value(f"thepaper/stored/{_counter_key(item.record.content_type, item.outcome)}")
        else:
            self.state.inc_value("thepaper/failed")
            self.state.inc_value(f"thepaper/failed/{item.reason}")


def _failure(url, cont_id, reason, message) -> dict:
    return {"url": url, "cont_id": cont_id, "reason": reason, "message": message}


async def _wait(d):
    return await maybe_deferred_to_future(d)


def _counter_key(content_type: str, outcome: str) -> str:
    """Newly stored or newly gone articles that are gone count as "gone" in the summary."""
    return "gone" if content_type == "gone" and outcome in ("new", "updated") else outcome
