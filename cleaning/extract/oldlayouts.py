"""The older server-rendered layouts: desktop (about 2014-2021) and mobile 2017.

A whole-page class test (the elements of ``//*[contains(@class, "x")]``, in document order) is
made on the page's classed elements, read once (:class:`_Classed`): a walk of the page in C and
a substring test of each class, where each XPath walked the page again (a mobile page has 600
elements)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from lxml import etree
from lxml.html import HtmlElement
import re

from cleaning import metadata as md
from cleaning.extract import html as h
from cleaning.extract import headmeta as hm
from cleaning.extract.base import Extracted

OFFLINE_NOTICE = re.compile(r"此文章已下线|此文章已下線")


_XML_SPACE = re.compile(r"[ \t\r\n]+")


#: Every ``class`` attribute of the document, in document order: each value knows its element
#: (``getparent``), so only classed elements get a Python object (a walk of the page made one
#: for each of its elements: a 2017 mobile page has 600, a third of them classed).
_CLASS_VALUES = etree.XPath("//@class")


#: What joins the class values into one text: in none of them (libxml2's strings end at a NUL;
#: :class:`_Classed` checks, and looks in each value when one holds it).
_SEP = "\x00"


class _Classed:
    """The page's elements that have a class, with it, in document order (``//@class/parent::*``).
    A word is looked for in the values joined into one text (:meth:`_holding`: ``str.find``, in C)
    instead of in each value by a Python loop (a 2017 mobile page has 240)."""

    def __init__(self, doc: HtmlElement) -> None:
        values = cast("list[Any]", _CLASS_VALUES(doc))  # smart strings: str with getparent()
        self._values = [c for c in values if c]
        joined = _SEP.join(self._values)
        self._joined = joined if joined.count(_SEP) == max(len(self._values) - 1, 0) else None  # None: a value holds it

    def _holding(self, word: str) -> Iterator[int]:
        """Where in :attr:`_values` the values holding ``word`` (``word in c``) are, in order: each match
        in the joined text lies in one value (a word without the separator cannot span two), the one
        after as many separators as precede the match."""
        joined = self._joined
        if joined is None or not word or _SEP in word:
            yield from (k for k, c in enumerate(self._values) if word in c)
            return
        k = 0  # the value that starts at ``start``
        start = 0
        i = joined.find(word)
        while i >= 0:
            k += joined.count(_SEP, start, i)
            yield k
            start = joined.find(_SEP, i)  # the end of value k
            if start < 0:
                return
            k += 1
            start += 1
            i = joined.find(word, start)

    def all(self, word: str, tag: str | None = None) -> Iterator[tuple[HtmlElement, str]]:
        """``//@class[contains(., word)]/parent::*`` (or ``parent::tag``), with each one's class."""
        values = self._values
        found = ((values[k].getparent(), values[k]) for k in self._holding(word))
        return ((el, str(c)) for el, c in found if tag is None or el.tag == tag)

    def any_of(self, *words: str) -> Iterator[tuple[HtmlElement, str]]:
        """The elements whose class holds one of ``words``, with it (``str``), in document order."""
        values = self._values
        held = sorted({k for w in words for k in self._holding(w)})  # each value once, in document order
        return ((values[k].getparent(), str(values[k])) for k in held)

    def first(self, word: str, tag: str | None = None, test: Callable[[str], bool] | None = None) -> HtmlElement | None:
        """The first of :meth:`all` whose class passes ``test``."""
        return next((el for el, c in self.all(word, tag) if test is None or test(c)), None)


def _has_token(name: str) -> Callable[[str], bool]:
    """XPath's ``contains(concat(" ", normalize-space(@class), " "), " name ")``."""
    return lambda c: f" {name} " in f" {_XML_SPACE.sub(' ', c).strip(' ')} "


def _column_link(classed: _Classed) -> HtmlElement | None:
    """``//@class[contains(.,"news_path") or contains(.,"detail-gm")]/parent::*//a[contains(@href,"list_")]``:
    the first such link in document order (a later element's links follow an earlier one's, or are among them)."""
    for el, _ in classed.any_of("news_path", "detail-gm"):
        for a in el.iterdescendants("a"):
            if "list_" in (a.get("href") or ""):
                return a
    return None


def _common(ex: Extracted, doc: HtmlElement, classed: _Classed) -> None:
    """Title fallback, column, keywords and description from the page head."""
    page_title, column = md.split_page_title(h.text_of(h.first(doc, "//title")))
    if not ex.title and column:
        ex.title = page_title
    link = _column_link(classed)
    if link is not None:
        m = re.search(r"list_(\d+)", link.get("href") or "")
        ex.node_id = int(m.group(1)) if m else None
        ex.node_name = h.text_of(link)
    elif column:
        ex.node_name = column
    if not ex.summary:
        ex.summary = hm.meta(doc, "Description") or hm.meta(doc, "description")
        if ex.summary == ex.title:  # the 2017 pages repeat the title there: not a summary
            ex.summary = ""
    if not ex.tags:
        kw = hm.meta(doc, "Keywords") or hm.meta(doc, "keywords")
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
    classed = _Classed(doc)
    content = classed.first("newscontent")
    if content is None:
        content = h.first(doc, "//body")
    notice = classed.first("news_txt")
    said = h.text_of(notice)  # "" for None
    if len(said) < 40 and OFFLINE_NOTICE.search(said):  # a notice alone, not an article's body
        ex.gone_reason = "offline_notice"
        return ex
    ex.title = h.text_of(h.first(content, './/h1[contains(@class,"news_title")]', ".//h1"))
    about = h.first(content, './/*[contains(@class,"news_about")]')
    if about is not None:
        for p in h.elements(about, "./p"):
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
        ex.tags = [h.text_of(a) for a in h.elements(kw, ".//a") if h.text_of(a)]
    _common(ex, doc, classed)
    return ex


def extract_mobile_2017(raw: str, doc: HtmlElement) -> Extracted:
    ex = Extracted(layout="mobile_2017")
    classed = _Classed(doc)
    if classed.first("news_part") is None and OFFLINE_NOTICE.search(raw):  # the page's body told first: no scan of it
        ex.gone_reason = "offline_notice"
        return ex
    ex.title = h.text_of(classed.first("t_newsinfo", "h1"))
    for p, _ in classed.all("about_news", "p"):
        t = h.text_of(p)
        if md.parse_time(t) or md.parse_source(t):
            _time_source(ex, p)
        elif t and not ex.author_raw:
            ex.author_raw = t
    body = classed.first("news_part", "div", _has_token("news_part"))
    if body is None:
        body = classed.first("news_part", "div", lambda c: "father" not in c and "all" not in c)
    if body is not None:
        _body(ex, body)
    bl = classed.first("news_bl")
    if bl is not None:
        ex.editor_raw = h.text_of(bl)
        ex.count("disclaimer", 1 if re.search(r"未经授权不得转载|新闻报料", ex.editor_raw) else 0)
    _common(ex, doc, classed)
    return ex
