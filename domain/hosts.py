"""Host names and addresses as the HTTP client reads them, and which addresses a crawl may reach.

Pure functions. :func:`normalise_host` parses a URL's host the way the WHATWG URL standard
does for http(s) (and so browsers and Scrapy's client): percent-decoding, the ideographic
and full-width full stops as label separators, Unicode compatibility forms (full-width
digits and letters, NFKC), IDNA, then the numeric IPv4 forms (``127.1``, ``2130706433``,
``0x7f000001``, ``0177.0.0.1``, ``0``) to dotted quads. IDNA is Python's codec (IDNA 2003),
as Scrapy's w3lib encodes it: for the four deviation characters (ß, ς, ZWJ, ZWNJ) this is
the transitional mapping the connection really uses, not UTS 46's non-transitional one.

:func:`address_kind` says why an address is not public (loopback, private, link-local, ...);
:func:`refusal` is the one rule the import command and the downloader's address guard
(``crawler.addresses``) apply to the addresses a host resolves to.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, unquote_to_bytes, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Label separators of IDNA and the WHATWG host parser: full stop, ideographic full stop,
#: full-width full stop, half-width ideographic full stop.
_DOTS = re.compile("[\u3002\uff0e\uff61]")
#: Code points a host may not contain once ASCII (WHATWG "forbidden domain code point").
_FORBIDDEN = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_LOCALHOST = re.compile(r"(?:^|\.)localhost$")


class BadHostError(ValueError):
    """A host that no HTTP client would connect to (the message says why)."""


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric IPv4 host: decimal, ``0x`` hex or ``0``-prefixed octal; None if not."""
    radix = 10
    if part[:2].lower() == "0x":
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if part == "":
        return 0
    digits = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[radix]
    if any(c not in digits for c in part):
        return None
    return int(part, radix)


def _ends_in_a_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return last != "" and (last.isascii() and last.isdigit() or _ipv4_number(last) is not None)


def _parse_ipv4(host: str) -> ipaddress.IPv4Address:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    parsed = [_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or None in parsed:
        raise BadHostError(f"not an IPv4 address: {host!r}")
    numbers = [n for n in parsed if n is not None]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise BadHostError(f"IPv4 address out of range: {host!r}")
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _to_ascii(domain: str) -> str:
    domain = _DOTS.sub(".", unicodedata.normalize("NFKC", domain))
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise BadHostError(f"not a valid international host name: {domain!r} ({exc})") from None
    return domain.lower()


@functools.lru_cache(maxsize=4096)
def normalise_host(host: str) -> str:
    """The host an HTTP client connects to for ``host`` (as in a URL's authority, brackets
    allowed for IPv6): lower-case ASCII, IPv4 as a dotted quad, IPv6 compressed.
    Raises :class:`BadHostError` for hosts the WHATWG parser refuses."""
    if host.startswith("["):
        if not host.endswith("]"):
            raise BadHostError(f"unclosed IPv6 address: {host!r}")
        try:
            return str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            raise BadHostError(f"not an IPv6 address: {host!r}") from None
    if ":" in host:  # an IPv6 literal without its brackets (urlsplit().hostname strips them)
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise BadHostError(f"not a host: {host!r}") from None
    domain = unquote_to_bytes(host).decode("utf-8", "replace")
    ascii_domain = _to_ascii(domain)
    if not ascii_domain or _FORBIDDEN.search(ascii_domain):
        raise BadHostError(f"not a host: {host!r}")
    if _ends_in_a_number(ascii_domain):
        return str(_parse_ipv4(ascii_domain))
    return ascii_domain


def _split(url: str) -> tuple[SplitResult, str, str, str]:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. a netloc that NFKC turns into another URL's delimiters
        raise BadHostError(f"not a URL: {url!r} ({exc})") from None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("[") and "]" in hostport:
        host = hostport[: hostport.index("]") + 1]
    else:
        host = re.sub(r":\d*$", "", hostport)
    port = hostport[len(host) :]
    if port[1:].isdigit() and int(port[1:]) > 65535:
        raise BadHostError(f"port {port[1:]} out of range 0-65535 in {url!r}")
    return parts, userinfo, host, port


def host_port(url: str) -> tuple[str, int]:
    """The normalised host and the port (the scheme's default when none) ``url`` connects to."""
    parts, _, host, port = _split(url)
    if not host:
        raise BadHostError(f"no host in {url!r}")
    return normalise_host(host), int(port[1:]) if port[1:] else (443 if parts.scheme.lower() == "https" else 80)


def normalise_url(url: str) -> str:
    """``url`` with its host normalised (:func:`normalise_host`); everything else unchanged."""
    parts, userinfo, host, port = _split(url)
    name = normalise_host(host)
    netloc = (userinfo + "@" if userinfo else "") + (f"[{name}]" if ":" in name else name) + port
    return str(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))


def ip_literal(host: str) -> IPAddress | None:
    """The address a normalised host names literally, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_kind(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public Internet address (``loopback``, ``private``,
    ``link-local``, ...), or None when it is public. IPv4 addresses embedded in IPv6
    (mapped ``::ffff:a.b.c.d``, 6to4) are judged as the IPv4 address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_kind(embedded)
    for kind, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return kind
    return None if ip.is_global else "non-public"


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def is_localhost_name(host: str) -> bool:
    """``localhost`` and its subdomains, which name this machine whatever DNS says (RFC 6761)."""
    return bool(_LOCALHOST.search(host.rstrip(".")))


def literal_refusal(host: str) -> str | None:
    """Why a normalised host, read literally, names a non-public address (None otherwise:
    a public address, or a name, which only resolving can judge)."""
    if is_localhost_name(host):
        return f"{host} is a loopback name"
    ip = ip_literal(host)
    kind = address_kind(ip) if ip is not None else None
    return f"{host} is {_a(kind)} address" if kind else None


def refusal(
    host: str,
    port: int,
    addresses: list[str],
    *,
    allowed: frozenset[tuple[str, int]] = frozenset(),
    allow_private: bool = False,
) -> str | None:
    """Why a connection to ``host:port`` at ``addresses`` (what it resolved to) must not be
    made, or None. Endpoints in ``allowed`` (configured by the user) and, with
    ``allow_private``, every address may be reached; otherwise every address must be public."""
    if allow_private or (host, port) in allowed:
        return None
    if not addresses:
        return None  # nothing to connect to: the lookup failure speaks for itself
    for address in addresses:
        kind = address_kind(address)
        if kind:
            return (
                f"{host} is {_a(kind)} address"
                if host == address
                else f"{host} resolves to {address}, {_a(kind)} address"
            )
    return None
