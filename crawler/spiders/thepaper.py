"""The ``thepaper`` spider: walk channel/column lists through the JSON API, fetch every article.

The spider only navigates. Each response (list pages too) goes to the item
pipelines raw, as a :class:`domain.items.FetchedPage`; archiving, decoding,
extraction, cleaning and storage happen there. The list walk is :mod:`.lists`' mixin.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
import scrapy
from scrapy.exceptions import (
    IgnoreRequest,
)

from crawler import incremental, listapi
from crawler.addresses import configured_endpoints
from crawler.config import layered
from domain.hosts import BadHostError, host_port, normalise_url
from domain.items import FetchedPage, FetchFailure, ListedRecord
from domain.urls import canonical_url
from pipelines.run_state import run_state
from storage.failures import due_failures, list_failure_url

from crawler.spiders.lists import ListWalking
from crawler.spiders.responses import _headers_dict, _request_dict, failure_reason  # noqa: F401 - failure_reason: importable from here

logger = logging.getLogger(__name__)


class ThepaperSpider(ListWalking, scrapy.Spider):
    name = "thepaper"
    # Set by from_crawler, from the settings:
    site_url: str
    api_url: str
    api_headers: dict[str, str]
    channels: list[str]
    nodes: list[str]
    page_size: int
    max_articles: int
    max_list_pages: int
    watched: frozenset[tuple[str, int]]  # the configured (host, port) pairs
    full: bool
    since_ms: int | None
    overlap_s: float
    refetch: bool
    retry_failures: bool
    walks: dict[tuple[str, str], incremental.ListWalk]

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

    def _due_failure_requests(self):
        """Articles that failed before and whose retry time has come (see the failures table)."""
        if not self.retry_failures:
            return
        with self.store.Session() as session:
            due = [f.cont_id for f in due_failures(session, datetime.now(timezone.utc)) if f.cont_id is not None]
        for cont_id in due:  # fetched from the configured site, whatever URL failed before
            self.crawler.stats.inc_value("thepaper/failures_retried")
            yield from self._follow_item({"contId": str(cont_id)}, None, failure_retry=True)

    def _follow_item(
        self, item: dict, channel_id: int | None, *, failure_retry: bool = False, list_page: str | None = None
    ):
        cont_id = listapi.item_cont_id(item)
        if cont_id is None or cont_id in self.scheduled:
            return
        if self.max_articles and len(self.scheduled) >= self.max_articles:
            return
        self.scheduled.add(cont_id)
        if listapi.item_external_link(item):
            from cleaning.listitem import record_from_list_item  # here: not run for every article

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
            from cleaning.listitem import gone_from_list_item

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
