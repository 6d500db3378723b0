"""Downloader middlewares (and one spider middleware) that keep a crawl polite and honest.

* Retries with exponential backoff: Scrapy's ``RetryMiddleware`` re-schedules a failed request
  at once; against a site that answers 429/403 when hammered, that makes things worse. The
  subclass below only adds a delay to the retried request (``Retry-After`` wins when it is
  longer), and :class:`BackoffDelayMiddleware` waits that long, without blocking the reactor,
  before the request goes to the downloader.
* :class:`UnreachableGuardMiddleware`: the site unreachable from the start, or gone in the
  middle of a run (:mod:`crawler.outage`), stops the run (exit code 3).
* :class:`CircuitBreakerMiddleware`: blocks slow the crawl down, then stop it (exit code 5).
* :class:`OffsiteRedirectMiddleware`: redirects to other hosts become recorded failures.
* :class:`StopOnUnwritableArchive` (spider middleware): the archive found unwritable in a
  callback stops the run (exit code 6).

Every early stop goes through :func:`crawler.run_stop.stop_run`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

# Imported with the module, not in each method: an import statement run per request and per
# response costs more than the method's own work (crawler.run_stop loads nothing new by then: the
# spider loader has imported the spiders, and with them the archive's modules).
from crawler.addresses import Refused
from crawler.run_stop import RunStopped, stop_run, stop_unwritable, stopping
from domain.hosts import BadHostError, host_port
from pipelines.run_state import run_state

logger = logging.getLogger(__name__)

BACKOFF_META = "thepaper_backoff_s"
SENT_META = "thepaper_sent_at"  # when the request went to the downloader (time.monotonic)


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): base * 2**(attempt-1), capped."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, max(cap, delay))
    return max(0.0, delay)


def parse_retry_after(value: bytes | str | None) -> float | None:
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None  # HTTP-date form: ignore, the exponential delay applies


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("THEPAPER_RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("THEPAPER_RETRY_BACKOFF_MAX")

    def process_response(self, request, response, spider=None):
        if stopping(self.crawler):  # the run is ending: nothing more is asked of the site
            return response
        result = super().process_response(request, response)
        if result is not response and result is not None:
            retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
            self._set_delay(result, retry_after)
        return result

    def process_exception(self, request, exception, spider=None):
        if stopping(self.crawler):
            return None
        result = super().process_exception(request, exception)
        if result is not None:
            self._set_delay(result, None)
        return result

    def _set_delay(self, request, retry_after):
        attempt = int(request.meta.get("retry_times", 1))
        request.meta[BACKOFF_META] = backoff_delay(attempt, self.base, self.cap, retry_after)
        if self.crawler.stats:
            self.crawler.stats.inc_value("thepaper/retry_backoff_s", request.meta[BACKOFF_META])


class BackoffDelayMiddleware:
    """Waits ``request.meta[BACKOFF_META]`` seconds before letting a retry through; a retry
    that wakes up in a run that is stopping is dropped unfetched (as the queued requests are)."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        delay = request.meta.pop(BACKOFF_META, 0)
        if delay and delay > 0:
            logger.debug("backing off %.1fs before retrying %s", delay, request.url)
            await asyncio.sleep(delay)
            if self.crawler is not None and stopping(self.crawler):
                raise RunStopped(run_state(self.crawler).fatal or "the run is stopping")
        return None


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says no connection could be made at all (DNS, refused, no route), as
    opposed to a server that accepted and then failed (timeouts, resets, cut bodies)."""
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
    from twisted.internet import error

    if isinstance(exc, (CannotResolveHostError, DownloadConnectionRefusedError, error.DNSLookupError)):
        return True
    # twisted's TimeoutError is a ConnectError, and it is raised for slow downloads too
    return isinstance(exc, error.ConnectError) and not isinstance(exc, error.TimeoutError)


class UnreachableGuardMiddleware:
    """Stops the run when the site cannot be reached, at the start or in the middle of a run.

    Watches the site's and the API's endpoints (``THEPAPER_SITE_URL``, ``THEPAPER_API_URL``)
    with one :class:`crawler.outage.HostWatch` each: THEPAPER_UNREACHABLE_AFTER failed
    requests before the host ever answered, or, once it has, THEPAPER_OUTAGE_AFTER
    connection failures without an answer, or a window of recent requests most of which
    failed (THEPAPER_OUTAGE_WINDOW requests of the last THEPAPER_OUTAGE_WINDOW_S seconds, at
    least THEPAPER_OUTAGE_MIN_FAILURES failed and THEPAPER_OUTAGE_SHARE of them), close the
    spider with reason ``site_unreachable`` (exit code 3) and a message naming the host and
    the error, instead of retrying every remaining article for hours.
    Requests still queued are dropped unfetched, not recorded as failures (the item
    pipelines hold back the no-answer failures of the streak, see
    :class:`pipelines.persist.PersistStage`); the next run fetches them. Other hosts
    (mirrors) never stop the run.
    """

    def __init__(self, crawler):
        from crawler.addresses import configured_endpoints
        from crawler.outage import HostWatch

        self.crawler = crawler
        s = crawler.settings
        self.watches = {
            endpoint: HostWatch(
                start_after=s.getint("THEPAPER_UNREACHABLE_AFTER"),
                outage_after=s.getint("THEPAPER_OUTAGE_AFTER"),
                window=s.getint("THEPAPER_OUTAGE_WINDOW"),
                window_s=s.getfloat("THEPAPER_OUTAGE_WINDOW_S"),
                share=s.getfloat("THEPAPER_OUTAGE_SHARE"),
                min_failures=s.getint("THEPAPER_OUTAGE_MIN_FAILURES"),
            )
            for endpoint in configured_endpoints(s)
        }

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _watch(self, request):
        try:
            parts = urlparse_cached(request)  # Scrapy's parse of the request's URL, made once per request
        except ValueError:
            return None, None
        endpoint = _endpoint(parts.scheme, parts.netloc)
        return endpoint, (self.watches.get(endpoint) if endpoint is not None else None)

    @staticmethod
    def _key(request) -> tuple:
        """The same request, retried or asked again, has the same key: its method, URL and body
        (the list API's pages share one URL). Scrapy's request fingerprint would say the same of
        the crawl's requests, but canonicalises and hashes the URL on every response (~25 µs)."""
        return (request.method, request.url, request.body)

    def process_request(self, request, spider=None):
        """Once the run is stopping, nothing more goes to the downloader (requests held back
        until then, by robots.txt or a backoff, are dropped unfetched as the queued ones are)."""
        why = stopping(self.crawler)
        if why is not None and why != "blocked":  # the breaker's stop fails them as blocked itself
            raise RunStopped(run_state(self.crawler).fatal or why)
        request.meta[SENT_META] = time.monotonic()
        return None

    def process_response(self, request, response, spider=None):
        _, watch = self._watch(request)
        if watch is not None:
            watch.response(self._key(request), time.monotonic())
        return response

    def process_exception(self, request, exception, spider=None):
        endpoint, watch = self._watch(request)
        if watch is None or isinstance(exception, IgnoreRequest) or stopping(self.crawler):
            return None
        now = time.monotonic()
        # a retry, or a failure of an earlier run tried again, is not news of the host
        first = (
            not request.meta.get("retry_times")
            and not request.meta.get("failure_retry")
            and not request.meta.get("list_attempt")
        )
        verdict = watch.failure(
            now,
            connection=is_connection_failure(exception),
            key=self._key(request),
            first_attempt=first,
            sent=request.meta.get(SENT_META),
        )
        if verdict is not None:
            host = "%s:%s" % endpoint
            error = f"{type(exception).__name__}: {exception}"
            message = (
                f"cannot reach {host}: {error}"
                if verdict == "unreachable"
                else f"lost contact with {host}: {watch.describe(now)}, last {error}; "
                "stopping the run (the next run resumes)"
            )
            stop_run(self.crawler, "site_unreachable", message)
        return None


@functools.lru_cache(maxsize=1024)
def _endpoint(scheme: str, netloc: str) -> tuple[str, int] | None:
    """The normalised (host, port) a URL with this scheme and authority connects to
    (:func:`domain.hosts.host_port`), once per host rather than once per response; None for a
    host no client would connect to."""
    try:
        return host_port(f"{scheme}://{netloc}")
    except BadHostError:
        return None


def is_block(status: int, body: bytes = b"") -> bool:
    """A response that says "you are crawling too fast": 429, or the WAF's 403 page."""
    if status == 429:
        return True
    return status == 403 and (b"WAF" in body[:4096] or not body)


class CircuitBreakerMiddleware:
    """Slows the whole crawl down when the site starts blocking it, then gives up.

    Watches the last THEPAPER_BREAKER_WINDOW responses. When at least
    THEPAPER_BREAKER_MIN_EVENTS of them are blocks (429, WAF 403) and they are
    THEPAPER_BREAKER_THRESHOLD or more of the window, the breaker trips: the
    engine is paused for a cool-down (doubling at each trip, from
    THEPAPER_BREAKER_COOLDOWN_S) and the download delay is doubled (at least
    THEPAPER_BREAKER_MIN_DELAY_S). After
    THEPAPER_BREAKER_MAX_TRIPS trips the run is closed with reason ``blocked``
    (exit code 5) and a message saying so, instead of hammering on.
    """

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.window = s.getint("THEPAPER_BREAKER_WINDOW")
        self.min_events = s.getint("THEPAPER_BREAKER_MIN_EVENTS")
        self.threshold = s.getfloat("THEPAPER_BREAKER_THRESHOLD")
        self.cooldown = s.getfloat("THEPAPER_BREAKER_COOLDOWN_S")
        self.max_trips = s.getint("THEPAPER_BREAKER_MAX_TRIPS")
        self.max_delay = s.getfloat("AUTOTHROTTLE_MAX_DELAY")
        self.min_delay = s.getfloat("THEPAPER_BREAKER_MIN_DELAY_S")
        self.recent: list[bool] = []
        self.trips = 0
        self.paused = False
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        blocked = is_block(response.status, response.body)
        self.recent.append(blocked)
        if len(self.recent) > self.window:
            del self.recent[0]
        if blocked:
            self.crawler.stats.inc_value("thepaper/blocked_responses")
            n = sum(self.recent)
            if not self.paused and not self.closing and n >= self.min_events and n / len(self.recent) >= self.threshold:
                self._trip(request)
        return response

    def _trip(self, request):
        from urllib.parse import urlsplit

        from twisted.internet import reactor

        self.trips += 1
        self.recent.clear()
        self.crawler.stats.set_value("thepaper/breaker_trips", self.trips)
        host = urlsplit(request.url).netloc
        if self.trips > self.max_trips:
            self.closing = True
            message = (
                f"{host} keeps blocking the crawler (429/WAF 403) after {self.max_trips} cool-downs; "
                "stopping the run — try again later or lower the request rate"
            )
            # The requests still queued fail as "blocked" (recorded, retried by a later run).
            stop_run(self.crawler, "blocked", message, IgnoreRequest(f"blocked: {host} is blocking the crawler"))
            return
        pause = self.cooldown * 2 ** (self.trips - 1)
        for slot in self.crawler.engine.downloader.slots.values():
            slot.delay = min(self.max_delay, max(slot.delay * 2, self.min_delay))
        logger.warning(
            "%s is blocking the crawler: pausing %.0fs (cool-down %d of %d), then slower",
            host,
            pause,
            self.trips,
            self.max_trips,
        )
        self.paused = True
        self.crawler.engine.pause()
        reactor.callLater(pause, self._resume)

    def _resume(self):
        self.paused = False
        if not self.closing:
            self.crawler.engine.unpause()


class OffsiteRedirect(Refused):
    """A redirect to a host the spider does not crawl; ``response`` is the redirect."""


class OffsiteRedirectMiddleware:
    """Refuses redirects that leave the spider's hosts (``allowed_domains``).

    Sits before Scrapy's RedirectMiddleware on the way back from the downloader:
    a 3xx whose ``Location`` points elsewhere becomes an :class:`OffsiteRedirect` that
    reaches the request's errback with the redirect response, so the article is recorded
    as a failure (``offsite_redirect``) and the response archived with it, instead of
    being silently dropped. Hosts are compared normalised (``domain.hosts``).
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in (301, 302, 303, 307, 308) or b"Location" not in response.headers:
            return response
        from urllib.parse import urljoin

        target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
        try:
            host = host_port(target)[0]
        except BadHostError:
            host = ""
        allowed = set(getattr(self.crawler.spider, "allowed_domains", None) or [])
        if allowed and host not in allowed and not any(host.endswith("." + d) for d in allowed):
            self.crawler.stats.inc_value("thepaper/offsite_redirects")
            raise OffsiteRedirect(f"offsite redirect from {request.url} to {target}", response.replace(request=request))
        return response


class StopOnUnwritableArchive:
    """Spider middleware: a callback that finds the archive unwritable (the spider reads it to
    plan what to fetch) stops the run as a failed commit does (exit code 6), instead of a
    traceback per list page."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_exception(self, response, exception, spider=None):
        from storage.unwritable import ArchiveUnwritable

        if isinstance(exception, ArchiveUnwritable):
            stop_unwritable(self.crawler, exception)
            return []
        return None
