"""lxml helpers shared by the HTML layouts: parsing, whitespace, body → paragraphs."""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator, Sequence
from typing import Any, cast

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

from domain.record import Image

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_WS = re.compile(r"[\s\u00a0\u3000]+")
# A space next to full-width punctuation is never meaningful in Chinese text.
_PUNCT_GAP = re.compile(r"(?<=[，。：；！？、）》」』”]) | (?=[，。：；！？、）》」』])")

BLOCK_TAGS = frozenset(
    """p div section article aside header footer main nav h1 h2 h3 h4 h5 h6 li ul ol
dl dt dd blockquote figure figcaption table thead tbody tfoot tr td th pre hr center address
details summary""".split()
)
SKIP_TAGS = frozenset(
    """script style noscript template iframe button svg input select textarea
object embed video audio canvas map head title link meta""".split()
)

# Class/id fragments of widgets that can sit inside a body container.
CHROME_ATTR = re.compile(
    r"share|comment|relat|recommend|praise|report|download|qrcode|news_open_app|advert|"
    r"(?:^|[\s_-])ad(?:$|[\s_-])|fxOrdz|news_part_all|toolbar|bottom_word",
    re.I,
)
CAPTION_ATTR = re.compile(r"(?:image|img|pic|photo)_?(?:desc|caption|note)|caption", re.I)
# Inline styles that mark an unclassed caption right after an image (grey, small type).
CAPTION_STYLE = re.compile(
    r"color\s*:\s*#(?:([89a-c])\1\1(?:\1\1\1)?|666(?:666)?|777(?:777)?)\b|"
    r"font-size\s*:\s*1[0-4]px",
    re.I,
)


def normalize_ws(text: str) -> str:
    """Strip, drop zero-width characters, collapse whitespace runs to one space, drop a
    space touching full-width punctuation."""
    # A printable text without a space is its own normal form: white space other than " "
    # (str.isspace, which both \s and strip() follow), the zero-width and soft-hyphen
    # characters (category Cf) and the control characters (Cc) are none of them printable.
    if text and text.isprintable():
        if " " not in text:
            return text
        if "  " not in text and text[0] != " " and text[-1] != " ":  # single spaces inside: only the gaps
            return _PUNCT_GAP.sub("", text)
    text = _WS.sub(" ", _ZERO_WIDTH.sub("", text or "")).strip()
    return _PUNCT_GAP.sub("", text) if " " in text else text


def _html_parser(**options: Any) -> etree.HTMLParser:
    """lxml.html's parser with its element classes chosen in C: every element an ``HtmlElement``
    (lxml.html's Python lookup gives a form's elements classes of their own, which no layout
    uses, and costs a call per element reached: a tenth of the walks)."""
    parser = etree.HTMLParser(**options)
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()
#: :data:`_PARSER` for UTF-8 bytes (:func:`parse`'s ``utf8``): libxml2 reads them without the
#: conversion a str needs (UTF-16 or UCS-4 to UTF-8 first), the same tree (a tenth of the parse).
_PARSER_UTF8 = _html_parser(encoding="utf-8")


def _document(text: str | bytes, parser: etree.HTMLParser = _PARSER) -> HtmlElement:
    """``lxml.html.document_fromstring`` with :data:`_PARSER`."""
    doc = etree.fromstring(text, parser)
    if doc is None:
        raise etree.ParserError("Document is empty")
    return cast(HtmlElement, doc)


def parse(text: str, utf8: bytes | None = None) -> HtmlElement:
    """A parsed document (lxml.html), or None when nothing parseable is there. ``utf8``:
    ``text`` encoded as UTF-8 (the fetched bytes, when they are that), parsed instead of it."""
    if not text or text.isspace():  # ``not text.strip()`` without copying the page (the same white space)
        return None
    if utf8 is not None and not text.startswith("<?xml"):  # lxml refuses a str with an XML encoding declaration
        try:
            return _document(utf8, _PARSER_UTF8)
        except (etree.ParserError, ValueError, TypeError):
            pass  # the str as before
    try:
        return _document(text)
    except (etree.ParserError, ValueError, TypeError):
        try:
            return _document(text.encode("utf-8", "surrogatepass"))
        except Exception:  # noqa: BLE001 - unparseable means "no document"
            return None


_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.I)  # lxml.html's test for a whole page


def parse_fragment(text: str) -> HtmlElement:
    """The element holding an HTML fragment (the JSON ``content`` string): the ``body`` that
    ``lxml.html.fragments_fromstring`` takes it out of, whose text and children it is.
    What that does not read as one body goes to :func:`_fragment_div`."""
    if not text or text.isspace() or _FULL_HTML.match(text):  # isspace: ``not text.strip()``, no copy
        return _fragment_div(text)
    try:
        doc = _document(f"<html><body>{text}</body></html>")
    except (etree.ParserError, ValueError, TypeError):
        return _fragment_div(text)
    bodies = [el for el in doc if el.tag == "body"]
    if len(bodies) != 1 or bodies[0].attrib:
        return _fragment_div(text)
    return bodies[0]


def _fragment_div(text: str) -> HtmlElement:
    """A wrapper ``div`` around an HTML fragment (lxml.html's fragments moved into it)."""
    root = lxml_html.Element("div")
    if not text or not text.strip():
        return root
    try:
        for el in lxml_html.fragments_fromstring(text):
            if isinstance(el, str):
                if len(root):
                    root[-1].tail = (root[-1].tail or "") + el
                else:
                    root.text = (root.text or "") + el
            else:
                root.append(el)
    except (etree.ParserError, ValueError, TypeError):
        doc = parse("<div>" + text + "</div>")
        if doc is not None:
            body = doc.find("body")
            return body if body is not None else doc
    return root


def classes(el: HtmlElement) -> str:
    return (el.get("class") or "") + " " + (el.get("id") or "")


@lru_cache(maxsize=512)
def xpath(expr: str) -> etree.XPath:
    """A compiled XPath (compiling costs more than evaluating on a whole page)."""
    return etree.XPath(expr)


def elements(root: HtmlElement, expr: str) -> list[HtmlElement]:
    """The elements ``expr`` (a path that selects elements) finds from ``root``, in document order."""
    return cast("list[HtmlElement]", xpath(expr)(root))


@lru_cache(maxsize=512)
def _named(expr: str) -> str | None:
    """The tag of a path ``//tag`` (every such element of the document, in document order), else None."""
    m = re.fullmatch(r"//([a-z][a-z0-9]*)", expr)
    return m.group(1) if m else None


def first(root: HtmlElement | None, *xpaths: str) -> HtmlElement | None:
    """The first element matched by the first of ``xpaths`` that matches anything (a path
    ``//tag``: the document's first such element, found without XPath)."""
    if root is None:
        return None
    for xp in xpaths:
        tag = _named(xp)
        if tag is not None:
            el = next(root.getroottree().iter(tag), None)
            if el is not None:
                return cast(HtmlElement, el)
            continue
        found = cast("list[HtmlElement]", xpath(xp)(root))  # cast: the layouts' paths select elements
        if found:
            return found[0]
    return None


_HIDDEN = '//body//*[@hidden or contains(translate(@style, " ", ""), "display:none")]'


def drop_hidden(doc: HtmlElement) -> None:
    """Remove what the page does not show (``hidden``, ``display: none``: a share dialog, a
    pop-up); the text after each stays."""
    for el in doc.xpath(_HIDDEN):
        if el.getparent() is not None:
            el.drop_tree()


def text_of(el: HtmlElement) -> str:
    """The element's whole text, whitespace-normalised ("" for None, a comment or a processing
    instruction: lxml gives them among an element's children)."""
    if el is None:
        return ""
    try:
        return normalize_ws(el.text_content())
    except ValueError:
        if isinstance(el.tag, str):
            raise
        return ""  # a comment (React puts ``<!-- -->`` between text nodes) or a processing instruction


def image_src(el: HtmlElement) -> str:
    """The real source of an <img>: lazy ``data-src``/``data-original`` before a placeholder ``src``."""
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        v = (el.get(attr) or "").strip()
        if v and not v.startswith("data:"):
            return v
    return ""


class BodyBlocks:
    """Paragraphs, images and caption positions of a body element."""

    __slots__ = ("paragraphs", "images", "caption_idx", "skipped")

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.images: list[Image] = []
        self.caption_idx: set[int] = set()
        self.skipped = 0


def body_blocks(root: HtmlElement, *, skip_chrome: bool = True) -> BodyBlocks:
    """Walk ``root`` once: block elements and ``<br>`` end paragraphs, ``<img>`` records an
    image, caption elements (``p.image_desc``, ``figcaption``) become a caption paragraph
    at the image's place; scripts and (with ``skip_chrome``) widget containers are skipped."""
    out = BodyBlocks()
    if root is not None:
        for _ in _walk_blocks(root, out, skip_chrome, pause=False):
            pass
    return out


class BodyLines(Sequence[str]):
    """The paragraphs of :func:`body_blocks` (``skip_chrome=False``), walked only as far as they
    are read: a reader of a page's head (:func:`cleaning.extract.textdump.extract_lines` with
    ``head_only``) leaves the rest of the page unwalked. Indexing, slicing, ``in``, ``index``,
    iteration and ``len`` give what the same on ``body_blocks(root, skip_chrome=False).paragraphs``
    gives (``len`` and open-ended slices walk to the end)."""

    __slots__ = ("_out", "_walk", "_final")

    def __init__(self, root: HtmlElement | None) -> None:
        self._out = BodyBlocks()
        self._walk: Iterator[int] | None = None if root is None else _walk_blocks(root, self._out, False, pause=True)
        self._final = 0  # the paragraphs before this index are as the whole walk leaves them

    def _upto(self, n: int | None) -> int:
        """Walk until ``n`` paragraphs are final (None: to the end); how many are."""
        while self._walk is not None and (n is None or self._final < n):
            final = next(self._walk, None)
            if final is None:
                self._walk = None
                self._final = len(self._out.paragraphs)
            else:
                self._final = final
        return self._final

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            if i.stop is None or i.stop < 0 or (i.start or 0) < 0:
                self._upto(None)
            else:
                self._upto(i.stop)
            return self._out.paragraphs[: self._final][i]
        if i < 0:
            self._upto(None)
        elif self._upto(i + 1) <= i:
            raise IndexError("line index out of range")
        return self._out.paragraphs[i]

    def __len__(self) -> int:
        return self._upto(None)

    def __bool__(self) -> bool:
        return self._upto(1) > 0

    def __iter__(self) -> Iterator[str]:
        i = 0
        while self._upto(i + 1) > i:
            yield self._out.paragraphs[i]
            i += 1


#: A tag's part in :func:`_walk_blocks`, by the tag as lxml gives it: :data:`_SKIPPED` (in
#: :data:`SKIP_TAGS`), else its lower-cased name and whether that is in :data:`BLOCK_TAGS`;
#: filled as tags are met (at most :data:`_TAG_KINDS_MAX` of them, then computed each time).
_TAG_KINDS: dict[str, tuple[str, bool]] = {}
_TAG_KINDS_MAX = 2_048
_SKIPPED = ("", False)  # told apart by identity


def _tag_kind(tag: str) -> tuple[str, bool]:
    """What :data:`_TAG_KINDS` holds for ``tag`` (a str), computed (and kept while there is room)."""
    low = tag.lower()
    kind = _SKIPPED if tag in SKIP_TAGS else (low, low in BLOCK_TAGS)
    if len(_TAG_KINDS) < _TAG_KINDS_MAX:
        _TAG_KINDS[tag] = kind
    return kind


#: Whether :data:`CHROME_ATTR` / :data:`CAPTION_ATTR` find anything in an element's
#: :func:`classes` (most class values repeat from element to element and page to page): the
#: answers, at most :data:`_ATTR_SEEN_MAX` each, then they start again.
_CHROME_SEEN: dict[str, bool] = {}
_CAPTION_SEEN: dict[str, bool] = {}
_ATTR_SEEN_MAX = 4_096


def _found(seen: dict[str, bool], pattern: re.Pattern[str], attrs: str) -> bool:
    """``pattern.search(attrs) is not None``, remembered in ``seen`` (:data:`_CHROME_SEEN` for
    :data:`CHROME_ATTR`, :data:`_CAPTION_SEEN` for :data:`CAPTION_ATTR`)."""
    hit = seen.get(attrs)
    if hit is None:
        if len(seen) >= _ATTR_SEEN_MAX:
            seen.clear()
        hit = seen[attrs] = pattern.search(attrs) is not None
    return hit


def _walk_blocks(root: HtmlElement, out: BodyBlocks, skip_chrome: bool, *, pause: bool) -> Iterator[int]:
    """:func:`body_blocks`' walk, filling ``out``; with ``pause``, it stops after each block's end
    and yields how many paragraphs are final (those before the first caption still open: a
    caption's end joins the paragraphs from its start)."""
    buf: list[str] = []
    caption_start: list[tuple[int, int]] = []  # (depth, paragraph index)
    depth = 0
    skipping_end = False
    image_pending = False  # an image was the last thing seen: a styled span may be its caption

    def flush() -> None:
        nonlocal image_pending
        if buf:
            t = normalize_ws("".join(buf))
            buf.clear()
            if t:
                out.paragraphs.append(t)
                image_pending = False

    # Of each element entered and not skipped, by its depth: whether a block ends at its end (the
    # open elements' entries; an element's children are deeper, so its entry stands until its end).
    blocks: list[bool] = [False] * 32
    kinds, chrome_seen, caption_seen = _TAG_KINDS, _CHROME_SEEN, _CAPTION_SEEN
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for ev, el in walker:
        if ev == "start":
            depth += 1
            tag = el.tag
            kind = kinds.get(tag)  # a tag that is not a str (an entity's) is not a key: skipped, as before
            if kind is None:
                kind = _tag_kind(tag) if isinstance(tag, str) else _SKIPPED
            if kind is _SKIPPED:
                walker.skip_subtree()
                skipping_end = True
                continue
            attrs = None  # classes(el), once asked for
            if skip_chrome and el is not root:
                cls, eid = el.get("class"), el.get("id")
                attrs = " " if cls is None and eid is None else (cls or "") + " " + (eid or "")  # classes(el)
                if attrs != " " and (
                    chrome_seen[attrs] if attrs in chrome_seen else _found(chrome_seen, CHROME_ATTR, attrs)
                ):
                    if buf:
                        flush()
                    if normalize_ws(el.text_content()):
                        out.skipped += 1
                    walker.skip_subtree()
                    skipping_end = True
                    continue
            tag, block = kind
            try:
                blocks[depth] = block
            except IndexError:  # deeper than ever: the list holds every depth above this one
                blocks.append(block)
            if block:
                if buf:
                    flush()
                if attrs is None:
                    attrs = classes(el)
                if tag == "figcaption" or (
                    attrs != " "
                    and (caption_seen[attrs] if attrs in caption_seen else _found(caption_seen, CAPTION_ATTR, attrs))
                ):  # " " holds no caption
                    caption_start.append((depth, len(out.paragraphs)))
            elif tag == "br":
                if buf:
                    flush()
            elif tag == "img":
                if buf:
                    flush()
                src = image_src(el)
                if src:
                    out.images.append(Image(src=src))
                    image_pending = True
            elif image_pending and not any(t.strip() for t in buf) and CAPTION_STYLE.search(el.get("style") or ""):
                caption_start.append((depth, len(out.paragraphs)))
            text = el.text
            if text:
                buf.append(text)
        elif ev == "end":
            if skipping_end:
                skipping_end = False
            elif blocks[depth] or (caption_start and caption_start[-1][0] == depth):
                if buf:
                    flush()
                if caption_start and caption_start[-1][0] == depth:
                    _, start = caption_start.pop()
                    if len(out.paragraphs) > start + 1:  # one caption, one paragraph
                        out.paragraphs[start:] = [" ".join(out.paragraphs[start:])]
                    if len(out.paragraphs) > start:
                        out.caption_idx.add(start)
                        for img in reversed(out.images):
                            if not img.caption:
                                img.caption = out.paragraphs[start]
                            break
                if pause:
                    yield min(start for _, start in caption_start) if caption_start else len(out.paragraphs)
            depth -= 1
            if el is not root:
                tail = el.tail
                if tail:
                    buf.append(tail)
        else:  # a comment or processing instruction: not shown, but the text after it is (``<!--author-->赵婕``)
            if el.tail:
                buf.append(el.tail)
    flush()
