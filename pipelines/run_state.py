"""The state of one crawl, typed: what the run recorder, the middlewares, the spider, the item
stages and the command line share, instead of string keys in Scrapy's stats.

One :class:`RunState` per crawler (:func:`run_state`). The control flow reads its fields:
whether and why the run is stopping (:attr:`RunState.stop_reason`, :attr:`RunState.fatal`),
the signal that stopped it, the run's row and its verdict once recorded (:attr:`RunState.status`,
:attr:`RunState.alarm`...). Its counters (:attr:`RunState.counts`: what was stored, what failed,
the field coverage) are the run's own; :meth:`RunState.inc_value` also adds them to Scrapy's
stats, which only show them (the progress line, ``scrapy crawl``'s stats dump).

:meth:`RunState.stop` is the one way a run is stopped early: the first reason wins; the hook
:attr:`RunState.halt`, installed by the run recorder (``crawler.run_stop``), drops the queued
requests and closes the spider.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storage.runs import RunArchive

_ATTR = "thepaper_run"


#: The URLs of a failure reason kept for the run's end-of-run line.
FAILURE_EXAMPLES = 3


@dataclass
class RunState:
    #: The archive of the run and its run row (opened on ``spider_opened`` by the run recorder).
    archive: RunArchive | None = None
    #: Its ``crawl_runs`` row, once opened.
    run_id: int | None = None
    #: Why the run is being stopped early (``site_unreachable``, ``blocked``,
    #: ``archive_unwritable``, ``writer_lost``), or None.
    stop_reason: str | None = None
    #: The one line the command prints for an early stop.
    fatal: str | None = None
    #: The signal (2, 15) that stopped the run, if one did.
    signal: int | None = None
    #: Once recorded: the run's status (``ok``, ``partial``, ``degraded``...), its message,
    #: the layout-drift alarm's line, or the drift check's note when it could not judge.
    status: str | None = None
    message: str | None = None
    alarm: str | None = None
    drift_note: str | None = None
    #: The run's counters, by the key Scrapy's stats show them under (``thepaper/stored/new``...).
    counts: Counter = field(default_factory=Counter)
    #: The first URLs of each reason an article page was not stored for (the end-of-run lines).
    failed_examples: dict[str, list[str]] = field(default_factory=dict)
    #: Scrapy's stats collector, where :meth:`inc_value` shows the counters too.
    mirror: Any = field(default=None, repr=False)
    #: ``halt(reason, message, drop)``: stop fetching and close the spider (installed by the
    #: run recorder; ``drop`` is the error the queued requests fail with, None for the default).
    halt: Callable[[str, str, BaseException | None], None] | None = field(default=None, repr=False)

    def inc_value(self, key: str, count: int = 1) -> None:
        self.counts[key] += count
        if self.mirror is not None:
            self.mirror.inc_value(key, count)

    def failed_example(self, reason: str, url: str) -> None:
        """Keep ``url`` among the first :data:`FAILURE_EXAMPLES` of its failure ``reason``."""
        urls = self.failed_examples.setdefault(reason, [])
        if len(urls) < FAILURE_EXAMPLES:
            urls.append(url)

    def stop(self, reason: str, message: str, drop: BaseException | None = None, *, halt: bool = True) -> bool:
        """Stop the run early for ``reason``; False when it is already stopping. ``halt=False``
        only records why (the run is closing anyway)."""
        if self.stop_reason:
            return False
        self.stop_reason, self.fatal = reason, message
        if halt and self.halt is not None:
            self.halt(reason, message, drop)
        return True

    def stop_unwritable(self, why: str) -> bool:
        """Stop the run because the archive cannot be written (exit code 6)."""
        return self.stop(
            "archive_unwritable",
            f"cannot write the archive: {why}; stopping the run (the next run resumes once the archive can be written)",
        )

    def stop_writer_lost(self, why: str) -> bool:
        """Stop the run because the process that stores its pages is gone (exit code 6)."""
        return self.stop(
            "writer_lost",
            f"{why}; stopping the run (what was committed stays; the next run fetches the rest)",
        )


def run_state(crawler) -> RunState:
    """The crawler's one :class:`RunState` (made on first use)."""
    state = getattr(crawler, _ATTR, None)
    if state is None:
        state = RunState(mirror=getattr(crawler, "stats", None))
        setattr(crawler, _ATTR, state)
    return state
