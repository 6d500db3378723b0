"""The mock site's list API, as the real one answers: the column and channel cursors visit every
article once with pinned items first, items have the real shape, and the WAF refuses requests
without a referer, JSON content type or valid body."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import Counter

import pytest

from mocksite.dataset import TECH_CHANNEL
from mocksite.render_api import flat
from tests.mocksite_helpers import CHANNEL_PATH, NODE_PATH, ds, post, site, walk


# --------------------------------------------------------------------------- list API
@pytest.mark.parametrize("node_id", [27234, 119448, 25434, 119446])
@pytest.mark.parametrize("page_size", [7, 20])
def test_column_cursor_visits_every_article_once(site, ds, node_id, page_size):
    pages = walk(site, NODE_PATH, {"nodeId": node_id, "excludeContIds": []}, page_size)
    items = [it for p in pages for it in p]
    ids = [int(it["contId"]) for it in items]
    want = sorted((a.cont_id for a in ds.articles() if a.node_id == node_id), reverse=True)
    assert ids == want
    assert all(len(p) == page_size for p in pages[:-1])
    times = [it["pubTimeLong"] for it in items]
    assert times == sorted(times, reverse=True)


def test_list_items_have_the_real_shape(site, ds):
    pages = walk(site, CHANNEL_PATH, {"channelId": str(TECH_CHANNEL)}, 50, raw_entries=True)
    entries = [e for p in pages for e in p]
    nested = [e for e in entries if isinstance(e, list)]
    assert nested and all(len(e) == 1 for e in nested)  # some items nested in one-element lists
    items = {it["contId"]: it for e in entries for it in (e if isinstance(e, list) else [e])}
    assert any(" | " in it["name"] for it in items.values())
    for cid, it in items.items():
        art = ds.by_id(int(cid))
        assert isinstance(it["contId"], str) and "summary" not in it
        assert it["name"] == art.title and it["pubTimeLong"] == art.pub_ms
        if art.kind == "pph":  # 澎湃号 items: the account, no column
            assert "nodeInfo" not in it and it["authorInfo"]["sname"] == art.pph_account
        else:
            assert it["nodeInfo"]["nodeId"] == art.node_id and it["nodeInfo"]["parentId"] == art.channel_id
        assert [t["tag"] for t in it["tagList"]] == art.tags
        assert isinstance(it["interactionNum"], str) and isinstance(it["praiseTimes"], str)
        assert "isOutForward" in it and "isOutForword" in it
        assert it["paywalled"] is (art.kind == "paywalled")
        assert ("authorInfo" in it) is (art.kind == "pph")
        assert re.fullmatch(r"\d+(分钟|小时|天)前|\d{4}-\d{2}-\d{2}", it["pubTime"])
        if art.kind == "external":
            assert it["link"] == art.external_url and "thepaper.cn" not in it["link"]
        else:
            assert it["link"] == ""
    kinds = {ds.by_id(int(c)).kind for c in items}
    assert {"gone_404", "gone_null", "external"} <= kinds
    assert any(re.fullmatch(r"\d+小时前", it["pubTime"]) for it in items.values())


def test_channel_pins_items_first_without_breaking_the_cursor(site, ds):
    status, _, raw = post(
        site,
        CHANNEL_PATH,
        {
            "channelId": "119908",
            "excludeContIds": [],
            "listRecommendIds": [],
            "province": None,
            "pageSize": 20,
            "startTime": "",
            "pageNum": 1,
        },
    )
    data = json.loads(raw)["data"]
    pinned = ds.pinned(TECH_CHANNEL)
    assert 2 <= len(pinned) <= 3
    first = flat(data["list"])
    head = [int(it["contId"]) for it in first[: len(pinned)]]
    assert head == [ds.article(i).cont_id for i in pinned]
    rest = first[len(pinned) :]
    assert rest[0]["pubTimeLong"] > max(it["pubTimeLong"] for it in first[: len(pinned)])
    assert data["startTime"] == rest[-1]["pubTimeLong"]
    pages = walk(site, CHANNEL_PATH, {"channelId": "119908"}, 20)
    seen = Counter(int(it["contId"]) for p in pages for it in p)
    want = {a.cont_id for a in ds.articles() if a.channel_id == TECH_CHANNEL}
    assert set(seen) == want
    assert {c for c, n in seen.items() if n > 1} == set(head)
    assert all(n <= 2 for n in seen.values())
    assert any(a.kind == "pph" for a in map(ds.by_id, seen))


def test_list_after_the_last_item_is_empty(site, ds):
    oldest = min(a.pub_ms for a in ds.articles() if a.node_id == 27234)
    status, _, raw = post(site, NODE_PATH, {"nodeId": 27234, "pageSize": 20, "startTime": oldest})
    data = json.loads(raw)["data"]
    assert data["list"] == [] and data["hasNext"] is False


def test_waf_blocks_api_requests_without_referer(site):
    status, headers, body = post(site, NODE_PATH, {"nodeId": 27234}, {"Content-Type": "application/json"})
    assert status == 403
    assert headers["Content-Type"].startswith("text/html")
    assert "WAF拦截页面" in body.decode("utf-8")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_busy_without_json_content_type(site, ctype):
    headers = {"Referer": site.base_url + "/"}
    if ctype:
        headers["Content-Type"] = ctype
    status, _, body = post(site, NODE_PATH, {"nodeId": 27234}, headers)
    assert status == 200
    doc = json.loads(body)
    assert doc["code"] == 99998 and doc["desc"] == "系统繁忙"


def test_get_on_api_path_is_refused(site):
    req = urllib.request.Request(site.base_url + NODE_PATH, headers={"Referer": site.base_url + "/"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 405


def test_bad_json_body_is_busy(site):
    req = urllib.request.Request(
        site.base_url + NODE_PATH,
        data=b"{not json",
        method="POST",
        headers={"Referer": "x", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read())["code"] == 99998
