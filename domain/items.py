"""Items that flow from the spider through the pipeline stages.

The spider never parses article content itself: it hands each fetched
response, raw, to the pipelines as a :class:`FetchedPage`; the stages archive
it, clean it and persist it (see ``pipelines/stages.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchedPage:
    """One HTTP response, exactly as received."""

    url: str  # the URL requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    kind: str = "article"  # "article" | "list" | "import" | "mirror"
    cont_id: int | None = None
    list_item: dict[str, Any] | None = None  # the list API item that led to this article
    list_page: str | None = None  # SHA-256 (hex) of the body of the list page that listed it
    channel_id: int | None = None
    #: the request that was answered, when known: {"method", "url", "headers"} (kept with
    #: the raw page; a WARC export writes it as a ``request`` record)
    request: dict[str, Any] | None = None
    failure_retry: bool = False  # fetched again because it failed before (not a sample of today's site)
    # Filled by the stages:
    #: the keyword arguments of ``storage.raw.archive_raw`` for this response (ArchiveStage
    #: sets them; the writer archives the page with them, before its record)
    raw_args: dict[str, Any] | None = None
    raw_page: Any = None
    record: Any = None  # domain.record.ArticleRecord
    error: Any = None  # domain.record.CleaningError (or a wrapped crash)
    outcome: str | None = None  # "new" | "updated" | "unchanged" | ... after persisting


@dataclass
class ListedRecord:
    """A record known from a list item alone (external links): nothing to fetch."""

    record: Any
    list_item: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None


@dataclass
class FetchFailure:
    """A request that produced no response (network error, robots.txt, retries exhausted)."""

    url: str
    cont_id: int | None
    reason: str  # short stable code: "dns_error", "connection_refused", "timeout", "http_503", "robots_disallowed", ...
    message: str
    kind: str = "article"
    page: FetchedPage | None = None  # the error response itself, when there was one (archived too)
    #: The site or the API gave no answer at all (a network error): recorded only once they
    #: answer again, or at the end of a run that was not stopped for an outage.
    unanswered: bool = False
