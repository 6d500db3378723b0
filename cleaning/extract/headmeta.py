"""What a page's head declares about it: its ``<meta>`` tags and its JSON-LD objects."""

from __future__ import annotations

from typing import Any

from lxml.html import HtmlElement

from cleaning.extract.html import normalize_ws
from cleaning.jsontext import loads


def meta(root: HtmlElement, name: str) -> str:
    """Content of the document's first ``<meta name=…>`` or ``<meta property=…>``
    (``//meta[@name=… or @property=…]``, found without XPath)."""
    if root is None:
        return ""
    for el in root.getroottree().iter("meta"):
        if el.get("name") == name or el.get("property") == name:
            return normalize_ws(el.get("content") or "")
    return ""


def jsonld_items(root: HtmlElement) -> list[dict[str, Any]]:
    """The objects of the page's JSON-LD scripts (those that parse)."""
    out: list[dict[str, Any]] = []
    for el in root.xpath('//script[@type="application/ld+json"]'):
        try:
            # lone surrogate escapes dropped, not recorded here: these values are evidence (a date;
            # a copy of the title, which restores a damaged span only as a logged page_copy)
            data, _ = loads(el.text or "")
        except (ValueError, RecursionError):
            continue
        out += [item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict)]
    return out
