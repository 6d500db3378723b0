"""Article URL forms of thepaper.cn and its mirrors: recognise, normalise, classify.

Pure functions; every other module keys articles on the ``cont_id`` these return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.hosts import BadHostError, host_port, normalise_url

CANONICAL_TEMPLATE = "https://www.thepaper.cn/newsDetail_forward_{}"

# Hosts that belong to the site itself.
SITE_HOSTS = frozenset({"thepaper.cn", "www.thepaper.cn", "m.thepaper.cn"})

# Paths that carry the article id, on the site and (same path) on mirrors.
_PATH_PATTERNS = (
    re.compile(r"^/newsDetail_forward_(\d{1,10})(?:[/_.]|$)"),
    re.compile(r"^/detail/(\d{1,10})/?$"),
    re.compile(r"^/baijiahao_(\d{1,10})/?$"),
)
_BARE_ID = re.compile(r"^\s*(\d{1,10})\s*$")
#: The site's own article URL as the crawl fetches it: its reference is known without parsing
#: it (the most common value by far: every page a crawl cleans).
_CANONICAL = re.compile(r"https://www\.thepaper\.cn/newsDetail_forward_([1-9][0-9]{0,9})")
# A scheme is letters before ':' not followed by a port number ("host:8080/..." has none).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")


class BadURLError(ValueError):
    """A URL or id that names no thepaper.cn article; the message says why."""


@dataclass(frozen=True)
class ArticleRef:
    cont_id: int
    canonical_url: str
    given: str
    host: str | None  # None for a bare id; normalised as the client connects to it (domain.hosts)
    is_mirror: bool
    url: str = ""  # the URL to fetch: ``given`` with its scheme and normalised host (canonical for an id)


def canonical_url(cont_id: int) -> str:
    return CANONICAL_TEMPLATE.format(int(cont_id))


def is_site_host(host: str | None) -> bool:
    return host is not None and host.lower().rstrip(".") in SITE_HOSTS


def cont_id_from_path(path: str) -> int | None:
    for pattern in _PATH_PATTERNS:
        m = pattern.match(path)
        if m:
            return int(m.group(1))
    return None


def parse_article_ref(value: str, *, allow_any_host: bool = False) -> ArticleRef:
    """Turn any URL form, mirror URL or bare id into an :class:`ArticleRef`.

    Raises :class:`BadURLError` for other schemes, other paths, and (unless
    ``allow_any_host``) hosts that are neither thepaper.cn nor a mirror carrying
    the article path.
    """
    value = (value or "").strip()
    m = _CANONICAL.fullmatch(value)
    if m:
        return ArticleRef(int(m.group(1)), value, value, "www.thepaper.cn", False, value)
    m = _BARE_ID.match(value)
    if m:
        cid = int(m.group(1))
        if cid < 1:
            raise BadURLError(f"{value!r} is not an article id (ids are whole numbers from 1)")
        return ArticleRef(cid, canonical_url(cid), value, None, False, canonical_url(cid))
    if not value:
        raise BadURLError("empty URL")
    # "www.thepaper.cn/newsDetail_forward_1" is taken as https.
    absolute = value if _SCHEME.match(value) else "https://" + value
    try:
        parts = urlsplit(absolute)
    except ValueError as exc:
        raise BadURLError(f"not a URL: {value!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadURLError(f"refused scheme {scheme!r} in {value!r}: only http and https URLs are accepted")
    if not parts.hostname:
        raise BadURLError(f"no host in {value!r}")
    try:
        host, url = host_port(absolute)[0], normalise_url(absolute)
    except BadHostError as exc:
        raise BadURLError(f"bad host in {value!r}: {exc}") from None
    path_id = cont_id_from_path(parts.path)
    if path_id == 0:
        raise BadURLError(f"{value!r} names article 0, which does not exist (ids are whole numbers from 1)")
    if path_id is None:
        raise BadURLError(
            f"{value!r} is not an article URL (expected /newsDetail_forward_<id>, /detail/<id> or /baijiahao_<id>)"
        )
    cid = path_id
    if is_site_host(host):
        return ArticleRef(cid, canonical_url(cid), value, host, False, url)
    # Mirrors copy the article to the same path on their own host.
    if parts.path.startswith("/newsDetail_forward_") or allow_any_host:
        return ArticleRef(cid, canonical_url(cid), value, host, True, url)
    raise BadURLError(f"host {host!r} is neither thepaper.cn nor a recognisable mirror path: {value!r}")
