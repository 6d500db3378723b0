"""Downloader middlewares: Scrapy's retry, plus exponential backoff between attempts.

Scrapy's ``RetryMiddleware`` re-schedules a failed request at once; against a
site that answers 429/403 when hammered, that makes things worse. The subclass
below only adds a delay to the retried request (``Retry-After`` wins when it is
longer), and :class:`BackoffDelayMiddleware` waits that long, without blocking
the reactor, before the request goes to the downloader.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware

logger = logging.getLogger(__name__)

BACKOFF_META = "thepaper_backoff_s"


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
        self.base = settings.getfloat("THEPAPER_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("THEPAPER_RETRY_BACKOFF_MAX", 120.0)

    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if result is not response and result is not None:
            retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
            self._set_delay(result, retry_after)
        return result

    def process_exception(self, request, exception, spider=None):
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
    """Waits ``request.meta[BACKOFF_META]`` seconds before letting a retry through."""

    async def process_request(self, request, spider=None):
        delay = request.meta.pop(BACKOFF_META, 0)
        if delay and delay > 0:
            logger.debug("backing off %.1fs before retrying %s", delay, request.url)
            await asyncio.sleep(delay)
        return None


class UnreachableGuardMiddleware:
    """Stops the run early when the site cannot be reached at all.

    Counts connection-level errors (DNS, refused, timeout, TLS) before the first
    response of the run; at THEPAPER_UNREACHABLE_AFTER of them the spider is
    closed with reason ``site_unreachable`` and the message names the host and
    the error, instead of retrying every request for minutes.
    """

    def __init__(self, crawler, threshold: int):
        self.crawler = crawler
        self.threshold = threshold
        self.errors = 0
        self.seen_response = False
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("THEPAPER_UNREACHABLE_AFTER", 3))

    def process_response(self, request, response, spider=None):
        self.seen_response = True
        return response

    def process_exception(self, request, exception, spider=None):
        if self.seen_response or self.closing or self.threshold <= 0:
            return None
        self.errors += 1
        if self.errors >= self.threshold:
            from urllib.parse import urlsplit

            host = urlsplit(request.url).netloc
            message = f"cannot reach {host}: {type(exception).__name__}: {exception}"
            self.closing = True
            self.crawler.stats.set_value("thepaper/fatal", message)
            logger.error("%s; stopping the run", message)
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(self.crawler.engine.close_spider_async(reason="site_unreachable"))
        return None
