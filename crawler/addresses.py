"""The address guard: a crawl connects only to public addresses, except the hosts the user configured.

One check (:func:`domain.hosts.refusal`), made at the depth where it cannot be spelled
around: on the addresses the connection is really made to.

* :class:`AddressGuardResolver` is the reactor's name resolver (Scrapy's
  ``TWISTED_DNS_RESOLVER``). Every connection Scrapy's HTTP client makes resolves its host
  here, IP literals included (Twisted's ``HostnameEndpoint`` hands every host to the
  resolver), and connects to exactly the addresses this returns: the host is normalised
  the way a WHATWG client reads it (``127.1``, ``0x7f000001``, full-width digits…), resolved
  with ``THEPAPER_RESOLVE`` (a setting naming a callable ``(host, port) -> [address, …]``,
  by default :func:`system_resolve`), and when any address is loopback, private,
  link-local or otherwise not public, none is returned, so nothing is connected to.
  The site's and the API's configured endpoints (``THEPAPER_SITE_URL``/``THEPAPER_API_URL``,
  e.g. the loopback mock) are allowed; ``THEPAPER_ALLOW_PRIVATE`` allows everything.
* :class:`AddressGuardMiddleware` (downloader) turns such a refused connection into an
  :class:`AddressRefused` error that reaches the request's errback (a ``private_address``
  failure), and checks redirect targets before they are followed, so that the redirect
  that pointed there is archived with the failure. Every hop of a redirect is a new
  connection, so the resolver checks it too.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.misc import load_object
from twisted.internet import defer, error
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from domain.hosts import BadHostError, host_port, ip_literal, normalise_host, refusal

logger = logging.getLogger(__name__)


class Refused(IgnoreRequest):
    """A request the crawl will not make; ``response`` is the redirect that asked for it, when
    there was one (the spider archives it with the failure)."""

    def __init__(self, message: str, response=None):
        super().__init__(message)
        self.response = response


class AddressRefused(Refused):
    """A connection the address guard refused (a ``private_address`` failure)."""


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives ``host`` (``getaddrinfo``), each once, in order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def configured_endpoints(settings) -> frozenset[tuple[str, int]]:
    """The (host, port) pairs the user configured for the site and the API."""
    out = set()
    for name in ("THEPAPER_SITE_URL", "THEPAPER_API_URL"):
        try:
            out.add(host_port(settings.get(name) or ""))
        except BadHostError:
            continue
    return frozenset(out)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:  # the lookup runs in a thread: it cannot be interrupted
        pass


@implementer(IHostnameResolver)
class AddressGuardResolver:
    """The reactor's name resolver with the address check (see the module docstring)."""

    def __init__(
        self,
        reactor,
        resolve,
        *,
        allowed: frozenset = frozenset(),
        allow_private: bool = False,
        cache_size: int = 10000,
    ):
        self.reactor = reactor
        self.resolve = resolve
        self.allowed = allowed
        self.allow_private = allow_private
        self.cache: LocalCache | None = LocalCache(cache_size) if cache_size else None
        self.refused: LocalCache = LocalCache(10000)  # (host, port) -> why

    @classmethod
    def from_crawler(cls, crawler, reactor):
        from crawler.config import layered

        s = layered(crawler.settings)  # built from the process's settings, which no add-on has seen
        return cls(
            reactor,
            load_object(s.get("THEPAPER_RESOLVE") or system_resolve),
            allowed=configured_endpoints(s),
            allow_private=s.getbool("THEPAPER_ALLOW_PRIVATE"),
            cache_size=s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0,
        )

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    # -- IHostnameResolver
    def resolveHostName(
        self, resolutionReceiver, hostName: str, portNumber: int = 0, addressTypes=None, transportSemantics: str = "TCP"
    ):
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(addresses):
            for address in addresses:
                kind = IPv6Address if ipaddress.ip_address(address).version == 6 else IPv4Address
                if not addressTypes or kind in addressTypes:
                    resolutionReceiver.addressResolved(kind("TCP", address, portNumber))

        d = self.checked(hostName, portNumber)
        d.addCallback(deliver)
        d.addErrback(lambda failure: logger.error("address guard: %s", failure.getTraceback()))
        d.addBoth(lambda _: resolutionReceiver.resolutionComplete())
        return resolution

    # -- the check
    def checked(self, host_text: str, port: int) -> defer.Deferred:
        """A Deferred list of the addresses ``host_text:port`` may be connected to: all it
        resolves to, or none when the guard refuses it (:meth:`refusal_for` says why)."""
        try:
            host = normalise_host(host_text)
        except BadHostError as exc:
            logger.debug("%s", exc)
            return defer.succeed([])
        if ip_literal(host) is not None:
            d = defer.succeed([host])
        elif self.cache is not None and host in self.cache:
            d = defer.succeed(self.cache[host])
        else:
            d = deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.resolve, host, port)
            d.addCallbacks(self._remember, self._lookup_failed, callbackArgs=(host,), errbackArgs=(host,))
        return d.addCallback(self._check, host, port)

    @staticmethod
    def _lookup_failed(failure, host: str) -> list[str]:
        logger.debug("lookup of %s failed: %s", host, failure.value)
        return []  # the connection fails as a DNS error

    def _remember(self, addresses: list[str], host: str) -> list[str]:
        if self.cache is not None and addresses:
            self.cache[host] = list(addresses)
        return addresses

    def _check(self, addresses: list[str], host: str, port: int) -> list[str]:
        why = refusal(host, port, list(addresses), allowed=self.allowed, allow_private=self.allow_private)
        if why is None:
            self.refused.pop((host, port), None)
            return list(addresses)
        self.refused[(host, port)] = why
        logger.debug("address guard: refused %s:%s (%s)", host, port, why)
        return []

    def refusal_for(self, url: str) -> str | None:
        """Why the last connection to ``url``'s host and port was refused, or None."""
        try:
            return self.refused.get(host_port(url))
        except BadHostError:
            return None

    async def refusal_of(self, url: str) -> str | None:
        """Check ``url``'s host now (resolving it if needed); why it would be refused, or None."""
        from scrapy.utils.defer import maybe_deferred_to_future

        try:
            host, port = host_port(url)
        except BadHostError:
            return None  # the connection fails on its own
        await maybe_deferred_to_future(self.checked(host, port))
        return self.refused.get((host, port))


def installed_guard(crawler) -> AddressGuardResolver:
    """The reactor's address guard; installed now if the crawl was started without it
    (e.g. by a ``CrawlerRunner`` that does not install ``TWISTED_DNS_RESOLVER``)."""
    from twisted.internet import reactor

    guard = reactor.nameResolver
    if not isinstance(guard, AddressGuardResolver):
        guard = AddressGuardResolver.from_crawler(crawler, reactor)
        guard.install_on_reactor()
    return guard


_REDIRECTS = (301, 302, 303, 307, 308)


class AddressGuardMiddleware:
    """Refused connections become :class:`AddressRefused` (no retries: the answer would not
    change); redirect targets are checked before they are followed (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def guard(self) -> AddressGuardResolver:
        # Looked up each time: CrawlerProcess installs TWISTED_DNS_RESOLVER only when it starts
        # the reactor, after the middlewares are built.
        return installed_guard(self.crawler)

    def process_request(self, request, spider=None):
        self.guard  # noqa: B018 (installed before the first connection, whoever started the crawl)
        return None

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, (CannotResolveHostError, error.DNSLookupError)):
            why = self.guard.refusal_for(request.url)
            if why:
                self._refuse(request, why)
        return None

    def process_response(self, request, response, spider=None):
        meta = request.meta
        if (
            response.status not in _REDIRECTS
            or b"Location" not in response.headers
            or meta.get("dont_redirect")
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
        ):
            return response  # not a redirect Scrapy's RedirectMiddleware will follow
        return self._check_redirect(request, response)

    async def _check_redirect(self, request, response):
        from urllib.parse import urljoin

        target = urljoin(request.url, response.headers[b"Location"].decode("latin-1"))
        if not target.lower().startswith(("http://", "https://")):
            return response  # not followed (Scrapy's RedirectMiddleware keeps it as the answer)
        why = await self.guard.refusal_of(target)
        if why:
            self._refuse(request, f"redirect to {target}: {why}", response.replace(request=request))
        return response

    def _refuse(self, request, why: str, response=None):
        self.crawler.stats.inc_value("thepaper/address_refused")
        raise AddressRefused(
            f"refused to connect for {request.url}: {why} (private or loopback addresses need --allow-private)",
            response,
        )
