"""Put ``www.thepaper.cn`` back where a spam mirror substituted its own host in the text.

With ``mirror_host`` (e.g. ``www.nxos.com.cn``): every mention of that site's name with any
of ``.com``/``.com.cn``/``.cn``/``.net`` (with or without ``www.``/scheme) is replaced.
By shape, without it: a host in parentheses right after 澎湃新闻 (``澎湃新闻(www.x.com)``)
that is not thepaper's own.
"""

from __future__ import annotations

import re

CANONICAL = "www.thepaper.cn"
_SHAPE_RE = re.compile(
    r"(澎湃新闻|澎湃新聞)([（(]\s*)((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+)(\s*[)）])", re.I
)
_OWN = re.compile(r"(^|\.)thepaper\.cn$", re.I)


def _site_name(host: str) -> str | None:
    host = host.lower().strip().rstrip(".")
    host = re.sub(r"^[a-z]+://", "", host).split("/")[0].split(":")[0]
    host = re.sub(r"^(www|m)\.", "", host)
    name = re.sub(r"\.(com\.cn|net\.cn|org\.cn|com|cn|net|org|cc|top)$", "", host)
    return name if name and "thepaper" not in name else None


def restore_mirror_host(text: str, mirror_host: str | None = None) -> tuple[str, int]:
    count = 0
    name = _site_name(mirror_host) if mirror_host else None
    if name and name.lower() in text.lower():
        rx = re.compile(rf"(?:https?://)?(?:www\.)?{re.escape(name)}\.(?:com\.cn|net\.cn|com|cn|net)\b", re.I)
        text, n = rx.subn(CANONICAL, text)
        count += n
    if "澎湃新" in text:

        def sub(m: re.Match[str]) -> str:
            nonlocal count
            host = re.sub(r"^[a-z]+://", "", m.group(3), flags=re.I)
            if _OWN.search(host) or not host.lower().startswith("www."):
                return m.group()
            count += 1
            return m.group(1) + m.group(2) + CANONICAL + m.group(4)

        text = _SHAPE_RE.sub(sub, text)
    return text, count
