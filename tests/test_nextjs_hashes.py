"""The Next.js pages' CSS-module classes carry a build hash that changes with every front-end
release: the extractors match class-name stems, so renaming every hash of the mock's pages gives
the same records, with and without the page's ``__NEXT_DATA__`` JSON (the DOM fallback)."""

from __future__ import annotations

import hashlib
import re

import pytest

from cleaning.document import clean_document
from domain.record import CleaningError
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite

_HASHED = re.compile(r"\b(index_[A-Za-z]+)__([A-Za-z0-9_-]+)")
_NEXT_DATA = re.compile(r"<script[^>]*__NEXT_DATA__.*?</script>", re.S)


def rehash(page: str, salt: str) -> str:
    """Every ``index_<stem>__<hash>`` with a new hash (of another length and alphabet)."""

    def new(m):
        return f"{m.group(1)}__{hashlib.sha1((salt + m.group(2)).encode()).hexdigest()[:7]}"

    return _HASHED.sub(new, page)


def record(page: str, cont_id: int) -> dict | str:
    try:
        rec = clean_document(page.encode("utf-8"), url=f"https://www.thepaper.cn/newsDetail_forward_{cont_id}")
    except CleaningError as e:
        return type(e).__name__
    d = rec.to_dict()
    d.pop("keywords", None)
    return d


def nextjs_pages(n=120, seed=3):
    site = MockSite(generate_dataset(n, seed))
    for art in site.dataset.articles():
        if art.layout != "nextjs" or art.kind.startswith("gone") or art.kind == "external":
            continue
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        yield art, resp.body.decode("utf-8")


@pytest.mark.parametrize("without_json", [False, True])
def test_renamed_hashes_give_the_same_records(without_json):
    checked = 0
    for art, page in nextjs_pages():
        if without_json:
            page = _NEXT_DATA.sub("", page)
        renamed = rehash(page, "release-2")
        assert renamed != page and _HASHED.search(page)
        before, after = record(page, art.cont_id), record(renamed, art.cont_id)
        assert before == after, art.cont_id
        if isinstance(before, dict) and art.kind in ("news", "pph"):
            assert before["title"] == art.title and before["source"] == art.source  # the DOM was read
        checked += 1
    assert checked >= 20


def test_a_selector_that_named_a_hash_would_be_caught():
    """The renaming reaches every hashed class (no old hash survives it)."""
    for _art, page in list(nextjs_pages(30, 5))[:5]:
        old = {m.group(2) for m in _HASHED.finditer(page)}
        assert old and not old & {m.group(2) for m in _HASHED.finditer(rehash(page, "x"))}


@pytest.mark.parametrize(
    "line, source",
    [
        ("<span>来源：澎湃新闻·澎湃号·政务</span>", "澎湃新闻·澎湃号·政务"),
        ("<div><span>2025-03-01 09:15</span><span>来源：新华社</span></div>", "新华社"),
        ("<p>这篇文章的来源很复杂，记者多方核实了它的出处，本段文字足够长，不是一个来源行。</p>", ""),
    ],
)
def test_nextjs_source_from_the_visible_line(line, source):
    page = (
        '<html><body><main><h1 class="index_title__Zz9">标题在这里</h1>'
        f'<div class="index_headerContent__Q1">{line}</div>'
        '<div class="index_cententWrap__Ab3"><p>正文第一段，讲述了一件事情的来龙去脉，并且给出了细节。</p></div>'
        "</main></body></html>"
    )
    rec = clean_document(page.encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_31000001")
    assert rec.layout == "nextjs" and rec.source == source


def test_nextjs_source_from_content_detail():
    data = {
        "props": {
            "pageProps": {
                "detailData": {
                    "contType": 0,
                    "contentDetail": {
                        "contId": 31000003,
                        "name": "标题",
                        "pubTime": "2025-03-01 09:15",
                        "source": "澎湃新闻·澎湃号·媒体",
                        "content": "<p>正文第一段，讲述了一件事情的来龙去脉，并且给出了细节。</p>",
                    },
                }
            }
        }
    }
    import json

    page = f'<html><body><script id="__NEXT_DATA__" type="application/json">{json.dumps(data, ensure_ascii=False)}</script></body></html>'
    rec = clean_document(page.encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_31000003")
    assert rec.source == "澎湃新闻·澎湃号·媒体" and rec.content_type == "pph"
