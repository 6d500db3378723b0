"""The current site (Next.js): ``__NEXT_DATA__`` JSON first, the rendered DOM as fallback
and for what the JSON lacks (editor, source, 澎湃号 byline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from lxml.html import HtmlElement
import re

from cleaning import boilerplate as bp
from cleaning import metadata as md
from cleaning.jsontext import loads
from cleaning.extract import html as h
from cleaning.extract import headmeta as hm
from cleaning.extract.base import Extracted
from cleaning.extract.copies import rendered_body
from domain.record import Image, TruncatedPageError

_NEXT_OPEN = re.compile(r"""<script[^>]*\bid\s*=\s*["']?__NEXT_DATA__["']?[^>]*>""", re.I)
#: The marker in any case, as :data:`_NEXT_OPEN` reads it: its prefix ``__`` has no case, so sre
#: finds it by a fast scan (``_NEXT_OPEN`` is tried at each ``<`` of the page).
_NEXT_MARK = re.compile("__NEXT_DATA__", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)


def _next_open(raw: str) -> re.Match[str] | None:
    """``_NEXT_OPEN.search(raw)``, the same match, searched from the last ``>`` before the first
    marker: a match holds a marker with no ``>`` between its start and it, and none is earlier
    than the first, so none starts before that ``>``; without a marker there is no match."""
    mark = _NEXT_MARK.search(raw)
    if mark is None:
        return None
    return _NEXT_OPEN.search(raw, raw.rfind(">", 0, mark.start()) + 1)


def next_data(raw: str, lone: list[tuple[int, str]] | None = None) -> tuple[dict[str, Any] | None, bool]:
    """``(data, damaged)``: the parsed ``__NEXT_DATA__`` object, and whether a script
    was there but its JSON was cut off or unparseable. Its lone surrogate escapes are dropped
    (:func:`cleaning.jsontext.loads`); ``lone`` gets each one's offset in ``raw`` and escape."""
    m = _next_open(raw)
    if not m:
        return None, False
    end = _SCRIPT_CLOSE.search(raw, m.end())
    body = raw[m.end() : end.start() if end else len(raw)]
    try:
        data, dropped = loads(body)
    except (ValueError, RecursionError):
        return None, True
    if lone is not None:
        lone += [(m.end() + at, escape) for at, escape in dropped]
    return (data, False) if isinstance(data, dict) else (None, True)


def detail_data(data: Any) -> dict[str, Any] | None:
    # Any: a JSON value of whatever shape, None included; KeyError/TypeError are the shape check
    try:
        dd = data["props"]["pageProps"]["detailData"]
    except (KeyError, TypeError):
        return None
    return dd if isinstance(dd, dict) else None


def fill_from_detail(ex: Extracted, dd: dict[str, Any]) -> bool:
    """Fill ``ex`` from a ``detailData``-shaped dict (page JSON or API answer).
    Returns False when it holds no article (then ``ex`` may be marked gone)."""
    ctype = md.as_int(dd.get("contType"))
    cd = dd.get("contentDetail")
    live = dd.get("liveDetail")
    if ctype == 8 and isinstance(live, dict):
        fill_from_content(ex, live)
        ex.content_type = "live"
        ex.paragraphs, ex.images = [], []
        for item in md.as_list(live.get("liveList") or live.get("list")):
            if isinstance(item, dict):
                text = h.normalize_ws(_plain(md.as_text(item.get("content") or item.get("name"))))
                if text:
                    ex.paragraphs.append(text)
        return True
    if "contentDetail" in dd and cd is None:
        ex.gone_reason = "content_null"
        return False
    if isinstance(cd, dict):
        fill_from_content(ex, cd)
        return True
    return False


def _plain(text: str) -> str:
    if "<" in text and ">" in text:
        return " ".join(h.body_blocks(h.parse_fragment(text)).paragraphs)
    return text


def fill_from_content(ex: Extracted, cd: dict[str, Any]) -> None:
    """Fill ``ex`` from a ``contentDetail`` (or ``liveDetail``) object."""
    ex.cont_id = md.as_int(cd.get("contId")) or ex.cont_id
    ex.title = h.normalize_ws(md.as_text(cd.get("name") or cd.get("shareName")))
    ex.summary = h.normalize_ws(md.as_text(cd.get("summary") or cd.get("desc")))
    ex.published_at = md.parse_time(cd.get("pubTime")) or md.parse_time(cd.get("publishTime"))
    ex.author_raw = h.normalize_ws(md.as_text(cd.get("author")))
    ex.source = h.normalize_ws(md.as_text(cd.get("source"))) or ex.source  # as the visible 来源 line says
    node = cd.get("nodeInfo")
    if isinstance(node, dict):
        ex.node_id = md.as_int(node.get("nodeId"))
        ex.node_name = h.normalize_ws(md.as_text(node.get("name")))
        ex.channel_id = md.as_int(node.get("parentId")) or None
    tags = [t.get("tag") for t in md.as_list(cd.get("tagList")) if isinstance(t, dict)]
    if not tags and isinstance(cd.get("tags"), str):
        tags = re.split(r"[,，\s]+", cd["tags"])
    ex.tags = [tag for t in tags if t and (tag := h.normalize_ws(md.as_text(t)))]
    content = cd.get("content")
    if isinstance(content, str):
        blocks = h.body_blocks(h.parse_fragment(content))
        ex.paragraphs, ex.images, ex.caption_idx = blocks.paragraphs, blocks.images, blocks.caption_idx
    for img in md.as_list(cd.get("images")):  # photo sets
        if isinstance(img, dict) and md.as_text(img.get("src")):
            cap = h.normalize_ws(md.as_text(img.get("description")))
            ex.images.append(Image(src=md.as_text(img["src"]), caption=cap))
            if cap:
                ex.caption_idx.add(len(ex.paragraphs))
                ex.paragraphs.append(cap)
    videos = cd.get("videos")
    if isinstance(videos, dict) and videos.get("url"):
        ex.video_url = str(videos["url"])
        ex.content_type = "video"
    elif md.as_int(cd.get("contType")) == 1:
        ex.content_type = "video"
    if cd.get("paywalled") is True or str(cd.get("paywalled")) in ("1", "true"):
        ex.content_type = ex.content_type or "paywalled"
    if cd.get("authorInfo"):
        ex.content_type = ex.content_type or "pph"
    link = cd.get("link")
    if isinstance(link, str) and link.startswith("http"):
        ex.external_url = link


def _cls(name: str) -> str:
    """A CSS-module class by its stem: ``index_<name>`` alone or with any build's ``__<hash>``
    (the hash changes with every front-end release; no selector names one)."""
    # the plain contains() first: the whitespace-normalised test then runs only on the few
    # elements it lets through (it held every element of the page: 6 % of the cleaning)
    return (
        f'(contains(@class,"index_{name}") and '
        f'(contains(concat(" ",normalize-space(@class)," ")," index_{name}__") or '
        f'contains(concat(" ",normalize-space(@class)," ")," index_{name} ")))'
    )


def _with_cls(name: str) -> str:
    """``//*[_cls(name)]`` (the same elements, in document order) found from the ``class``
    attributes that name the stem: a test of each element's attribute, not of each element."""
    return f'//@class[contains(.,"index_{name}")]/parent::*[{_cls(name)}]'


def _with_text(*words: str) -> str:
    """``//*[contains(text(),w1) or ...]`` (the same elements, in document order) found from
    the text nodes that hold a word: the first text node of each is then tested as before."""
    held = " or ".join(f'contains(.,"{w}")' for w in words)
    first = " or ".join(f'contains(text(),"{w}")' for w in words)
    return f"/descendant::text()[{held}]/parent::*[{first}]"  # //text(), without its step through every node


_BODY = f"{_with_cls('cententWrap')} | {_with_cls('contentWrap')}"
_LEFT = _with_cls("left")
_ORIGINAL = _with_cls("original")
_SOURCE_LINE = _with_text("来源", "來源")
_EDITOR_LINE = _with_text("责任编辑")


#: A reference that may spell a character of the words looked for: a numeric one, or one of the
#: three named entities of HTML5 that spell ASCII letters, digits or ``_`` (``&lowbar;`` and
#: ``&UnderBar;``: ``_``; ``&fjlig;``: ``fj``); no named entity spells a Han character. A regex:
#: ``"&#" in raw`` took three times as long (str.find of two characters is slow).
_CHAR_REF = re.compile("&(?:#|lowbar|UnderBar|fjlig)", re.I)


def _has_char_ref(raw: str) -> bool:
    """``_CHAR_REF.search(raw) is not None``: the pattern tried at each ``&`` only (it starts with
    one, which no other character matches in any case), found by ``str.find`` (a page has a few;
    sre's case-insensitive search stepped through all of its characters, five times as long)."""
    i = raw.find("&")
    while i >= 0:
        if _CHAR_REF.match(raw, i):
            return True
        i = raw.find("&", i + 1)
    return False


def _may_hold(raw: str | None) -> Callable[..., bool]:
    """Whether the page parsed from ``raw`` can hold one of some words (in a class or a text):
    only where ``raw`` holds it as written or has a reference that may spell it (:data:`_CHAR_REF`).
    A page the words cannot be in is not searched for them."""
    if raw is None or _has_char_ref(raw):
        return lambda *words: True
    return lambda *words: any(map(raw.__contains__, words))


def dom_metadata(ex: Extracted, doc: HtmlElement, raw: str | None = None) -> None:
    """What only the rendered page states: source, time line, editor, 澎湃号 byline;
    ``raw``, the text ``doc`` was parsed from, says what is not worth looking for."""
    # the left block gives the source, the time and the byline: not looked for when all three are known
    known = ex.source and ex.published_at is not None and ex.author_raw
    may_hold = _may_hold(raw)
    left = None if known or not may_hold("index_left") else h.first(doc, _LEFT)
    if left is not None:
        for item in h.elements(left, './/*[contains(@class,"ant-space-item")]'):
            t = h.text_of(item)
            if not ex.source and md.parse_source(t):
                ex.source = md.parse_source(t)
            elif ex.published_at is None and md.TIME_LINE.match(t):
                ex.published_at = md.parse_time(t)
        if not ex.author_raw:
            for child in left:
                if "ant-space" in (child.get("class") or ""):
                    continue
                t = h.text_of(child)
                # a widget's text (字号, 收藏: broken markup can bring them into the block) is no byline
                if t and not md.TIME_LINE.match(t) and not md.parse_source(t) and bp.classify(t) != "widget":
                    ex.author_raw = t
                    break
    if not ex.source and may_hold("来源", "來源"):  # the visible 来源 line wherever the build puts it
        for el in h.elements(doc, _SOURCE_LINE):
            t = h.text_of(el)
            if len(t) <= 40 and md.parse_source(t):
                ex.source = md.parse_source(t)
                break
    orig = h.first(doc, _ORIGINAL) if may_hold("index_original") else None
    if orig is not None:
        parts = [h.text_of(c) for c in orig]
        parts = [p for p in parts if p]
        if parts and parts[0] == "原创":
            parts = parts[1:]
        ex.pph_byline = "原创 " + " ".join(parts) if parts else ""
    for el in h.elements(doc, _EDITOR_LINE) if may_hold("责任编辑") else ():
        t = h.text_of(el)
        if md.parse_editor(t):
            ex.editor_raw = t
            break


def extract_nextjs(raw: str, doc: HtmlElement) -> Extracted:
    ex = Extracted(layout="nextjs")
    data, damaged = next_data(raw, ex.lone_surrogates)
    dd = detail_data(data)
    try:
        # cast: a None or odd-shaped ``data`` raises what the except clause catches
        ex.cont_id = md.as_int(cast(Any, data)["props"]["pageProps"].get("contId"))
    except (KeyError, TypeError, AttributeError):
        pass
    has_json = dd is not None and fill_from_detail(ex, dd)
    if ex.gone_reason:
        return ex
    if doc is not None:
        dom_metadata(ex, doc, raw)
    if has_json:
        if doc is not None:
            ex.copies.later(lambda: rendered_body(h.first(doc, _BODY)))
        return ex
    ex.truncated = damaged
    if doc is None or not dom_fallback(ex, doc, raw):
        if damaged:
            raise TruncatedPageError("the __NEXT_DATA__ JSON is cut off or unparseable and the page has no body")
    return ex


def dom_fallback(ex: Extracted, doc: HtmlElement, raw: str) -> bool:
    """Fill ``ex`` from the rendered DOM; False when no article body/title is there."""
    title_el = h.first(doc, f"//h1[{_cls('title')}]", "//main//h1", "//h1")
    ex.title = h.text_of(title_el)
    page_title, column = md.split_page_title(h.text_of(h.first(doc, "//title")))
    if not ex.title and page_title and column:
        ex.title = page_title
    body = h.first(doc, _BODY)
    live = h.first(doc, f"//*[{_cls('live')}]")
    if body is not None:
        blocks = h.body_blocks(body)
        ex.paragraphs, ex.images, ex.caption_idx = blocks.paragraphs, blocks.images, blocks.caption_idx
        ex.count("widget", blocks.skipped)
        if "</html>" not in raw[-4096:].lower() and not body.xpath("following::*[1]"):
            raise TruncatedPageError("the page ends inside the article body (no __NEXT_DATA__, no end of body)")
    elif live is not None:
        ex.content_type = "live"
        summary = h.first(live, './/*[contains(@class,"summary")]')
        if summary is not None:
            ex.summary = h.text_of(summary)
        ex.paragraphs = [h.text_of(p) for p in live.xpath('.//*[contains(@class,"item")]//p') if h.text_of(p)]
    else:
        return False
    if doc.xpath("//video"):
        ex.content_type = ex.content_type or "video"
        ex.video_url = doc.xpath("//video")[0].get("src")
    if h.first(doc, f"//*[{_cls('paywall')}]") is not None:
        ex.content_type = ex.content_type or "paywalled"
    if not ex.summary:
        ex.summary = hm.meta(doc, "description")
    kw = hm.meta(doc, "keywords")
    if kw and not ex.tags:
        ex.tags = [t for t in (h.normalize_ws(x) for x in re.split(r"[,，]", kw)) if t]
    links = doc.xpath(f'//*[{_cls("breadcrumb")}]//a[contains(@href,"list_")]') or doc.xpath(
        f'//*[{_cls("right")}]//a[contains(@href,"list_")]'
    )
    if links:
        m = re.search(r"list_(\d+)", links[-1].get("href") or "")
        ex.node_id = int(m.group(1)) if m else None
        ex.node_name = h.text_of(links[-1]).rstrip(" >›»").strip()
    chan = doc.xpath(f'//*[{_cls("breadcrumb")}]//a[contains(@href,"channel_")]')
    if chan:
        m = re.search(r"channel_(\d+)", chan[-1].get("href") or "")
        ex.channel_id = int(m.group(1)) if m else None
    ex.summary = ex.summary or ""
    return bool(ex.title or ex.paragraphs)
