"""Ending a crawl early, the one way every guard does it (unreachable site, outage, blocks,
an archive that cannot be written).

:func:`stop_run` records why in the run's typed state (:class:`pipelines.run_state.RunState`:
``fatal``, the one line the command prints; ``stop_reason``, which the command maps to its
exit code); the state's halt hook (:func:`halt`, installed by the run recorder) drops the
requests waiting in the downloader's slots so that nothing more is fetched, and closes the
spider with the reason. Dropped requests fail with :class:`RunStopped` unless the caller
gives its own error: the spider records nothing for them (they were never fetched; the next
run fetches them). The item stages stop a run the same way, through the state.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

from pipelines.run_state import run_state

logger = logging.getLogger(__name__)


class RunStopped(IgnoreRequest):
    """A request dropped unfetched because the run is stopping: not a failure of its article."""


def stopping(crawler) -> str | None:
    """The reason the run is being stopped early, or None."""
    return run_state(crawler).stop_reason


def stop_run(crawler, reason: str, message: str, drop: IgnoreRequest | None = None) -> bool:
    """Stop the run (see the module docstring); False when it is already stopping."""
    return run_state(crawler).stop(reason, message, drop)


def stop_unwritable(crawler, exc) -> bool:
    """Stop the run because the archive cannot be written (:class:`storage.unwritable.ArchiveUnwritable`)."""
    return run_state(crawler).stop_unwritable(exc.why)


def halt(crawler, reason: str, message: str, drop: BaseException | None = None) -> None:
    """Stop fetching and close the spider with ``reason`` (the state's halt hook)."""
    from scrapy.utils.defer import deferred_from_coro

    logger.info("stopping the run: %s", message)
    drop_queued(crawler, drop if drop is not None else RunStopped(message))
    if crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def drop_queued(crawler, exc: BaseException) -> int:
    """Fail the requests waiting in the downloader's slots with ``exc``; how many."""
    n = 0
    engine = crawler.engine
    for slot in engine.downloader.slots.values() if engine is not None else ():
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            deferred.errback(exc)
            n += 1
    return n
