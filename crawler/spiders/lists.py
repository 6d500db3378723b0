"""The list half of the ``thepaper`` spider: plan each channel's or column's walk from its
cursor, ask for list pages through the JSON API, follow their articles, retry a page that fails
or stalls, and advance the cursors of the lists walked to their end (see :mod:`.thepaper`)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from datetime import datetime, timezone
from scrapy.http import JsonRequest

from crawler import incremental, listapi
from domain.items import FetchFailure
from storage.failures import list_failure_url, resolve_list_failures
from storage.runs import get_cursor, set_cursor
from storage.unwritable import ArchiveUnwritable

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.runs import RunArchive

logger = logging.getLogger("crawler.spiders.thepaper")  # the spider's messages stay under its name

_EMPTY_PAGES_LIMIT = 3  # consecutive empty pages that claim hasNext before a list is abandoned


class ListWalking:
    """The list-walking methods of :class:`crawler.spiders.thepaper.ThepaperSpider` (a mixin:
    it reads the spider's settings, store, run and :meth:`_follow_item`)."""

    # The spider's (crawler.spiders.thepaper.ThepaperSpider):
    crawler: Crawler
    store: RunArchive
    channels: list[str]
    nodes: list[str]
    page_size: int
    api_url: str
    api_headers: dict[str, str]
    lists_pending: int
    overlap_s: float
    since_ms: int | None
    full: bool
    walks: dict[tuple[str, str], incremental.ListWalk]
    on_error: Callable[..., Any]

    def _plan_walks(self):
        with self.store.Session() as session:
            for kind, ids in (("channel", self.channels), ("node", self.nodes)):
                for source_id in ids:
                    cursor = get_cursor(session, kind, int(source_id))
                    stop = incremental.stop_below(
                        cursor_ms=cursor.newest_pub_time_ms if cursor else None,
                        overlap_s=self.overlap_s,
                        since_ms=self.since_ms,
                        full=self.full,
                    )
                    self.walks[(kind, str(source_id))] = incremental.ListWalk(kind, int(source_id), stop)

    def _known(self, items) -> dict:
        """What the archive knows of a list page's articles (one query per list page)."""
        ids = [cid for cid in (listapi.item_cont_id(i) for i in items) if cid is not None]
        if not ids:
            return {}
        engine = self.store.engine
        # A plain driver-level query: SQLAlchemy's compilation of an expanding IN per list
        # page cost four times the query itself on the reactor thread.
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"SELECT cont_id, title, content_type FROM articles WHERE cont_id IN ({', '.join([mark] * len(ids))})"
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(sql, tuple(ids)).all()
        return {cid: incremental.Known(title, ctype) for cid, title, ctype in rows}

    def list_request(self, kind: str, source_id, *, start_time="", page: int = 1, empty_pages: int = 0):
        body = listapi.list_body(kind, source_id, start_time=start_time, page_size=self.page_size, page_num=page)
        self.lists_pending += 1
        return JsonRequest(
            self.api_url + listapi.list_path(kind),
            data=body,
            headers=self.api_headers,
            callback=self.parse_list,
            errback=self.on_error,
            dont_filter=True,
            meta={
                "list_kind": kind,
                "list_id": str(source_id),
                "start_time": start_time,
                "page": page,
                "empty_pages": empty_pages,
            },
        )

    def parse_list(self, response):
        self.lists_pending -= 1
        meta = response.meta
        walk = self.walks.get((meta["list_kind"], meta["list_id"]))
        yield self._fetched(response, kind="list")
        try:
            page = listapi.parse_list_response(response.body)
        except listapi.ListAPIError as exc:
            self.crawler.stats.inc_value(f"thepaper/list_error/{exc.reason}")
            if exc.transient:  # e.g. 99998 系统繁忙: try again later, with backoff
                retry = self._retry_list(response.request, exc.reason)
                if retry is not None:
                    yield retry
                    return
            yield FetchFailure(
                list_failure_url(self._list_endpoint(meta), meta["list_kind"], meta["list_id"], meta["start_time"]),
                None,
                exc.reason,
                str(exc),
                kind="list",
            )
            logger.warning("list %s %s: %s", meta["list_kind"], meta["list_id"], exc)
            return
        self.run.inc_value("thepaper/list_pages")
        for reason, n in page.skipped.items():
            self.crawler.stats.inc_value(f"thepaper/list_items_skipped/{reason}", n)
            logger.info("list %s %s: %d entries skipped (%s)", meta["list_kind"], meta["list_id"], n, reason)
        channel_id = int(meta["list_id"]) if meta["list_kind"] == "channel" else None
        known = self._known(page.items)
        list_page = hashlib.sha256(response.body).hexdigest()  # raw_pages.sha256 of this page
        for item in page.items:
            if walk is not None:
                walk.see(item)
            cont_id = listapi.item_cont_id(item)
            if incremental.listed_before(item, self.since_ms):
                self.crawler.stats.inc_value("thepaper/listed_before_since")
                continue
            if not incremental.needs_fetch(item, known.get(cont_id), refetch=self.refetch):
                self.crawler.stats.inc_value("thepaper/listed_unchanged")
                continue
            yield from self._follow_item(item, channel_id, list_page=list_page)

        if self.max_articles and len(self.scheduled) >= self.max_articles:
            return  # stopped short: the list is not complete, its cursor stays
        if not page.has_next:
            self._complete(walk)
            return
        if walk is not None and not incremental.keep_paging(page.next_start_time, walk.stop_below_ms):
            self.crawler.stats.inc_value("thepaper/list_stopped/reached_known")
            self._complete(walk)
            return
        nxt = page.next_start_time
        stuck = nxt is None or (meta["start_time"] not in ("", None) and nxt >= int(meta["start_time"]))
        if stuck or not page.items:
            # An empty page that claims more, or a cursor that does not advance: the same
            # page asked again (with backoff) usually comes right; give up after the retries.
            retry = self._retry_list(response.request, "cursor_stuck" if stuck else "empty_page")
            if retry is not None:
                yield retry
                return
        empty = meta["empty_pages"] + 1 if not page.items else 0
        if empty >= _EMPTY_PAGES_LIMIT:
            logger.warning(
                "list %s %s: %d empty pages that claim hasNext; stopping this list",
                meta["list_kind"],
                meta["list_id"],
                empty,
            )
            self.crawler.stats.inc_value("thepaper/list_stopped/empty_pages")
            return
        if stuck:
            logger.warning(
                "list %s %s: cursor did not advance (%s -> %s); stopping this list",
                meta["list_kind"],
                meta["list_id"],
                meta["start_time"],
                nxt,
            )
            self.crawler.stats.inc_value("thepaper/list_stopped/cursor_stuck")
            return
        if meta["page"] >= self.max_list_pages:
            self.crawler.stats.inc_value("thepaper/list_stopped/max_pages")
            return
        yield self.list_request(
            meta["list_kind"], meta["list_id"], start_time=nxt, page=meta["page"] + 1, empty_pages=empty
        )

    def _set_backoff(self, request, attempt: int) -> None:
        """Delay ``request`` like a retry number ``attempt`` (see crawler/middlewares.py)."""
        from crawler.middlewares import BACKOFF_META, backoff_delay

        s = self.crawler.settings
        request.meta[BACKOFF_META] = backoff_delay(
            attempt, s.getfloat("THEPAPER_RETRY_BACKOFF_BASE"), s.getfloat("THEPAPER_RETRY_BACKOFF_MAX")
        )

    def _retry_list(self, request, reason):
        """The same list request again, counted by Scrapy's retry machinery."""
        from scrapy.downloadermiddlewares.retry import get_retry_request

        retry = get_retry_request(request, spider=self, reason=reason)
        if retry is not None:
            self.lists_pending += 1
            self._set_backoff(retry, retry.meta.get("retry_times", 1))
        return retry

    def _retry_list_page(self, request, reason):
        """A fresh request for the list page behind a failed (possibly redirected) request."""
        meta = request.meta
        attempt = meta.get("list_attempt", 0) + 1
        if attempt > self.crawler.settings.getint("RETRY_TIMES"):
            return None
        retry = self.list_request(
            meta["list_kind"],
            meta["list_id"],
            start_time=meta["start_time"],
            page=meta["page"],
            empty_pages=meta.get("empty_pages", 0),
        )
        retry.meta["list_attempt"] = attempt
        self._set_backoff(retry, attempt)
        self.crawler.stats.inc_value(f"thepaper/list_retry/{reason}")
        return retry

    def _complete(self, walk):
        if walk is not None:
            walk.completed = True

    def closed(self, reason):
        """Advance the cursors of the lists walked to their end, only after a clean run:
        after a crash the next run walks the same stretch again and fetches what is missing."""
        if reason != "finished" or not self.walks:
            return
        walked = [w for w in self.walks.values() if w.completed]
        done = [w for w in walked if w.newest_ms]
        if not walked:
            return
        now = datetime.now(timezone.utc)
        try:
            with self.store.Session() as session:
                for walk in done:
                    set_cursor(session, walk.kind, walk.source_id, walk.newest_ms, run_id=self.run.run_id, now=now)
                # a list walked to its end: the failures of its pages in earlier runs are history
                resolve_list_failures(
                    session, [(self.api_url + listapi.list_path(w.kind), w.kind, w.source_id) for w in walked]
                )
                session.commit()
        except ArchiveUnwritable as exc:  # the cursors stay: the next run walks the same stretch again
            self.run.stop("archive_unwritable", f"cannot write the archive: {exc.why}", halt=False)
            return
        self.crawler.stats.set_value("thepaper/cursors_advanced", len(done))
