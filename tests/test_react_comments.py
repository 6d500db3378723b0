"""React's server rendering puts ``<!-- -->`` between adjacent text nodes, so a real page's blocks may
hold comments among their children. A comment is no text: inserting one after any tag of a page's
rendered part gives the same record. Before, a comment among the byline block's children made the
Next.js extraction raise (lxml's ``text_content`` refuses a comment); found by mutating the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleaning.document import clean_document

PAGES = sorted((Path(__file__).parent / "data/records/pages").glob("mock_*.html"))
FIELDS = ("title", "summary", "author", "source", "published_at", "paragraphs", "tags", "node_name", "content_type")


def _record(body: bytes, url: str) -> tuple:
    rec = clean_document(body, url=url, keywords=False)
    return tuple(getattr(rec, f) for f in FIELDS)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_a_comment_after_any_tag_changes_nothing(page):
    text = page.read_text(encoding="utf-8")
    url = "https://www.thepaper.cn/" + page.stem.split("_", 1)[1]
    want = _record(text.encode("utf-8"), url)
    end = text.find("<script")  # the rendered part: scripts and what follows them are not
    rendered = text[: end if end > 0 else len(text)]
    ends = [m.end() for m in re.finditer(">", rendered)]
    # and inside a text node, where React puts them (``2026-01-16<!-- --> <!-- -->13:34``)
    middles = [(m.start() + m.end()) // 2 for m in re.finditer(r">([^<>]{2,})<", rendered)]
    for at in sorted(ends + middles):
        body = (text[:at] + "<!-- -->" + text[at:]).encode("utf-8")
        assert _record(body, url) == want, (at, text[at - 60 : at])


def test_the_byline_block_with_a_comment_child():
    page = PAGES[[p.name for p in PAGES].index("mock_newsDetail_forward_32000789.html")]
    text = page.read_text(encoding="utf-8")
    url = "https://www.thepaper.cn/newsDetail_forward_32000789"
    at = text.index('<div class="index_left')
    at = text.index(">", at) + 1
    body = (text[:at] + "<!-- -->" + text[at:]).encode("utf-8")
    assert _record(body, url) == _record(text.encode("utf-8"), url)


@pytest.mark.parametrize("widget", ["字号", "收藏", "分享"])
def test_broken_markup_brings_no_widget_into_the_byline(widget):
    """``</<div …>`` (a tag cut in two) is read as a comment, so the right-hand block's widgets fall
    into the byline block: their text is no author (found by mutating the pages)."""
    page = PAGES[[p.name for p in PAGES].index("mock_newsDetail_forward_32000789.html")]
    text = page.read_text(encoding="utf-8")
    url = "https://www.thepaper.cn/newsDetail_forward_32000789"
    cut = '</div></div></div><div class="index_right'
    assert text.count(cut) == 1
    broken = text.replace(cut, '</div></div></<div class="index_right', 1)
    broken = re.sub(r'(<div class="index_right[^"]*"><span>)[^<]*', lambda m: m.group(1) + widget, broken, count=1)
    rec = clean_document(broken.encode("utf-8"), url=url, keywords=False)
    assert rec.author == "" and rec.paragraphs == clean_document(text.encode("utf-8"), url=url).paragraphs
