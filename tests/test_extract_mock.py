"""Every page the mock renders (all kinds and layouts) must come out as the generated
article: body paragraphs exactly, and every metadata field."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from cleaning.document import clean_document
from cleaning.listitem import record_from_list_item
from mocksite.dataset import GONE_KINDS, generate_dataset
from mocksite.render_api import list_item
from mocksite.server import MockSite

_GONE_REASON = {"gone_404": "http_404", "gone_null": "content_null", "gone_offline": "offline_notice"}


def expected_fields(art) -> dict:
    if art.kind in GONE_KINDS:
        return {"cont_id": art.cont_id, "content_type": "gone", "gone_reason": _GONE_REASON[art.kind], "paragraphs": []}
    exp = {
        "cont_id": art.cont_id,
        "content_type": art.kind,
        "title": art.title,
        "published_at": art.pub_time,
        "node_id": art.node_id,
        "node_name": art.node_name,
        "channel_id": art.channel_id,
        "channel_name": art.channel_name,
        "tags": art.tags,
    }
    if art.kind == "external":
        exp.update(external_url=art.external_url, paragraphs=[])
    else:
        exp.update(
            paragraphs=art.expected_paragraphs,
            summary=art.summary,
            author=art.author,
            author_outlet=art.author_outlet,
            editor=art.editor,
            source=art.source,
            images=[(f.src, f.caption) for f in art.figures],
        )
    return exp


def got_fields(rec, keys) -> dict:
    d = {k: getattr(rec, k) for k in keys if k != "images"}
    if "images" in keys:
        d["images"] = [(i.src, i.caption) for i in rec.images]
    return d


def clean_mock_article(site: MockSite, art):
    ds = site.dataset
    if art.kind == "external":  # the spider never fetches a page for these: the list item is the record
        return record_from_list_item(list_item(art, ds, ds.now_ms))
    resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
    return clean_document(
        resp.body,
        url=f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}",
        headers={"Content-Type": resp.content_type},
        status=resp.status,
        list_item=list_item(art, ds, ds.now_ms),
    )


@pytest.mark.parametrize("n,seed", [(400, 1), (300, 7), (120, 42)])
def test_every_mock_page_matches_the_generated_article(n, seed):
    site = MockSite(generate_dataset(n, seed))
    mismatches = []
    kinds = set()
    for art in site.dataset.articles():
        kinds.add((art.kind, art.layout))
        exp = expected_fields(art)
        got = got_fields(clean_mock_article(site, art), exp)
        if got != exp:
            diff = {k: (got[k], exp[k]) for k in exp if got[k] != exp[k]}
            mismatches.append((art.cont_id, art.kind, art.layout, diff))
    assert not mismatches, mismatches[:5]
    # the data set did exercise every kind and layout
    assert {k for k, _ in kinds} >= {"news", "pph", "video", "live", "external", "paywalled", *GONE_KINDS}
    assert {lay for _, lay in kinds} >= {"nextjs", "desktop_old", "mobile_2017"}


def test_mock_pages_without_list_item_keep_page_metadata():
    site = MockSite(generate_dataset(80, 3))
    for art in site.dataset.articles():
        if art.kind in GONE_KINDS or art.kind in ("external", "paywalled"):
            continue
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        rec = clean_document(resp.body, url=f"https://www.thepaper.cn/detail/{art.cont_id}")
        exp = expected_fields(art)
        assert got_fields(rec, exp) == exp


def test_mock_pages_over_real_http():
    ds = generate_dataset(60, 11)
    with MockSite(ds) as site:
        seen = set()
        for art in ds.articles():
            if art.kind == "external" or (art.kind, art.layout) in seen:
                continue
            seen.add((art.kind, art.layout))
            url = f"{site.base_url}/newsDetail_forward_{art.cont_id}"
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    body, status, headers = resp.read(), resp.status, dict(resp.headers)
            except urllib.error.HTTPError as err:
                body, status, headers = err.read(), err.code, dict(err.headers)
            rec = clean_document(body, url=url, headers=headers, status=status)
            exp = expected_fields(art)
            assert got_fields(rec, exp) == exp, (art.kind, art.layout)
            assert rec.mirror_host == "127.0.0.1"  # not a thepaper.cn host: recorded as the copy's host
    assert len(seen) >= 8


@pytest.mark.parametrize("damage", ["removed", "cut"])
def test_nextjs_dom_fallback_matches_the_generated_article(damage):
    """Without usable ``__NEXT_DATA__`` the rendered DOM alone gives the same record."""
    import re

    site = MockSite(generate_dataset(250, 4))
    checked = 0
    for art in site.dataset.articles():
        if art.layout != "nextjs" or art.kind in GONE_KINDS or art.kind == "external":
            continue
        page = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {}).body.decode("utf-8")
        if damage == "removed":
            page = re.sub(r'<script id="__NEXT_DATA__".*?</script>', "", page, flags=re.S)
        else:
            start = page.index('id="__NEXT_DATA__"')
            page = page[: start + (len(page) - start) // 2]  # JSON unterminated, DOM body complete
        rec = clean_document(page.encode("utf-8"), url=f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}")
        exp = expected_fields(art)
        assert got_fields(rec, exp) == exp, (art.cont_id, art.kind)
        checked += 1
    assert checked > 150


def _records_equal(a, b) -> bool:
    from dataclasses import asdict

    return asdict(a) == asdict(b)


@pytest.mark.parametrize("n,seed", [(300, 1), (200, 9)])
def test_the_essentials_of_a_list_item_clean_as_the_whole_item(n, seed):
    """A raw page's context keeps of its list item only what cleaning reads
    (cleaning.listitem.list_item_essentials): every mock article, cleaned from its page with the
    essentials, is the record cleaned with the whole item; so is the record made from the item
    alone (where every field comes from the item), and the essentials are a fraction of it."""
    import json

    from cleaning.listitem import list_item_essentials

    site = MockSite(generate_dataset(n, seed))
    ds = site.dataset
    whole_bytes = kept_bytes = 0
    for art in ds.articles():
        item = list_item(art, ds, ds.now_ms)
        kept = list_item_essentials(item)
        whole_bytes += len(json.dumps(item, ensure_ascii=False).encode())
        kept_bytes += len(json.dumps(kept, ensure_ascii=False).encode())
        assert _records_equal(record_from_list_item(kept), record_from_list_item(item)), art.cont_id
        if art.kind == "external":
            continue
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        args = dict(
            url=f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}",
            headers={"Content-Type": resp.content_type},
            status=resp.status,
        )
        try:
            whole = clean_document(resp.body, list_item=item, **args)
        except Exception as exc:  # the same refusal either way
            with pytest.raises(type(exc)):
                clean_document(resp.body, list_item=kept, **args)
            continue
        assert _records_equal(clean_document(resp.body, list_item=kept, **args), whole), art.cont_id
    assert kept_bytes * 2 < whole_bytes


def test_the_essentials_of_real_list_items():
    import json
    from pathlib import Path

    from cleaning.listitem import list_item_essentials

    real = json.loads(
        (Path(__file__).parent / "data" / "samples" / "api_list_item_32126241.json").read_text(encoding="utf-8")
    )
    pph = {
        "contId": "32000001",
        "name": "数据 | 深圳超级工厂  的夜班",
        "pubTimeLong": 1765110426207,
        "authorInfo": {"userId": 1, "sname": "集智俱乐部", "authInfo": "澎湃号·湃客"},
        "paywalled": True,
    }
    external = {"contId": "32000002", "name": "外链", "link": "https://example.com/a", "contType": 0}
    for item in (real, pph, external, {"contId": "3"}, {}):
        assert _records_equal(record_from_list_item(list_item_essentials(item)), record_from_list_item(item))
    assert list_item_essentials(pph)["authorInfo"] == {"sname": "集智俱乐部"}
