"""Cleaned HTML of an article body, generated from its clean paragraphs.

Never the site's own HTML: every paragraph is escaped text in its own ``<p>``;
a paragraph that is an image caption becomes ``<p class="caption">``.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from collections.abc import Iterable


def image_dicts(images: Iterable) -> list[dict]:
    """``[{src, caption}]`` from :class:`domain.record.Image` objects or dicts."""
    out = []
    for img in images or ():
        if isinstance(img, dict):
            src, caption = img.get("src") or "", img.get("caption") or ""
        else:
            src, caption = getattr(img, "src", "") or "", getattr(img, "caption", "") or ""
        out.append({"src": str(src), "caption": str(caption)})
    return out


def body_html(paragraphs: Iterable[str], images: Iterable = ()) -> str:
    """One escaped ``<p>`` per paragraph; captions (as many times as images carry them) get a class."""
    captions = Counter(c for c in (d["caption"].strip() for d in image_dicts(images)) if c)
    parts = []
    for para in paragraphs:
        key = para.strip()
        if captions.get(key):
            captions[key] -= 1
            parts.append(f'<p class="caption">{escape(para)}</p>')
        else:
            parts.append(f"<p>{escape(para)}</p>")
    return "\n".join(parts)
