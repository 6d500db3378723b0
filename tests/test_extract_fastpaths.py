"""The extraction's shortcuts give what the slower way they replace gives (issue 26): the
lxml.html parse, a fragment's body, ``//tag`` and ``meta`` without XPath, the old layouts'
class tests, the Next.js page tests skipped on a page whose text cannot hold their words, and
``normalize_ws``'s return of a text that is already normal."""

import re

import pytest
from lxml import etree
from lxml import html as lxml_html

from bench.cleanratio import mock_pages
from cleaning.decode import decode_bytes
from cleaning.extract import html as h
from cleaning.extract import headmeta as hm
from cleaning.extract.base import Extracted
from cleaning.extract.nextjs import dom_metadata
from cleaning.extract.oldlayouts import _Classed, _column_link, _has_token

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_WS = re.compile(r"[\s\u00a0\u3000]+")


def _normalize_ws_slow(text: str) -> str:
    text = _WS.sub(" ", _ZERO_WIDTH.sub("", text or "")).strip()
    return h._PUNCT_GAP.sub("", text) if " " in text else text


def test_normalize_ws_same_for_every_character():
    for cp in range(0x110000):
        for text in (f"甲{chr(cp)}乙", f"甲 {chr(cp)} 乙，"):
            assert h.normalize_ws(text) == _normalize_ws_slow(text), hex(cp)
    for text in ["", " ", "甲 ，乙", "\u3000甲\u200b乙\n", "a  b", "“甲” 乙", " a b", "a b ", "甲 。 乙 ） 丙"]:
        assert h.normalize_ws(text) == _normalize_ws_slow(text)


@pytest.fixture(scope="module")
def pages() -> list[str]:
    return [decode_bytes(body).text for _, body in mock_pages(60)]


def _same_tree(a, b) -> bool:
    return etree.tostring(a, encoding="unicode") == etree.tostring(b, encoding="unicode")


def test_parse_is_lxml_html(pages):
    for text in pages:
        doc = h.parse(text)
        assert _same_tree(doc, lxml_html.document_fromstring(text))
        assert all(isinstance(el, lxml_html.HtmlElement) for el in doc.iter(etree.Element))


FRAGMENTS = [
    "<p>甲</p><p>乙</p>",
    "前言<p>甲</p>尾巴",
    "  \n <p>甲</p>",
    "<!-- 注 -->正文<br>第二行",
    "<img src='a.jpg'><p class='image_desc'>图注</p><p>正文</p>",
    "<span style='color:#999'>图注</span>",
    "<div class='share'>分享</div><p>甲</p>",
    "纯文本",
    "<p>甲</p></body></html><p>乙</p>",
    "<body class='x'><p>甲</p></body>",
    "<html><body><p>整页</p></body></html>",
    "<table><tr><td>格</td></tr></table>",
]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_fragment_body_walks_as_the_div(fragment):
    new, old = h.body_blocks(h.parse_fragment(fragment)), h.body_blocks(h._fragment_div(fragment))
    assert (new.paragraphs, new.images, new.caption_idx, new.skipped) == (
        old.paragraphs,
        old.images,
        old.caption_idx,
        old.skipped,
    )


def test_named_paths_and_meta_as_xpath(pages):
    for text in pages:
        doc = h.parse(text)
        for tag in ("title", "body", "h1", "main", "video"):
            found = doc.xpath(f"//{tag}")
            assert h.first(doc, f"//{tag}") is (found[0] if found else None)
            body = doc.find("body")
            if body is not None:  # ``//`` is the whole document from any element
                assert h.first(body, f"//{tag}") is (found[0] if found else None)
        for name in ("description", "Description", "keywords", "og:title", "og:url", "author"):
            el = doc.xpath(f'//meta[@name="{name}" or @property="{name}"]')
            want = h.normalize_ws(el[0].get("content") or "") if el else ""
            assert hm.meta(doc, name) == want


CLASSED_PAGE = """<html><head><title>t</title></head><body>
<div class="news_path"><span>首页</span></div>
<div class="x detail-gm y"><a href="/channel_1">频道</a><div class="news_path"><a href="/list_2">栏目</a></div>
<a href="/list_3">另一个</a></div>
<h1 class="big t_newsinfo">标题</h1><p class="about_news">时间</p><span class="about_news">不是p</span>
<div class="news_partial all">甲</div><div class="\tnews_part\n">乙</div><div class="news_part father">丙</div>
<div class="news_bl">编辑</div><div class="">空</div></body></html>"""


def test_classed_as_xpath():
    doc = h.parse(CLASSED_PAGE)
    classed = _Classed(doc)

    def xp(path):
        found = doc.xpath(path)
        return found[0] if found else None

    for word in ("news_path", "news_part", "news_bl", "t_newsinfo", "about_news", "none"):
        assert classed.first(word) is xp(f'//@class[contains(.,"{word}")]/parent::*')
    assert classed.first("t_newsinfo", "h1") is xp('//h1[contains(@class,"t_newsinfo")]')
    assert [el for el, _ in classed.all("about_news", "p")] == doc.xpath('//@class[contains(.,"about_news")]/parent::p')
    token = (
        '//@class[contains(.,"news_part")]/parent::div[contains(concat(" ",normalize-space(@class)," ")," news_part ")]'
    )
    assert classed.first("news_part", "div", _has_token("news_part")) is xp(token)
    assert xp(token) is not None
    plain = (
        '//@class[contains(.,"news_part")]/parent::div[not(contains(@class,"father")) and not(contains(@class,"all"))]'
    )
    assert classed.first("news_part", "div", lambda c: "father" not in c and "all" not in c) is xp(plain)
    link = '//@class[contains(.,"news_path") or contains(.,"detail-gm")]/parent::*//a[contains(@href,"list_")]'
    assert _column_link(classed) is xp(link)
    assert _column_link(classed).get("href") == "/list_2"


def _fields(ex: Extracted) -> dict:
    return {k: v for k, v in vars(ex).items() if k != "copies"}


def _nextjs_page(editor_line: str) -> str:
    return (
        '<html><body><div class="index_left__a1"><div>作者 甲</div></div>'
        f'<div class="index_original__b2"><span>原创</span><span>乙</span></div><div>{editor_line}</div></body></html>'
    )


@pytest.mark.parametrize(
    "line",
    ["责任编辑：王五", "&#36131;&#20219;&#32534;&#36753;：王五", "&#x8D23;任编辑：王五"],
)
def test_dom_metadata_reads_words_a_reference_spells(line):
    raw = _nextjs_page(line)
    with_raw, without = Extracted(layout="nextjs"), Extracted(layout="nextjs")
    dom_metadata(with_raw, h.parse(raw), raw)
    dom_metadata(without, h.parse(raw))
    assert _fields(with_raw) == _fields(without)
    assert with_raw.editor_raw == "责任编辑：王五"
    assert with_raw.pph_byline == "原创 乙"


@pytest.mark.parametrize("ref", ["&lowbar;", "&UnderBar;", "&#95;"])
def test_dom_metadata_reads_a_class_a_named_reference_spells(ref):
    """HTML5's named entities spell ``_`` too (libxml2 reads them): such a class is searched."""
    raw = _nextjs_page("责任编辑：王五").replace("index_left", f"index{ref}left")
    with_raw, without = Extracted(layout="nextjs"), Extracted(layout="nextjs")
    dom_metadata(with_raw, h.parse(raw), raw)
    dom_metadata(without, h.parse(raw))
    assert _fields(with_raw) == _fields(without)


def test_dom_metadata_skips_only_what_cannot_be_there():
    raw = _nextjs_page("编辑：王五")
    with_raw, without = Extracted(layout="nextjs"), Extracted(layout="nextjs")
    dom_metadata(with_raw, h.parse(raw), raw)
    dom_metadata(without, h.parse(raw))
    assert _fields(with_raw) == _fields(without) and with_raw.editor_raw == ""


def _repeat_prefix_every_n(p: str) -> tuple[str, int]:
    for n in range(6, min(80, len(p) // 2) + 1):
        unit = p[:n]
        if p.startswith(unit, n):
            end = 2 * n
            while p.startswith(unit, end):
                end += n
            return unit, end // n
    return "", 0


def test_repeat_prefix_tries_the_n_that_matter():
    import random

    from cleaning.boilerplate import _repeat_prefix

    rng = random.Random(26)
    for _ in range(20_000):
        tail = "".join(rng.choice("ab中文，") for _ in range(rng.randint(0, 40)))
        unit = "".join(rng.choice("ab中文，") for _ in range(rng.randint(1, 90)))
        p = unit * rng.randint(1, 4) + tail if rng.random() < 0.5 else tail
        assert _repeat_prefix(p) == _repeat_prefix_every_n(p), p


def _head(ex: Extracted) -> tuple:
    return ex.published_at, ex.author_raw, ex.source, ex.pph_byline


def test_head_only_reads_the_same_head(pages):
    from pathlib import Path

    from cleaning.extract import _visible_lines
    from cleaning.extract.textdump import extract_lines, lines_of

    texts = [_visible_lines(h.parse(text)) for text in pages]
    data = Path(__file__).parent / "data"
    texts += [lines_of(decode_bytes(p.read_bytes()).text) for p in sorted(data.rglob("*.txt"))[:200]]
    for lines in texts:
        for hint in ["", "不在文中", *lines[:1]]:  # no heading, one not there, the first line
            full = extract_lines(lines, layout="nextjs", title_hint=hint)
            assert _head(extract_lines(lines, layout="nextjs", title_hint=hint, head_only=True)) == _head(full)


def test_text_paths_as_slash_slash_text(pages):
    from cleaning.extract.nextjs import _EDITOR_LINE, _SOURCE_LINE

    pages = pages + [
        _nextjs_page("责任编辑：王五"),
        "<html><head><title>来源：标题</title></head><body>来源：甲</body></html>",
    ]
    for text in pages:
        doc = h.parse(text)
        for path in (_EDITOR_LINE, _SOURCE_LINE):
            assert path.startswith("/descendant::text()")
            assert h.elements(doc, path) == doc.xpath("//" + path.removeprefix("/descendant::"))
