"""Extraction: which kind of document this is, and its fields as the page states them.

``sniff(text)`` names the layout; ``extract(text, cont_id=…)`` runs that layout's
extractor and returns ``(Extracted, None)``, or ``(None, list_item)`` when the input is
a JSON list item (the chain turns those into records itself). Modules, one per kind:
``nextjs`` (JSON + DOM fallback), ``oldlayouts`` (desktop 2014-2021, mobile 2017),
``apijson``, ``textdump`` (also the visible text of HTML no layout claims: fields by their shapes);
``general`` reads HTML of no known layout (the body where our reading and trafilatura's agree,
inside the article's container) and ``evidence`` its title, time, byline and source (h1, meta
tags, JSON-LD, visible lines, the URL, chosen by agreement); ``shape`` says whether text has an
article's shape (checked by the chain on the repaired text); ``html`` holds the shared lxml walking. A known
layout that leaves the time, byline or source empty gets them from its visible text's shapes.
"""

from __future__ import annotations

from typing import Any
from lxml.html import HtmlElement
import json
import re

from cleaning.extract import html as h
from cleaning.extract.apijson import extract_api
from cleaning.extract.base import Extracted
from cleaning.extract.copies import page_copies
from cleaning.extract.credits import apply_credits
from cleaning.extract.evidence import apply_evidence, settle_byline, strip_head_fields
from cleaning.extract.general import apply_main_text
from cleaning.extract.nextjs import extract_nextjs
from cleaning.extract.pagekind import is_encyclopedia_entry
from cleaning.extract.oldlayouts import extract_desktop_old, extract_mobile_2017
from cleaning.extract.shape import page_heading
from cleaning.extract.threads import cut_thread
from cleaning.extract.textdump import extract_lines, extract_text
from cleaning.jsontext import loads
from domain.record import UnknownLayoutError

__all__ = ["Extracted", "sniff", "extract", "LAYOUT_MARKERS"]

_HTML = re.compile(r"<(?:!doctype|html|head|body|div|p|script|meta|title|span|article)\b", re.I)

# (layout, marker regex) — first match wins; checked on the raw HTML.
LAYOUT_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("nextjs", re.compile(r"__NEXT_DATA__|class=\"[^\"]*index_(?:cententWrap|contentWrap|title)__")),
    ("mobile_2017", re.compile(r"class=\"[^\"]*\b(?:t_newsinfo|about_news)\b")),
    ("desktop_old", re.compile(r"class=\"[^\"]*\b(?:news_txt|news_title|newscontent|news_about)\b")),
]

#: Words each marker's match holds (one of them): a page without any is not searched with the regex.
_MARKER_WORDS: dict[str, tuple[str, ...]] = {
    "nextjs": ("__NEXT_DATA__", "index_cententWrap__", "index_contentWrap__", "index_title__"),
    "mobile_2017": ("t_newsinfo", "about_news"),
    "desktop_old": ("news_txt", "news_title", "newscontent", "news_about"),
}

#: What :func:`sniff` looks for past ``__NEXT_DATA__`` (not in the page by then): each layout's
#: other words, and a part all of them hold (a page without it holds none of them: one scan of
#: the page tells, instead of one a word).
_SNIFFED: dict[str, tuple[str, tuple[str, ...]]] = {
    "nextjs": ("index_", ("index_cententWrap__", "index_contentWrap__", "index_title__")),
    "mobile_2017": ("news", _MARKER_WORDS["mobile_2017"]),
    "desktop_old": ("news", _MARKER_WORDS["desktop_old"]),
}

_EXTRACTORS = {"nextjs": extract_nextjs, "mobile_2017": extract_mobile_2017, "desktop_old": extract_desktop_old}


def sniff(text: str) -> str:
    """``json``, a layout name from :data:`LAYOUT_MARKERS`, ``html`` (unknown markup),
    ``text`` or ``empty``."""
    s = text.lstrip("\ufeff \t\r\n")
    if not s:
        return "empty"
    if s[0] in "{[":
        try:
            json.loads(s)
            return "json"
        except (ValueError, RecursionError):
            pass
    if _HTML.search(s[:4096]) or ("<" in s[:200] and _HTML.search(s)):
        if "__NEXT_DATA__" in s:  # what the first marker finds first (a plain scan: a tenth of its time)
            return "nextjs"
        for layout, rx in LAYOUT_MARKERS:
            part, words = _SNIFFED.get(layout, ("", ("",)))
            if part in s and _has_marker(s, rx, words):
                return layout
        return "html"
    return "text"


_CLASS_OPEN = 'class="'


def _has_marker(s: str, rx: re.Pattern[str], words: tuple[str, ...]) -> bool:
    """``rx.search(s)`` of a marker that is a word of ``words`` in a class attribute
    (``class="[^"]*…word…``, :data:`LAYOUT_MARKERS` past ``__NEXT_DATA__``): searched from the
    last ``class="`` before the first word, where any match starts (one that started earlier would
    hold that ``class="``'s quote), not through a whole 2017 page's 300 class attributes."""
    found = [i for i in map(s.find, words) if i >= 0]
    return bool(found) and rx.search(s, max(0, s.rfind(_CLASS_OPEN, 0, min(found)))) is not None


def _page_cont_id(doc: HtmlElement) -> int | None:
    """The id in the page's own canonical / og:url link, when it names an article
    (``//link[@rel="canonical"] | //meta[@property="og:url"]``, in document order)."""
    for el in doc.getroottree().iter("link", "meta"):
        if (el.get("rel") == "canonical") if el.tag == "link" else (el.get("property") == "og:url"):
            m = _ID_IN_URL.search(el.get("href") or el.get("content") or "")
            if m:
                return int(m.group(1))
    return None


_ID_IN_URL = re.compile(r"/(?:newsDetail_forward_|detail/)(\d{1,10})(?!\d)")


def extract(
    text: str,
    *,
    cont_id: int | None = None,
    url: str | None = None,
    utf8: bytes | None = None,
    lone: list[tuple[int, str]] | None = None,
) -> tuple[Extracted | None, dict[str, Any] | None]:
    """The document's fields (module doc); ``url``, where it was fetched, is evidence of its date;
    ``utf8``, ``text`` encoded as UTF-8 when the caller has it (parsed instead of ``text``).
    The lone surrogate escapes dropped from the page's JSON (:mod:`cleaning.jsontext`) are added
    to ``lone``: (offset in ``text``, the escape)."""
    found: list[tuple[int, str]] = []
    ex, item = _extract(text, cont_id=cont_id, url=url, utf8=utf8, lone=found)
    if ex is not None:
        settle_byline(ex)
        found += ex.lone_surrogates
    if lone is not None:
        lone += found
    return ex, item


def _extract(
    text: str, *, cont_id: int | None, url: str | None, utf8: bytes | None, lone: list[tuple[int, str]]
) -> tuple[Extracted | None, dict[str, Any] | None]:
    kind = sniff(text)
    if kind == "empty":
        raise UnknownLayoutError("empty document: no text at all")
    if kind == "json":
        body = text.lstrip("\ufeff \t\r\n")
        obj, dropped = loads(body)
        lone += [(len(text) - len(body) + at, escape) for at, escape in dropped]
        return extract_api(obj, cont_id=cont_id)
    if kind == "text":
        ex = extract_text(text)
        if not ex.paragraphs and not ex.title:
            raise UnknownLayoutError("plain text with no usable lines")
        ex.needs_shape_check = True  # on the repaired text (cleaning.document)
        return ex, None
    doc = h.parse(text, utf8)
    if doc is None:
        raise UnknownLayoutError("HTML that does not parse into a document")
    if kind in _EXTRACTORS:
        ex = _EXTRACTORS[kind](text, doc)
        if ex.cont_id is None:
            ex.cont_id = _page_cont_id(doc)
        if not ex.gone_reason and (ex.published_at is None or not (ex.author_raw or ex.pph_byline) or not ex.source):
            _fill_from_visible_text(ex, doc)
        ex.copies.later(lambda: page_copies(doc))
        return ex, None
    # Unknown markup (a mirror's own template, a repost site): read its visible text like a dump.
    entry = is_encyclopedia_entry(doc)
    if entry:
        raise UnknownLayoutError(f"HTML of no known layout that holds no article: {entry}")
    h.drop_hidden(doc)
    lines = _visible_lines(doc)
    ex = extract_lines(lines, layout="unknown", title_hint=page_heading(doc))
    apply_evidence(ex, doc, lines, text, url)
    ex.paragraphs, replies = cut_thread(ex.paragraphs)
    ex.count("comment_thread", replies)
    apply_main_text(ex, text, doc)
    strip_head_fields(ex)
    apply_credits(ex, lines)
    if not ex.title or not ex.paragraphs:
        raise UnknownLayoutError(
            "HTML of no known layout (no Next.js data, no old-layout markup, no title/time/body structure in its text)"
        )
    ex.needs_shape_check = True  # on the repaired text (cleaning.document)
    ex.copies.later(lambda: page_copies(doc))
    ex.link_texts = tuple(h.text_of(a) for a in doc.iter("a"))
    return ex, None


def _body_root(doc: HtmlElement) -> HtmlElement:
    """The page's ``<body>`` (the document itself when it is one, or has none)."""
    body = h.first(doc, "//body") if doc.tag != "body" else doc
    return body if body is not None else doc


def _visible_lines(doc: HtmlElement) -> list[str]:
    return h.body_blocks(_body_root(doc), skip_chrome=False).paragraphs


def _fill_from_visible_text(ex: Extracted, doc: HtmlElement) -> None:
    """A known layout that left the time, byline or source empty: look for them by their
    shapes in the page's visible text, never overriding what the layout found (its head only:
    the page is walked as far as its lines are read)."""
    lines = h.BodyLines(_body_root(doc))  # _visible_lines(doc), read lazily
    shaped = extract_lines(lines, layout=ex.layout, title_hint=ex.title, head_only=True)
    if ex.published_at is None:
        ex.published_at = shaped.published_at
    if not ex.author_raw and shaped.author_raw:
        ex.author_raw = shaped.author_raw
    if not ex.source and shaped.source:
        ex.source = shaped.source
    if not ex.pph_byline and shaped.pph_byline:
        ex.pph_byline = shaped.pph_byline
