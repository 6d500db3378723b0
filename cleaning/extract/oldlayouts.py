"""The older server-rendered layouts: desktop (about 2014-2021) and mobile 2017.

A whole-page class test is written ``//@class[contains(., "x")]/parent::*``: the elements of
``//*[contains(@class, "x")]``, in document order, found by testing the class attributes
instead of every element (a third of the time)."""

from __future__ import annotations

from lxml.html import HtmlElement
import re

from cleaning import metadata as md
from cleaning.extract import html as h
from cleaning.extract.base import Extracted

OFFLINE_NOTICE = re.compile(r"此文章已下线|此文章已下線")


def _common(ex: Extracted, doc: HtmlElement) -> None:
    """Title fallback, column, keywords and description from the page head."""
    page_title, column = md.split_page_title(h.text_of(h.first(doc, "//title")))
    if not ex.title and column:
        ex.title = page_title
    link = h.first(
        doc, '//@class[contains(.,"news_path") or contains(.,"detail-gm")]/parent::*//a[contains(@href,"list_")]'
    )
    if link is not None:
        m = re.search(r"list_(\d+)", link.get("href") or "")
        ex.node_id = int(m.group(1)) if m else None
        ex.node_name = h.text_of(link)
    elif column:
        ex.node_name = column
    if not ex.summary:
        ex.summary = h.meta(doc, "Description") or h.meta(doc, "description")
        if ex.summary == ex.title:  # the 2017 pages repeat the title there: not a summary
            ex.summary = ""
    if not ex.tags:
        kw = h.meta(doc, "Keywords") or h.meta(doc, "keywords")
        ex.tags = [t for t in (h.normalize_ws(x) for x in re.split(r"[,，]", kw)) if t]


def _body(ex: Extracted, el: HtmlElement) -> None:
    blocks = h.body_blocks(el)
    ex.paragraphs, ex.images, ex.caption_idx = blocks.paragraphs, blocks.images, blocks.caption_idx
    ex.count("widget", blocks.skipped)


def _time_source(ex: Extracted, el: HtmlElement) -> None:
    """The time/source line; each text piece apart, so ``<span>字号</span>`` does not stick."""
    ex.published_at = ex.published_at or md.parse_time(h.text_of(el))
    for piece in el.itertext():
        if not ex.source and md.parse_source(piece):
            ex.source = md.parse_source(piece)


def extract_desktop_old(raw: str, doc: HtmlElement) -> Extracted:
    ex = Extracted(layout="desktop_old")
    content = h.first(doc, '//@class[contains(.,"newscontent")]/parent::*', "//body")
    notice = h.first(doc, '//@class[contains(.,"news_txt")]/parent::*')
    if notice is not None and OFFLINE_NOTICE.search(h.text_of(notice)) and len(h.text_of(notice)) < 40:
        ex.gone_reason = "offline_notice"
        return ex
    ex.title = h.text_of(h.first(content, './/h1[contains(@class,"news_title")]', ".//h1"))
    about = h.first(content, './/*[contains(@class,"news_about")]')
    if about is not None:
        for p in about.xpath("./p"):
            t = h.text_of(p)
            if md.parse_time(t) or md.parse_source(t):
                _time_source(ex, p)
            elif t and not ex.author_raw:
                ex.author_raw = t
    body = h.first(content, './/*[contains(@class,"news_txt")]')
    if body is not None:
        _body(ex, body)
    editor = h.first(content, './/*[contains(@class,"news_editor")]')
    if editor is not None:
        ex.editor_raw = h.text_of(editor)
    kw = h.first(content, './/*[contains(@class,"news_keyword")]')
    if kw is not None:
        ex.tags = [h.text_of(a) for a in kw.xpath(".//a") if h.text_of(a)]
    _common(ex, doc)
    return ex


def extract_mobile_2017(raw: str, doc: HtmlElement) -> Extracted:
    ex = Extracted(layout="mobile_2017")
    if OFFLINE_NOTICE.search(raw) and h.first(doc, '//@class[contains(.,"news_part")]/parent::*') is None:
        ex.gone_reason = "offline_notice"
        return ex
    ex.title = h.text_of(h.first(doc, '//h1[contains(@class,"t_newsinfo")]'))
    for p in h.elements(doc, '//@class[contains(.,"about_news")]/parent::p'):
        t = h.text_of(p)
        if md.parse_time(t) or md.parse_source(t):
            _time_source(ex, p)
        elif t and not ex.author_raw:
            ex.author_raw = t
    body = h.first(
        doc,
        '//@class[contains(.,"news_part")]/parent::div[contains(concat(" ",normalize-space(@class)," ")," news_part ")]',
        '//@class[contains(.,"news_part")]/parent::div[not(contains(@class,"father")) and not(contains(@class,"all"))]',
    )
    if body is not None:
        _body(ex, body)
    bl = h.first(doc, '//@class[contains(.,"news_bl")]/parent::*')
    if bl is not None:
        ex.editor_raw = h.text_of(bl)
        ex.count("disclaimer", 1 if re.search(r"未经授权不得转载|新闻报料", ex.editor_raw) else 0)
    _common(ex, doc)
    return ex
