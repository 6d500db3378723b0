"""The run recorder: a Scrapy extension that records the crawl as a run of the archive, as
spidermon's monitor suites judge a finished spider.

* ``spider_opened``: opens the archive and the run's ``crawl_runs`` row
  (:class:`storage.runs.RunArchive`, :class:`storage.runs.RunRecord`) and hands them to the
  spider and the item stages through the run's typed state
  (:class:`pipelines.run_state.RunState`), whose halt hook it installs (:func:`crawler.run_stop.halt`).
* ``spider_closed`` (after the item stages drained the writer and the spider moved its cursors):
  counts (:func:`crawl_counters`), judges the field coverage against the archive's trailing
  coverage (:mod:`crawler.drift`), finishes the row with its status (:func:`run_status`) and
  message (:func:`run_message`), and, when the layout-drift alarm fires, marks the run
  ``degraded`` and sends the :data:`crawler.drift.layout_drift_alarm` signal (the alert hook,
  :mod:`crawler.alerts`, listens to it).

The outcome is in the state (``status``, ``message``, ``alarm``, ``drift_note``) for the
command line; it is also written to Scrapy's stats (``thepaper/run_status``...) for display.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from functools import partial
from typing import Any

from scrapy import signals

from crawler.drift import Thresholds, Verdict, judge, layout_drift_alarm
from crawler.run_stop import halt
from pipelines.coverage import coverage_from_stats
from pipelines.run_state import RunState, run_state
from storage.runs import RunArchive, run_counters
from storage.unwritable import ArchiveUnwritable

logger = logging.getLogger(__name__)

#: Signals that stop a run, as its message names them.
SIGNAL_NAMES = {2: "interrupted by SIGINT (Ctrl-C)", 15: "stopped by SIGTERM"}


class RunRecorder:
    """Opens the run on ``spider_opened``; counts, judges, finishes it and fires the alarm on
    ``spider_closed`` (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.state = run_state(crawler)
        self.state.halt = partial(halt, crawler)

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        s = self.crawler.settings
        args = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "site": s.get("THEPAPER_SITE_URL"),
            "api": s.get("THEPAPER_API_URL"),
        }
        try:
            archive = self.state.archive = RunArchive(s.get("THEPAPER_DB_URL"))
            self.state.run_id = archive.open_run("crawl", args).id
        except ArchiveUnwritable as exc:
            self.state.stop_unwritable(exc.why)

    def closed(self, spider=None, reason="finished"):
        state, archive = self.state, self.state.archive
        if archive is None:  # the archive could not even be opened: nothing to record
            return
        stats = self.crawler.stats.get_stats()
        counters = crawl_counters(state.counts, stats)
        status = run_status(state.stop_reason or reason, counters)
        message = run_message(state, reason, self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT"))
        spider = spider if spider is not None else getattr(self.crawler, "spider", None)
        if getattr(spider, "article_ids", None):  # an import of chosen articles is no sample of the site
            coverage, verdict, report = None, None, {}
        elif state.stop_reason == "archive_unwritable":  # the baseline cannot be read either
            coverage, verdict, report = coverage_from_stats(state.counts), None, {}
        else:
            coverage = coverage_from_stats(state.counts)
            verdict, report = self._judge(archive, coverage)
        if verdict is not None and verdict.alarm and status in ("ok", "partial"):
            status, message = "degraded", verdict.line
        state.status, state.message = status, message
        if archive.run is not None:
            try:
                archive.run.finish(
                    status,
                    counters,
                    message,
                    coverage=coverage,
                    drift=verdict.to_json(report["about"]) if verdict is not None else None,
                )
            except ArchiveUnwritable as exc:  # the next run marks it aborted
                logger.info("the run's end could not be recorded: %s", exc)
        if verdict is not None and verdict.alarm:
            state.alarm = verdict.line
            report.update(run_id=state.run_id, status=status)
            self.crawler.signals.send_catch_log(layout_drift_alarm, verdict=verdict, report=report)
        elif verdict is not None and verdict.state in ("too_few", "no_baseline") and coverage:
            state.drift_note = verdict.note
        self._show(state)
        archive.close()

    def _show(self, state: RunState) -> None:
        """The outcome in Scrapy's stats, for display (``scrapy crawl``'s stats dump)."""
        shown = {
            "run_status": state.status,
            "run_id": state.run_id,
            "run_message": state.message,
            "alarm": state.alarm,
            "drift_note": state.drift_note,
        }
        for key, value in shown.items():
            if value is not None:
                self.crawler.stats.set_value(f"thepaper/{key}", value)

    def _judge(self, archive: RunArchive, coverage: dict | None) -> tuple[Verdict | None, dict]:
        """The layout-drift check of this run (:mod:`crawler.drift`): ``(verdict, report)``,
        the report being the figures handed to the alert hook; ``(None, {})`` if it failed."""
        from dataclasses import asdict

        from storage.coverage import side_by_side

        th = Thresholds.from_settings(self.crawler.settings)
        try:
            base, about = archive.trailing_coverage(th.window_days) if coverage else ({}, {})
            verdict = judge(coverage, base, th)
        except Exception:  # the check must never cost the run its row
            logger.exception("the layout-drift check failed; the run is recorded without it")
            return None, {}
        logger.info("layout-drift check: %s%s", verdict.state, f" ({verdict.note})" if verdict.note else "")
        report = {
            "line": verdict.line,
            "state": verdict.state,
            "findings": verdict.to_json()["findings"],
            "thresholds": asdict(th),
            "about": about,
            "coverage": coverage,
            "baseline": base,
            "figures": side_by_side(coverage, base),
        }
        return verdict, report


#: The outcomes a crawl counts (``thepaper/stored/<outcome>`` in :attr:`RunState.counts`).
STORED_KEYS = ("new", "updated", "unchanged", "gone", "kept_original", "kept_fields")


def crawl_counters(counts: Mapping[str, int], stats: Mapping[str, Any]) -> dict[str, Any]:
    """The run row's counters (:func:`storage.runs.run_counters`): the run's own (``counts``,
    :attr:`RunState.counts`) and the requests and responses Scrapy counted (``stats``)."""
    return run_counters(
        counts,
        STORED_KEYS,
        prefix="thepaper/stored/",
        failed=int(counts.get("thepaper/failed", 0)),
        articles_fetched=int(counts.get("thepaper/articles_fetched", 0)),
        list_pages=int(counts.get("thepaper/list_pages", 0)),
        responses=int(stats.get("downloader/response_count", 0)),
        requests=int(stats.get("downloader/request_count", 0)),
    )


def run_status(reason: str, counters: Mapping) -> str:
    """``ok``; ``partial`` when articles failed or a limit cut the run short (the next run
    resumes); ``failed`` when the site could not be crawled or the archive written (or its writer
    died); ``aborted``
    otherwise (a signal...)."""
    if reason in ("site_unreachable", "blocked", "archive_unwritable", "writer_lost"):
        return "failed"
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        return "aborted"
    return "partial" if counters.get("failed") or reason.startswith("closespider_") else "ok"


def run_message(state: RunState, reason: str, max_runtime_s: float = 0) -> str:
    """Why the run ended, in words (the ``crawl_runs.message``, shown by ``stats`` and the summary)."""
    if state.message:
        return state.message
    if state.signal in SIGNAL_NAMES:
        return SIGNAL_NAMES[state.signal] + "; the next run resumes"
    if state.fatal:
        return state.fatal
    if reason == "closespider_timeout":
        return f"stopped by --max-runtime after {max_runtime_s:g}s; the next run resumes"
    if reason.startswith("closespider_"):
        return f"stopped by a limit ({reason}); the next run resumes"
    return reason
