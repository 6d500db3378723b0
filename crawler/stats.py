"""The crawl's stats collector (``STATS_CLASS``): Scrapy's in-memory collector with plain
attribute access.

Scrapy's ``StatsCollector`` (2.19) defines ``__getattribute__`` in Python, to wrap its methods
in a check that warns when a caller still passes the deprecated ``spider`` argument: every
attribute read of the collector, ``self._stats`` inside each method included, runs that Python
function (an f-string and, for anything not yet wrapped, an ``AttributeError`` raised and
caught), and every call goes through the wrapper. A crawl makes ~27 stats calls per article
page (Scrapy's downloader, scheduler and core stats, the run's counters and field coverage),
at ~3-5 µs each on the reactor thread; without the hook one costs ~0.2 µs.

:class:`CrawlStats` is :class:`scrapy.statscollectors.MemoryStatsCollector` (the same stats,
kept per spider after the run) with ``object.__getattribute__``: only the deprecation warning
for a ``spider`` argument is gone (the methods still accept and ignore it, as Scrapy's do).
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    """Scrapy's :class:`~scrapy.statscollectors.MemoryStatsCollector` without the Python
    ``__getattribute__`` hook of its base class (see the module docstring)."""

    __getattribute__ = object.__getattribute__
