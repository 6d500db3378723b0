"""One page fetched once, politely, outside a crawl (``thepaper-archive clean URL``).

The page is fetched by Scrapy's engine in this process, with the project's settings and the
crawl's own downloader middlewares, so that the same rules apply as in a crawl and none is
written twice:

* the address guard (:mod:`crawler.addresses`: the resolver checks every address before a
  connection, redirects included; loopback and private addresses only for the configured
  site or API, or with ``THEPAPER_ALLOW_PRIVATE``);
* robots.txt when ``ROBOTSTXT_OBEY`` (Scrapy's ``RobotsTxtMiddleware`` with
  ``ROBOTSTXT_PARSER``, for every hop of a redirect; a robots.txt that cannot be had allows);
* ``USER_AGENT``, ``DOWNLOAD_TIMEOUT``, ``DOWNLOAD_MAXSIZE``, ``REDIRECT_MAX_TIMES`` (Scrapy's);
* one request for the page: no retry, whatever the answer (:data:`ONE_PAGE_SETTINGS`).

Nothing is stored: no item pipeline and none of the project's extensions run. Each way it can
fail is an exception of its own (:data:`crawler.cli.errors.expected_errors` gives each its exit
code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from domain.hosts import BadHostError, host_port

if TYPE_CHECKING:
    from scrapy.settings import Settings

#: Content types the cleaning chain reads as a page.
HTML_TYPES = ("text/html", "application/xhtml+xml")

#: What a one-page fetch changes in the project's settings: no item pipeline and none of the
#: project's extensions (nothing is stored, no run is recorded); no retry, no back-off, no
#: circuit breaker and no outage watch (one request, whatever the answer); every HTTP status
#: reaches the spider, which says what it means.
ONE_PAGE_SETTINGS: dict[str, Any] = {
    "ITEM_PIPELINES": {},
    "EXTENSIONS": {},
    "RETRY_ENABLED": False,
    "HTTPERROR_ALLOW_ALL": True,
    "TELNETCONSOLE_ENABLED": False,
    "THEPAPER_PROGRESS_INTERVAL": 0,
}
#: The crawl's downloader middlewares a one-page fetch leaves out (see :data:`ONE_PAGE_SETTINGS`).
LEFT_OUT_MIDDLEWARES = (
    "crawler.middlewares.BackoffRetryMiddleware",
    "crawler.middlewares.BackoffDelayMiddleware",
    "crawler.middlewares.CircuitBreakerMiddleware",
    "crawler.middlewares.UnreachableGuardMiddleware",
)
#: Scrapy's log level for the fetch unless the settings name one: its own errors (a robots.txt
#: that cannot be had, a page over ``DOWNLOAD_MAXSIZE``) become the command's one line instead.
QUIET_LOG_LEVEL = "CRITICAL"


class FetchError(Exception):
    """The page could not be had; the message is the one line a user sees."""


class AddressNotAllowed(FetchError):
    """The address guard refused the host (exit code 2, as ``import`` refuses it)."""


class RobotsDisallowed(FetchError):
    """robots.txt disallows the URL (exit code 5: the site does not let the crawler in)."""


class NotHTML(FetchError):
    """The answer is not an HTML page (exit code 2)."""


class PageMissing(FetchError):
    """An HTTP 4xx answer (exit code 2: the URL names no page the site gives)."""


class SiteFailing(FetchError):
    """An HTTP 5xx answer (exit code 3: the site does not answer as it should)."""


class SiteUnreachable(FetchError):
    """No answer: the name does not resolve, the connection is refused or times out (exit code 3)."""


@dataclass
class Fetched:
    url: str  # where the page was in the end (after redirects)
    status: int
    headers: dict[str, str]
    body: bytes


def one_page_settings(settings: Settings) -> Settings:
    """A copy of the project's ``settings`` for one fetch (:data:`ONE_PAGE_SETTINGS`)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    s = settings.copy()
    for name, value in ONE_PAGE_SETTINGS.items():
        s.set(name, value, priority="cmdline")
    middlewares = dict(s.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares.update(dict.fromkeys(LEFT_OUT_MIDDLEWARES))
    s.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    if (s.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["project"]:
        s.set("LOG_LEVEL", QUIET_LOG_LEVEL, priority="project")
    return s


def fetch_page(url: str, settings: Settings) -> Fetched:
    """The HTML page at ``url``, fetched once (see the module docstring), or a :class:`FetchError`.
    SIGINT or SIGTERM during the fetch stops it (Scrapy's shutdown) and is raised again once
    the handlers the process had before are back, for them to say what it means."""
    import signal

    from scrapy.crawler import CrawlerProcess

    try:
        host_port(url)
    except BadHostError as exc:
        raise AddressNotAllowed(f"cannot fetch {url}: {exc}") from None
    outcome: dict[str, Any] = {}

    class Process(CrawlerProcess):
        def _signal_shutdown(self, signum, frame):
            outcome.setdefault("signal", signum)
            super()._signal_shutdown(signum, frame)

    s = one_page_settings(settings)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    process = Process(s)
    crawler = process.create_crawler(_one_page_spider())
    process.crawl(crawler, url=url, outcome=outcome)
    try:
        process.start()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if "signal" in outcome:
        signal.raise_signal(outcome["signal"])
    if "response" in outcome:
        return _page_of(outcome["response"])
    failure = outcome.get("failure")
    if crawler.stats and crawler.stats.get_value("robotstxt/forbidden"):
        raise RobotsDisallowed(f"robots.txt of {urlsplit(url).netloc} disallows {url}: not fetched")
    if failure is None:  # the engine stopped before the request had an outcome
        raise SiteUnreachable(f"cannot fetch {url}: no answer")
    raise _error_of(failure.value, failure.request.url if hasattr(failure, "request") else url, s)


def _one_page_spider():
    import scrapy

    class OnePage(scrapy.Spider):
        """Requests ``url`` once and keeps what came of it in ``outcome``."""

        name = "one_page"

        def __init__(self, url: str, outcome: dict, **kwargs):
            super().__init__(**kwargs)
            self.url, self.outcome = url, outcome

        async def start(self):
            yield scrapy.Request(
                self.url, callback=self.answered, errback=self.failed, dont_filter=True, meta={"dont_retry": True}
            )

        def answered(self, response):
            self.outcome["response"] = response

        def failed(self, failure):
            self.outcome["failure"] = failure

    return OnePage


def _page_of(response) -> Fetched:
    headers = {
        k.decode("latin-1"): ", ".join(v.decode("latin-1") for v in values) for k, values in response.headers.items()
    }
    page = Fetched(url=response.url, status=response.status, headers=headers, body=response.body)
    if 300 <= page.status < 400:
        location = headers.get("Location", "")
        raise PageMissing(f"{page.url} redirects to {location!r}, which is not an http(s) URL: no page to clean")
    if page.status >= 300:
        kind = SiteFailing if page.status >= 500 else PageMissing
        raise kind(f"{page.url} answered HTTP {page.status}: no page to clean")
    media = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if media and media not in HTML_TYPES:
        raise NotHTML(f"{page.url} is not an HTML page (Content-Type: {media})")
    return page


def _error_of(exc: BaseException, url: str, settings: Settings) -> FetchError:
    """The :class:`FetchError` a download failure of ``url`` means."""
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadTimeoutError,
        IgnoreRequest,
    )
    from twisted.internet import defer, error

    from crawler.addresses import AddressRefused

    host, port = host_port(url)
    if isinstance(exc, AddressRefused):
        return AddressNotAllowed(str(exc))
    if isinstance(exc, IgnoreRequest) and "redirection" in str(exc):
        return PageMissing(f"cannot fetch {url}: more than {settings.getint('REDIRECT_MAX_TIMES')} redirects")
    if isinstance(exc, (CannotResolveHostError, error.DNSLookupError)):
        return SiteUnreachable(f"cannot fetch {url}: {host} does not resolve")
    if isinstance(exc, (DownloadTimeoutError, error.TimeoutError, error.TCPTimedOutError, TimeoutError)):
        timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        return SiteUnreachable(f"cannot fetch {url}: no answer within {timeout:g} s (DOWNLOAD_TIMEOUT)")
    if isinstance(exc, (DownloadConnectionRefusedError, error.ConnectionRefusedError)):
        return SiteUnreachable(f"cannot fetch {url}: {host}:{port} does not answer (Connection refused)")
    if isinstance(exc, (DownloadCancelledError, defer.CancelledError)):
        limit = settings.getint("DOWNLOAD_MAXSIZE")
        return NotHTML(f"{url} is larger than the {limit:,} bytes a page may have (DOWNLOAD_MAXSIZE)")
    return SiteUnreachable(f"cannot fetch {url}: the connection failed ({type(exc).__name__}: {exc})")
