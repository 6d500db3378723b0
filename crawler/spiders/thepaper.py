"""The ``thepaper`` spider: walk channel/column lists through the JSON API, fetch every article.

The spider only navigates. Each response (list pages too) goes to the item
pipelines raw, as a :class:`domain.items.FetchedPage`; archiving, decoding,
extraction, cleaning and storage happen there.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import JsonRequest
from twisted.internet import error as neterror

from crawler import incremental, listapi
from crawler.addresses import configured_endpoints
from crawler.config import layered
from domain.hosts import BadHostError, host_port, normalise_url
from domain.items import FetchedPage, FetchFailure, ListedRecord
from domain.urls import canonical_url
from storage.failures import due_failures, list_failure_url, resolve_list_failures
from storage.runs import get_cursor, set_cursor
from storage.unwritable import ArchiveUnwritable

logger = logging.getLogger(__name__)

_EMPTY_PAGES_LIMIT = 3  # consecutive empty pages that claim hasNext before a list is abandoned


def _headers_dict(headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        out[k] = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    return out


def _request_dict(req) -> dict:
    """What the raw archive keeps of the request a response answers (the body as Latin-1)."""
    out = {"method": req.method, "url": req.url, "headers": _headers_dict(req.headers)}
    if req.body:
        out["body"] = req.body.decode("latin-1")
    return out


def failure_reason(exc: BaseException) -> str:
    """A short stable code for a failed request."""
    from scrapy.spidermiddlewares.httperror import HttpError

    from crawler.addresses import AddressRefused
    from crawler.middlewares import OffsiteRedirect

    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, AddressRefused):
        return "private_address"
    if isinstance(exc, OffsiteRedirect):
        return "offsite_redirect"
    if isinstance(exc, IgnoreRequest):
        if str(exc).startswith("blocked:"):
            return "blocked"
        if "offsite" in str(exc).lower():
            return "offsite_redirect"
        return "robots_disallowed" if "robots" in str(exc).lower() or "Forbidden by robots" in str(exc) else "ignored"
    # Scrapy (2.13+) wraps Twisted's errors in its own; both spellings give the same code
    if isinstance(exc, (neterror.DNSLookupError, CannotResolveHostError)):
        return "dns_error"
    if isinstance(exc, (neterror.ConnectionRefusedError, DownloadConnectionRefusedError)):
        return "connection_refused"
    if isinstance(exc, (neterror.TimeoutError, neterror.TCPTimedOutError, DownloadTimeoutError)):
        return "timeout"
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class ThepaperSpider(scrapy.Spider):
    name = "thepaper"

    def __init__(self, *args, channels=None, nodes=None, max_articles=None, articles=None, mirrors=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: Import mode: mirror copies to fetch beside the originals ({cont_id: mirror URL}).
        self.mirrors = {int(k): v for k, v in (mirrors or {}).items()}
        #: Import mode: fetch exactly these article ids, walk no list.
        self.article_ids = [int(x) for x in listapi.comma_list(articles)] if articles else []
        self._channels_arg = channels
        self._nodes_arg = nodes
        self._max_arg = max_articles
        self.scheduled: set[int] = set()
        #: Distributed walker (crawler.distributed): article requests go to Redis through this.
        self.redis_push = None
        #: List pages asked for and not answered yet; once the start requests are out and this
        #: is 0, every list is walked and ``scheduled`` is the run's number of article pages.
        self.lists_pending = 0
        self.started_lists = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = layered(crawler.settings)  # Scrapy makes the spider before its add-ons run (`scrapy crawl`)
        spider.site_url = s.get("THEPAPER_SITE_URL").rstrip("/")
        spider.api_url = s.get("THEPAPER_API_URL").rstrip("/")
        spider.channels = (
            listapi.comma_list(spider._channels_arg)
            if spider._channels_arg is not None
            else s.getlist("THEPAPER_CHANNELS")
        )
        spider.nodes = (
            listapi.comma_list(spider._nodes_arg) if spider._nodes_arg is not None else s.getlist("THEPAPER_NODES")
        )
        spider.page_size = s.getint("THEPAPER_PAGE_SIZE")
        spider.max_articles = (
            int(spider._max_arg) if spider._max_arg not in (None, "") else s.getint("THEPAPER_MAX_ARTICLES")
        )
        spider.max_list_pages = s.getint("THEPAPER_MAX_LIST_PAGES")
        spider.api_headers = listapi.api_headers(spider.site_url)
        # Redirects to other hosts are not followed (crawler.middlewares.OffsiteRedirectMiddleware);
        # mirror hosts of an import are allowed explicitly. Hosts as the client connects to them.
        spider.allowed_domains = sorted(
            {host_port(u)[0] for u in [spider.site_url, spider.api_url, *spider.mirrors.values()]}
        )
        spider.watched = configured_endpoints(s)
        spider.full = s.getbool("THEPAPER_FULL")
        since = s.get("THEPAPER_SINCE") or ""
        spider.since_ms = incremental.parse_since(since) if since else None
        spider.overlap_s = s.getfloat("THEPAPER_OVERLAP_HOURS") * 3600
        spider.refetch = s.getbool("THEPAPER_REFETCH")
        spider.retry_failures = s.getbool("THEPAPER_RETRY_FAILURES")
        spider.walks = {}
        return spider

    @property
    def run(self):
        """The run's typed state (:mod:`pipelines.run_state`)."""
        from pipelines.run_state import run_state

        return run_state(self.crawler)

    @property
    def store(self):
        """The archive of the run (opened by the run recorder on ``spider_opened``)."""
        return self.run.archive

    # -- lists -------------------------------------------------------------
    async def start(self):
        if self.settings.get("THEPAPER_ROLE") == "worker":
            return  # a distributed worker takes its requests from Redis only
        if self.article_ids:
            for cont_id in self.article_ids:
                for request in self._follow_item({"contId": str(cont_id)}, None):
                    yield request
                if cont_id in self.mirrors:
                    # dont_filter: the host is allowed explicitly, and Scrapy's offsite filter
                    # would drop the request silently, without an errback.
                    yield scrapy.Request(
                        normalise_url(self.mirrors[cont_id]),
                        callback=self.parse_mirror,
                        errback=self.on_error,
                        priority=-1,
                        dont_filter=True,
                        meta={"cont_id": cont_id, "handle_httpstatus_list": [404, 410]},
                    )
            return
        self._plan_walks()
        for walk in self.walks.values():
            yield self.list_request(walk.kind, walk.source_id)
        for request in self._due_failure_requests():
            yield request
        self.started_lists = True

    @property
    def lists_walked(self) -> bool:
        """Whether every list is walked (the number of article pages is final)."""
        return bool(self.article_ids) or (self.started_lists and self.lists_pending <= 0)

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

    def _due_failure_requests(self):
        """Articles that failed before and whose retry time has come (see the failures table)."""
        if not self.retry_failures:
            return
        with self.store.Session() as session:
            due = [f.cont_id for f in due_failures(session, datetime.now(timezone.utc)) if f.cont_id is not None]
        for cont_id in due:  # fetched from the configured site, whatever URL failed before
            self.crawler.stats.inc_value("thepaper/failures_retried")
            yield from self._follow_item({"contId": str(cont_id)}, None, failure_retry=True)

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

    def _follow_item(
        self, item: dict, channel_id: int | None, *, failure_retry: bool = False, list_page: str | None = None
    ):
        from cleaning.document import record_from_list_item

        cont_id = listapi.item_cont_id(item)
        if cont_id is None or cont_id in self.scheduled:
            return
        if self.max_articles and len(self.scheduled) >= self.max_articles:
            return
        self.scheduled.add(cont_id)
        if listapi.item_external_link(item):
            self.crawler.stats.inc_value("thepaper/external_items")
            yield ListedRecord(record_from_list_item(item, channel_id=channel_id), item)
            return
        request = scrapy.Request(
            canonical_url(cont_id).replace("https://www.thepaper.cn", self.site_url, 1),
            callback=self.parse_article,
            errback=self.on_error,
            # The spider dedups articles itself (self.scheduled); without dont_filter,
            # Scrapy's dupefilter would silently drop the way back of a redirect loop.
            dont_filter=True,
            meta={
                "cont_id": cont_id,
                "list_item": item,
                "channel_id": channel_id,
                "handle_httpstatus_list": [404, 410],
            },
        )
        if list_page:
            request.meta["list_page"] = list_page
        if failure_retry:  # not judged by the coverage monitors (pipelines.coverage)
            request.meta["failure_retry"] = True
        if self.redis_push is not None:
            self.redis_push(request)
            return
        yield request

    # -- articles ----------------------------------------------------------
    def parse_article(self, response):
        yield self._fetched(response, kind="article")

    def parse_mirror(self, response):
        yield self._fetched(response, kind="mirror")

    def _fetched(self, response, *, kind: str) -> FetchedPage:
        req = response.request
        return FetchedPage(
            url=(req.meta.get("redirect_urls") or [req.url])[0] if req is not None else response.url,
            final_url=response.url,
            status=response.status,
            headers=_headers_dict(response.headers),
            body=response.body,
            fetched_at=datetime.now(timezone.utc),
            kind=kind,
            cont_id=response.meta.get("cont_id"),
            list_item=response.meta.get("list_item"),
            list_page=response.meta.get("list_page"),
            channel_id=response.meta.get("channel_id"),
            request=_request_dict(req) if req is not None else None,
            failure_retry=bool(response.meta.get("failure_retry")),
        )

    def on_error(self, failure):
        from crawler.run_stop import RunStopped

        request = failure.request
        exc = failure.value
        if isinstance(exc, RunStopped):
            return  # dropped unfetched as the run stops: the next run fetches it
        reason = failure_reason(exc)
        self.crawler.stats.inc_value(f"thepaper/fetch_failed/{reason}")
        kind = "list" if "list_kind" in request.meta else "article"
        if kind == "list":
            self.lists_pending -= 1
            # A list page lost (redirected away, cut off...) hides every article behind
            # it: ask for the same page again, with backoff, before giving up on the list.
            retry = self._retry_list_page(request, reason)
            if retry is not None:
                yield retry
                return
        list_item = request.meta.get("list_item")
        if reason == "robots_disallowed" and list_item and listapi.item_cont_id(list_item) is not None:
            # robots.txt names single withdrawn articles: known from the list, gone from the site.
            from cleaning.document import gone_from_list_item

            record = gone_from_list_item(list_item, reason, channel_id=request.meta.get("channel_id"))
            yield ListedRecord(record, list_item)
            return
        if not self.run.stop_reason:
            logger.warning("%s %s failed: %s", kind, request.url, reason)
        response = getattr(exc, "response", None)  # an error answer, or the redirect that was refused
        page = self._fetched(response, kind=kind) if response is not None else None
        meta = request.meta
        url = (
            list_failure_url(self._list_endpoint(meta), meta["list_kind"], meta["list_id"], meta["start_time"])
            if kind == "list"
            else request.url
        )
        yield FetchFailure(
            url,
            meta.get("cont_id"),
            reason,
            f"{type(exc).__name__}: {exc}",
            kind=kind,
            page=page,
            unanswered=page is None and self._unanswered(request, exc),
        )

    def _list_endpoint(self, meta) -> str:
        return self.api_url + listapi.list_path(meta["list_kind"])

    def _unanswered(self, request, exc) -> bool:
        """The site or the API gave no answer at all (network error): the failure is held
        back until they answer again, and dropped if the run stops for an outage."""
        try:
            return host_port(request.url) in self.watched and not isinstance(exc, IgnoreRequest)
        except BadHostError:
            return False
