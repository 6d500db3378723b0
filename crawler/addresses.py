"""Which hosts a crawl may reach: the loopback/private address checks of imports and ``--base-url``."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_private_host(host: str | None) -> bool:
    """Loopback, private, link-local or reserved IP literals, and localhost names."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_unspecified


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (``localhost`` or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
