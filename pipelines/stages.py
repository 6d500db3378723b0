"""Scrapy item pipelines: thin adapters that run the pure stages on crawled items.

Order (``ITEM_PIPELINES`` in ``crawler/settings.py``)::

    ArchiveStage (100) → CleanStage (300) → ValidateStage (500) → PersistStage (900)

* ArchiveStage takes the response's raw bytes, headers, status, URLs and fetch
  time for the archive before anything looks at them.
* CleanStage runs the cleaning chain (decode → extract → repair → strip) of
  ``cleaning.document``; any error becomes ``item.error``, never a lost page. With
  ``THEPAPER_PIPELINE_WORKER`` the worker process cleans, and the stage is not configured
  (Scrapy leaves it out of the pipeline; its log lists the stages enabled).
* ValidateStage refuses records that would be silently empty or half-known.
* PersistStage (:mod:`pipelines.persist`) hands each item to the crawl's single writer.

The run itself (its row, counters, coverage and drift check) is not theirs: the run
recorder extension (``crawler.runrecorder``) opens and finishes it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# cleaning.listitem, and with it the extraction and repair modules (~0.2 s of imports, nearly all
# of cleaning.document's), is loaded as the engine is built (the pipelines are), not by the first
# list page or item inside the crawl's clock (the spider's list-only records and page_context read it).
from cleaning.listitem import list_item_essentials
from cleaning.page import ValidationError, clean_page, validate_record
from domain.items import FetchedPage, FetchFailure, ListedRecord
from domain.record import CleaningError
from domain.urls import canonical_url
from pipelines.run_state import run_state


class _Stage:
    def __init__(self, crawler):
        self.crawler = crawler
        self.state = run_state(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class ArchiveStage(_Stage):
    """Takes the raw response into the item before anything looks at it (compressed
    and written by the writer thread, in the same transaction as its article)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.site_url = crawler.settings.get("THEPAPER_SITE_URL")

    def process_item(self, item):
        if isinstance(item, FetchedPage):
            self._archive(item)
            if item.kind in ("article", "mirror"):
                self.state.inc_value("thepaper/articles_fetched")
        elif isinstance(item, FetchFailure) and item.page is not None:
            self._archive(item.page)
        return item

    def _archive(self, page: FetchedPage):
        page.raw_args = dict(
            url=page.url,
            final_url=page.final_url,
            status=page.status,
            headers=page.headers,
            body=page.body,
            fetched_at=page.fetched_at,
            kind=page.kind,
            run_id=self.state.run_id,
            cont_id=page.cont_id,
            context=page_context(page, self.site_url),
        )


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
    cleaning reads (:func:`cleaning.listitem.list_item_essentials`), and the SHA-256 of the
    archived list page that holds the whole item (``list_page``)."""
    context: dict[str, Any] = {"url": cleaning_url(page, site_url)}
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
    In worker mode the worker process does this, just before storing the page: the stage is then
    not in this process's pipeline at all (``NotConfigured``), and PersistStage keeps one of its
    own for the arguments it sends the worker (:meth:`clean_args`)."""

    @classmethod
    def from_crawler(cls, crawler):
        if worker_mode(crawler):
            from scrapy.exceptions import NotConfigured

            raise NotConfigured  # without a message: Scrapy would log one as a warning in every such crawl
        return cls(crawler)

    def __init__(self, crawler):
        super().__init__(crawler)
        self.site_url = crawler.settings.get("THEPAPER_SITE_URL")
        # a gzip file inside a body decompresses to at most what Scrapy lets a response be
        # (0, Scrapy's "no limit", keeps the cleaner's own bound)
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE") or None
        self.keywords = crawler.settings.getbool("THEPAPER_KEYWORDS")

    def clean_args(self, item) -> dict:
        return dict(
            url=cleaning_url(item, self.site_url),
            headers=item.headers,
            status=item.status,
            list_item=item.list_item,
            cont_id=item.cont_id,
            source_url=item.final_url,
            max_size=self.max_size,
            keywords=self.keywords,
        )

    def process_item(self, item):
        if isinstance(item, FetchedPage) and item.kind in ("article", "mirror"):
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
