"""Counting a crawl's field coverage in its Scrapy stats, and reading it back as the run's
``crawl_runs.coverage`` (the shape is :mod:`storage.coverage`'s).

Only first fetches are judged: an article page fetched again because it failed before
(``FetchedPage.failure_retry``) is a sample of past failures, not of today's site. Of the
judged pages, each cleaning error is counted by reason; each stored article (new, updated
or unchanged; never gone, external or a mirror copy kept out) is counted under its content
type with the fields it has. Stats keys, all under ``thepaper/coverage/``::

    pages                          judged article pages
    failed/<reason>                of those, ended as that cleaning error
    type/<content_type>/articles   stored articles of that type
    type/<content_type>/<field>    of those, with that field
    layout/<layout>                stored articles per layout
    build/<build id>               judged pages per Next.js front-end build
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.coverage import StoredSummary, empty, summarize

PREFIX = "thepaper/coverage/"
#: Records that are not articles with fields to judge.
_NOT_JUDGED_TYPES = ("gone", "external")
_NOT_JUDGED_OUTCOMES = ("kept_original",)
_BUILD_KEY = b'"buildId":"'


def front_end_build(body: bytes) -> str | None:
    """The Next.js ``buildId`` of a page (it sits near the end of ``__NEXT_DATA__``), or None."""
    at = body.rfind(_BUILD_KEY)
    if at < 0:
        return None
    start = at + len(_BUILD_KEY)
    end = body.find(b'"', start, start + 64)
    if end <= start:
        return None
    value = body[start:end]
    return value.decode("ascii") if value.isascii() and value.replace(b"-", b"").replace(b"_", b"").isalnum() else None


def count_page(
    stats, *, body: bytes, record=None, outcome: str | None = None, failure_reason: str | None = None
) -> None:
    """Count one judged article page in ``stats`` (Scrapy's stats collector, or anything
    with ``inc_value``): its build, and its article's fields or its failure's reason.
    ``record``: the stored record, or its :class:`storage.coverage.StoredSummary`."""
    stats.inc_value(PREFIX + "pages")
    build = front_end_build(body) if body else None
    if build:
        stats.inc_value(f"{PREFIX}build/{build}")
    if record is not None:
        stored = record if isinstance(record, StoredSummary) else summarize(record)
        if stored.content_type in _NOT_JUDGED_TYPES or outcome in _NOT_JUDGED_OUTCOMES:
            return
        ctype = stored.content_type
        stats.inc_value(f"{PREFIX}type/{ctype}/articles")
        for name in stored.fields:
            stats.inc_value(f"{PREFIX}type/{ctype}/{name}")
        stats.inc_value(f"{PREFIX}layout/{stored.layout}")
    elif failure_reason:
        stats.inc_value(f"{PREFIX}failed/{failure_reason}")


def coverage_from_stats(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run's coverage from its stats; None when no article page was judged."""
    cov = empty()
    for key, value in stats.items():
        if not key.startswith(PREFIX):
            continue
        parts = key[len(PREFIX) :].split("/")
        n = int(value)
        if parts == ["pages"]:
            cov["pages"] = n
        elif parts[0] == "failed" and len(parts) == 2:
            cov["failures"][parts[1]] = n
        elif parts[0] == "layout" and len(parts) == 2:
            cov["layouts"][parts[1]] = n
        elif parts[0] == "build" and len(parts) == 2:
            cov["builds"][parts[1]] = n
        elif parts[0] == "type" and len(parts) == 3:
            figures = cov["types"].setdefault(parts[1], {"articles": 0, "fields": {}})
            if parts[2] == "articles":
                figures["articles"] = n
            else:
                figures["fields"][parts[2]] = n
    return cov if cov["pages"] else None
