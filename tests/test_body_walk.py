"""The body walk's per-tag and per-class answers remembered (issue 26, session 11):
``_walk_blocks`` reads a tag's part (skipped, its lower-cased name, a block?) from
``_TAG_KINDS``, ``CHROME_ATTR``/``CAPTION_ATTR``'s answers from a cache, and the open elements'
block flags by depth; the paragraphs, images, captions and skipped count are those of the walk it
replaces (``_old_body_blocks``, kept here), on every page and on trees made to reach each path:
deep nesting, tags lxml does not lower-case, an entity, full caches. Beside it, the Next.js
page's test for a character reference (``_has_char_ref``) against the search it replaces."""

import random
import re
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from bench.cleanratio import mock_pages
from cleaning.decode import decode_bytes
from cleaning.extract import html as h
from cleaning.extract import nextjs
from cleaning.extract.nextjs import detail_data, next_data
from domain.record import Image

DATA = Path(__file__).parent / "data"


def _old_body_blocks(root, *, skip_chrome=True):
    """``body_blocks`` as it was before the caches (main b7999ea), without the pause."""
    out = h.BodyBlocks()
    if root is None:
        return out
    buf: list[str] = []
    caption_start: list[tuple[int, int]] = []
    depth = 0
    skipping_end = False
    image_pending = False

    def flush() -> None:
        nonlocal image_pending
        if buf:
            t = h.normalize_ws("".join(buf))
            buf.clear()
            if t:
                out.paragraphs.append(t)
                image_pending = False

    blocks: list[bool] = []
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for ev, el in walker:
        if ev == "start":
            depth += 1
            tag = el.tag
            attrs = None
            if not isinstance(tag, str) or tag in h.SKIP_TAGS:
                walker.skip_subtree()
                skipping_end = True
                continue
            if skip_chrome and el is not root:
                cls, eid = el.get("class"), el.get("id")
                attrs = " " if cls is None and eid is None else (cls or "") + " " + (eid or "")
                if attrs != " " and h.CHROME_ATTR.search(attrs):
                    if buf:
                        flush()
                    if h.normalize_ws(el.text_content()):
                        out.skipped += 1
                    walker.skip_subtree()
                    skipping_end = True
                    continue
            tag = tag.lower()
            block = tag in h.BLOCK_TAGS
            blocks.append(block)
            if block:
                if buf:
                    flush()
                if attrs is None:
                    attrs = h.classes(el)
                if tag == "figcaption" or (attrs != " " and h.CAPTION_ATTR.search(attrs)):
                    caption_start.append((depth, len(out.paragraphs)))
            elif tag == "br":
                if buf:
                    flush()
            elif tag == "img":
                if buf:
                    flush()
                src = h.image_src(el)
                if src:
                    out.images.append(Image(src=src))
                    image_pending = True
            elif image_pending and not any(t.strip() for t in buf) and h.CAPTION_STYLE.search(el.get("style") or ""):
                caption_start.append((depth, len(out.paragraphs)))
            text = el.text
            if text:
                buf.append(text)
        elif ev == "end":
            if skipping_end:
                skipping_end = False
            elif blocks.pop() or (caption_start and caption_start[-1][0] == depth):
                if buf:
                    flush()
                if caption_start and caption_start[-1][0] == depth:
                    _, start = caption_start.pop()
                    if len(out.paragraphs) > start + 1:
                        out.paragraphs[start:] = [" ".join(out.paragraphs[start:])]
                    if len(out.paragraphs) > start:
                        out.caption_idx.add(start)
                        for img in reversed(out.images):
                            if not img.caption:
                                img.caption = out.paragraphs[start]
                            break
            depth -= 1
            if el is not root:
                tail = el.tail
                if tail:
                    buf.append(tail)
        else:
            if el.tail:
                buf.append(el.tail)
    flush()
    return out


def _same(root, skip_chrome):
    got = h.body_blocks(root, skip_chrome=skip_chrome)
    want = _old_body_blocks(root, skip_chrome=skip_chrome)
    assert got.paragraphs == want.paragraphs
    assert [(i.src, i.caption) for i in got.images] == [(i.src, i.caption) for i in want.images]
    assert got.caption_idx == want.caption_idx
    assert got.skipped == want.skipped
    if not skip_chrome:
        assert list(h.BodyLines(root)) == want.paragraphs


def _roots():
    texts = [decode_bytes(body).text for _, body in mock_pages(120)]
    texts += [decode_bytes(p.read_bytes()).text for p in sorted(DATA.rglob("*.htm*"))]
    roots = []
    for t in texts:
        doc = h.parse(t)
        if doc is None:
            continue
        roots.append(doc)
        roots += list(doc.iter("body", "article", "section"))
        dd = detail_data(next_data(t)[0])
        cd = dd and dd.get("contentDetail")
        if isinstance(cd, dict) and isinstance(cd.get("content"), str):
            roots.append(h.parse_fragment(cd["content"]))
    return roots


@pytest.fixture(scope="module")
def roots():
    return _roots()


@pytest.mark.parametrize("skip_chrome", [True, False])
def test_walk_of_the_pages_and_their_parts_as_before(roots, skip_chrome):
    assert len(roots) > 300
    for root in roots:
        _same(root, skip_chrome)


TAGS = ["p", "div", "span", "a", "br", "img", "figure", "figcaption", "script", "li", "td", "em", "font", "section"]
ATTRS = [
    "",
    ' class="share-box"',
    ' id="ad"',
    ' class="image_desc"',
    ' class="caption x"',
    ' class="news_txt"',
    ' style="color:#999"',
    ' src="a.jpg"',
    ' class="index_relatedNews__x"',
]
WORDS = ["甲", "乙 ", "，丙", "  ", "丁。", "\u3000戊", "图注", ""]


def _random_html(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.35 and depth < 6:
            tag = rng.choice(TAGS)
            parts.append(f"<{tag}{rng.choice(ATTRS)}>{_random_html(rng, depth + 1)}</{tag}>")
        elif r < 0.45:
            parts.append("<!-- c -->")
        else:
            parts.append(rng.choice(WORDS))
    return "".join(parts)


@pytest.mark.parametrize("skip_chrome", [True, False])
def test_walk_of_random_bodies_as_before(skip_chrome):
    rng = random.Random(11)
    for _ in range(1_500):
        root = h.parse_fragment(_random_html(rng))
        _same(root, skip_chrome)


@pytest.mark.parametrize("skip_chrome", [True, False])
def test_deeper_than_the_flags_list_and_back(skip_chrome):
    """Nesting past the 32 depths the flags start with (the list grows), then shallower again."""
    html = "<div>" * 40 + "甲<span>乙</span>" + "</div>" * 40 + "<p>丙</p>" + "<span>" * 50 + "丁" + "</span>" * 50
    _same(h.parse_fragment(html), skip_chrome)


@pytest.mark.parametrize("skip_chrome", [True, False])
def test_tags_not_lower_case_and_not_str(skip_chrome):
    """Elements built by hand keep their tag's case (``P`` is a block, ``SCRIPT`` is not
    skipped, as before); an entity (a tag that is not a str) is skipped."""
    root = lxml_html.Element("div")
    for tag, text in (("P", "甲"), ("SCRIPT", "乙"), ("Br", None), ("p", "丙"), ("IMG", None)):
        el = etree.SubElement(root, tag)
        if text:
            el.text = text
        el.tail = "尾"
    root.append(etree.Entity("amp"))
    root[-1].tail = "后"
    _same(root, skip_chrome)


def test_full_caches_give_the_same_answers(monkeypatch):
    """With no room in the tag table and caches that start again at every class, the walk is
    the same: what is not kept is computed."""
    monkeypatch.setattr(h, "_TAG_KINDS_MAX", 0)
    monkeypatch.setattr(h, "_ATTR_SEEN_MAX", 1)
    monkeypatch.setattr(h, "_TAG_KINDS", {})
    monkeypatch.setattr(h, "_CHROME_SEEN", {})
    monkeypatch.setattr(h, "_CAPTION_SEEN", {})
    rng = random.Random(5)
    for _ in range(300):
        _same(h.parse_fragment(_random_html(rng)), True)
    assert h._TAG_KINDS == {}
    assert len(h._CHROME_SEEN) <= 1 and len(h._CAPTION_SEEN) <= 1


@pytest.mark.parametrize(
    "attrs, chrome, caption",
    [
        ("share-box ", True, False),
        (" ad", True, False),
        ("image_desc ", False, True),
        ("news_txt ", False, False),
        ("SHARE ", True, False),
        ("pic_caption x", False, True),
        ("bad x", False, False),
    ],
)
def test_remembered_answers_are_the_patterns(attrs, chrome, caption):
    for _ in range(2):  # computed, then remembered
        assert h._found(h._CHROME_SEEN, h.CHROME_ATTR, attrs) is chrome is (h.CHROME_ATTR.search(attrs) is not None)
        assert h._found(h._CAPTION_SEEN, h.CAPTION_ATTR, attrs) is caption is (h.CAPTION_ATTR.search(attrs) is not None)


def test_isspace_is_an_empty_strip():
    """``parse`` and ``parse_fragment`` ask ``text.isspace()`` for ``not text.strip()`` (a
    non-empty text): the same white space, every code point alone, repeated and beside others."""
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        for t in (c, c * 3, " " + c, c + "\u3000"):
            assert t.isspace() == (not t.strip()), hex(cp)
    assert not " x ".isspace() and " x ".strip()


def test_only_an_ampersand_matches_one_in_any_case():
    """``_has_char_ref`` tries ``_CHAR_REF`` only where ``str.find`` sees a ``&``: no other code
    point matches the pattern's first character, ``re.I`` or not."""
    amp = re.compile("&", re.I)
    assert [cp for cp in range(0x110000) if amp.fullmatch(chr(cp))] == [ord("&")]


CHAR_REF_TEXTS = [
    "",
    "&",
    "a&",
    "&&#",
    "x&amp;y",
    "&#20013;",
    "&#x4e2d;",
    "&LOWBAR;",
    "&lowbar",
    "&UnderBar;",
    "&underbar",
    "&FJLIG;",
    "&fjli",
    "&amp;&amp;&#",
    "Ａ&＃",
    "中文&nbsp;中文",
]


@pytest.mark.parametrize("text", CHAR_REF_TEXTS)
def test_char_ref_found_as_the_search_finds_it(text):
    assert nextjs._has_char_ref(text) == (nextjs._CHAR_REF.search(text) is not None)


def test_char_ref_of_the_pages_and_random_texts():
    texts = [decode_bytes(body).text for _, body in mock_pages(120)]
    rng = random.Random(3)
    alphabet = "&#;aAbBlLoOwWuUnNdDeErRfFjJiIgG中 x"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    for t in texts:
        assert nextjs._has_char_ref(t) == (nextjs._CHAR_REF.search(t) is not None)
