"""One page fetched once, politely, outside a crawl (``thepaper-archive clean URL``).

The same rules as the crawl's, from the same settings:

* the address guard (:func:`domain.hosts.refusal`, as :mod:`crawler.addresses` applies it):
  the host is resolved with ``THEPAPER_RESOLVE``, and when an address is loopback, private
  or otherwise not public, nothing is connected to, unless the host is the configured site
  or API (``THEPAPER_SITE_URL``/``THEPAPER_API_URL``, e.g. the loopback mock) or
  ``THEPAPER_ALLOW_PRIVATE`` is set. The connection is made to the address that was checked;
* robots.txt, when ``ROBOTSTXT_OBEY``: read once per host with ``ROBOTSTXT_PARSER`` (Scrapy's
  Protego parser), for ``ROBOTSTXT_USER_AGENT`` or ``USER_AGENT``; a robots.txt that cannot
  be had (4xx, 5xx) allows everything, as Scrapy's middleware does;
* ``USER_AGENT``, ``DOWNLOAD_TIMEOUT`` for each connection, ``DOWNLOAD_MAXSIZE`` for the body,
  at most ``REDIRECT_MAX_TIMES`` redirects (each hop guarded and checked against robots.txt);
* one request for the page: no retry, whatever the answer.

Each way it can fail is an exception of its own (:data:`crawler.cli.errors.expected_errors`
gives each its exit code).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from domain.hosts import BadHostError, host_port, ip_literal, refusal

if TYPE_CHECKING:
    from scrapy.robotstxt import RobotParser

_REDIRECTS = (301, 302, 303, 307, 308)
#: Content types the cleaning chain reads as a page.
HTML_TYPES = ("text/html", "application/xhtml+xml")


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


@dataclass
class Politeness:
    """What the settings say about fetching (see the module docstring)."""

    user_agent: str
    timeout: float
    max_size: int
    obey_robots: bool
    robots_agent: str
    robots_parser: type[RobotParser]
    resolve: Callable[[str, int], Iterable[str]]
    allowed: frozenset
    allow_private: bool
    max_redirects: int
    robots: dict  # (scheme, host, port) -> parser or None, read once per fetch

    @classmethod
    def from_settings(cls, s) -> Politeness:
        from scrapy.utils.misc import load_object

        from crawler.addresses import configured_endpoints, system_resolve

        return cls(
            user_agent=s.get("USER_AGENT"),
            timeout=s.getfloat("DOWNLOAD_TIMEOUT"),
            max_size=s.getint("DOWNLOAD_MAXSIZE"),
            obey_robots=s.getbool("ROBOTSTXT_OBEY"),
            robots_agent=s.get("ROBOTSTXT_USER_AGENT") or s.get("USER_AGENT"),
            robots_parser=load_object(s.get("ROBOTSTXT_PARSER")),
            resolve=load_object(s.get("THEPAPER_RESOLVE") or system_resolve),
            allowed=configured_endpoints(s),
            allow_private=s.getbool("THEPAPER_ALLOW_PRIVATE"),
            max_redirects=s.getint("REDIRECT_MAX_TIMES"),
            robots={},
        )


def _checked_addresses(url: str, polite: Politeness) -> tuple[str, int, list[str]]:
    """The host, port and addresses of ``url`` the guard lets us connect to (or an error)."""
    try:
        host, port = host_port(url)
    except BadHostError as exc:
        raise AddressNotAllowed(f"cannot fetch {url}: {exc}") from None
    if ip_literal(host) is not None:
        addresses = [host]
    else:
        try:
            addresses = list(polite.resolve(host, port))
        except OSError as exc:
            raise SiteUnreachable(f"cannot fetch {url}: {host} does not resolve ({exc.strerror or exc})") from None
    if not addresses:
        raise SiteUnreachable(f"cannot fetch {url}: {host} resolves to no address")
    why = refusal(host, port, addresses, allowed=polite.allowed, allow_private=polite.allow_private)
    if why:
        raise AddressNotAllowed(f"refused {url}: {why} (private or loopback addresses need --allow-private)")
    return host, port, addresses


def _connect(url: str, polite: Politeness) -> http.client.HTTPConnection:
    """A connection to the first checked address of ``url``'s host that answers."""
    parts = urlsplit(url)
    host, port, addresses = _checked_addresses(url, polite)
    sock, last = None, None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=polite.timeout)
            break
        except OSError as exc:
            last = exc
    if sock is None:
        why = "timed out" if isinstance(last, TimeoutError) else (getattr(last, "strerror", None) or str(last))
        raise SiteUnreachable(f"cannot fetch {url}: {host}:{port} does not answer ({why})")
    if parts.scheme == "https":
        try:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise SiteUnreachable(f"cannot fetch {url}: TLS with {host} failed ({exc})") from None
    conn = http.client.HTTPConnection(parts.hostname or host, port, timeout=polite.timeout)
    conn.sock = sock  # connected to the address that was checked, never resolved again
    return conn


def _get(url: str, polite: Politeness) -> Fetched:
    """One GET of ``url``, no redirect followed."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = _connect(url, polite)
    try:
        conn.request(
            "GET",
            target,
            headers={
                "Host": parts.netloc.rsplit("@", 1)[-1],  # as typed: http.client would add :443 to https hosts
                "User-Agent": polite.user_agent,
                "Accept": "text/html,*/*;q=0.8",
                "Accept-Encoding": "identity",
            },
        )
        answer = conn.getresponse()
        body = answer.read(polite.max_size + 1 if polite.max_size > 0 else None)
    except TimeoutError:
        raise SiteUnreachable(f"cannot fetch {url}: no answer within {polite.timeout:g} s (DOWNLOAD_TIMEOUT)") from None
    except (OSError, http.client.HTTPException) as exc:
        raise SiteUnreachable(f"cannot fetch {url}: the connection failed ({type(exc).__name__}: {exc})") from None
    finally:
        conn.close()
    if polite.max_size > 0 and len(body) > polite.max_size:
        raise NotHTML(f"{url} is larger than the {polite.max_size:,} bytes a page may have (DOWNLOAD_MAXSIZE)")
    headers: dict[str, str] = {}
    for name, value in answer.getheaders():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Fetched(url=url, status=answer.status, headers=headers, body=body)


def _allowed_by_robots(url: str, polite: Politeness) -> bool:
    parts = urlsplit(url)
    key = (parts.scheme, parts.netloc.lower())
    if key not in polite.robots:
        robots = _follow(f"{parts.scheme}://{parts.netloc}/robots.txt", polite, robots=False)
        ok = 200 <= robots.status < 300
        polite.robots[key] = polite.robots_parser.from_crawler(None, robots.body) if ok else None  # type: ignore[arg-type]  # no crawler here: the parsers read only the body
    parser = polite.robots[key]
    return parser is None or parser.allowed(url, polite.robots_agent)


def _follow(url: str, polite: Politeness, *, robots: bool) -> Fetched:
    """``url`` fetched, its redirects followed (each hop guarded, and checked against robots.txt)."""
    for _ in range(polite.max_redirects + 1):
        if robots and polite.obey_robots and not _allowed_by_robots(url, polite):
            raise RobotsDisallowed(f"robots.txt of {urlsplit(url).netloc} disallows {url}: not fetched")
        page = _get(url, polite)
        location = next((v for k, v in page.headers.items() if k.lower() == "location"), None)
        if page.status not in _REDIRECTS or not location:
            return page
        url = urljoin(url, location)
        if urlsplit(url).scheme not in ("http", "https"):
            raise PageMissing(f"{page.url} redirects to {url}, which is not an http(s) URL")
    raise PageMissing(f"cannot fetch {url}: more than {polite.max_redirects} redirects (REDIRECT_MAX_TIMES)")


def fetch_page(url: str, polite: Politeness) -> Fetched:
    """The HTML page at ``url``, fetched once (see the module docstring), or a :class:`FetchError`."""
    _checked_addresses(url, polite)  # a refused address is refused before robots.txt is asked
    page = _follow(url, polite, robots=True)
    if page.status >= 300:
        kind = SiteFailing if page.status >= 500 else PageMissing
        raise kind(f"{page.url} answered HTTP {page.status}: no page to clean")
    ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media and media not in HTML_TYPES:
        raise NotHTML(f"{page.url} is not an HTML page (Content-Type: {media})")
    return page
