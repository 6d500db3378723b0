"""Scrapy's per-response and per-item log messages, made only when they are shown.

Scrapy builds a DEBUG record for every response ("Crawled (200) ...") and every item
("Scraped from ... " with the item's whole ``repr``, raw body included), and leaves the root
logger at ``NOTSET`` so that each record is created, formatted and (``crawler.cli.errors``)
searched for passwords before the handler at ``LOG_LEVEL`` throws it away: about a tenth of
the reactor thread of a fast crawl. :class:`QuietLogFormatter` (``LOG_FORMATTER``) returns no
message for either unless the crawl logs at DEBUG, and names an item by its kind and URL
rather than its contents.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


def item_label(item: Any) -> str:
    """What the log says of an item: its class and URL (never its raw body)."""
    url = getattr(item, "url", None)
    record = getattr(item, "record", None)
    if url is None and record is not None:
        url = getattr(record, "url", None)
    return f"{type(item).__name__} {url}" if url else type(item).__name__


class QuietLogFormatter(LogFormatter):
    """Scrapy's log formatter, without the per-response and per-item DEBUG messages unless
    ``LOG_LEVEL`` is DEBUG (or lower)."""

    def __init__(self, debug: bool = False):
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler):
        level = crawler.settings.get("LOG_LEVEL") or "DEBUG"
        number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        return cls(debug=not isinstance(number, int) or number <= logging.DEBUG)

    def crawled(self, request, response, spider):
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item, response, spider):
        if not self.debug:
            return None
        out = super().scraped(item, response, spider)
        out["args"]["item"] = item_label(item)
        return out
