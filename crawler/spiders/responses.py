"""What the spider makes of a response or a failed request for the archive: the headers and
the request as plain dicts, and a short stable code for the failure."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Headers
from twisted.internet import error as neterror


def _headers_dict(headers) -> dict[str, str]:
    """Each header's values joined by ``", "``, names and values as Latin-1. Scrapy's ``Headers``
    is a dict of its normalised names to their lists of values, all bytes: it is read as that
    dict, each name's values joined as bytes and decoded once (the same text: Latin-1 maps each
    byte to one character), not through its ``items()``, which looks every name up again through
    ``getlist``. Twice per article page, on the reactor thread; other mappings as before."""
    if isinstance(headers, Headers):
        return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in dict.items(headers)}
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
