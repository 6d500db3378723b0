"""Ending a crawl early, the one way every guard does it (unreachable site, outage, blocks,
an archive that cannot be written).

:func:`stop_run` records why in the crawl's stats (``thepaper/fatal``: the one line the
command prints; ``thepaper/stop_reason``), drops the requests waiting in the downloader's
slots so that nothing more is fetched, and closes the spider with the reason (the command
maps it to its exit code). Dropped requests fail with :class:`RunStopped` unless the caller
gives its own error: the spider records nothing for them (they were never fetched; the next
run fetches them).
"""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)


class RunStopped(IgnoreRequest):
    """A request dropped unfetched because the run is stopping: not a failure of its article."""


def stopping(crawler) -> str | None:
    """The reason the run is being stopped early, or None."""
    return crawler.stats.get_value("thepaper/stop_reason")


def stop_run(crawler, reason: str, message: str, drop: IgnoreRequest | None = None) -> bool:
    """Stop the run (see the module docstring); False when it is already stopping."""
    from scrapy.utils.defer import deferred_from_coro

    if stopping(crawler):
        return False
    crawler.stats.set_value("thepaper/stop_reason", reason)
    crawler.stats.set_value("thepaper/fatal", message)
    logger.info("stopping the run: %s", message)
    drop_queued(crawler, drop if drop is not None else RunStopped(message))
    if crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=reason))
    return True


def drop_queued(crawler, exc: IgnoreRequest) -> int:
    """Fail the requests waiting in the downloader's slots with ``exc``; how many."""
    n = 0
    engine = crawler.engine
    for slot in (engine.downloader.slots.values() if engine is not None else ()):
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            deferred.errback(exc)
            n += 1
    return n
