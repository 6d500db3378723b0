"""The mock site's data set and its life: every kind and layout is present, ids and times increase
together, paragraphs, bylines and metadata agree, a seed gives the same data and the same bytes,
added and edited articles show on the site, and faults fire as configured and seeded."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections import Counter

import pytest

from mocksite import Figure, MockSite, Paragraph, generate_dataset
from mocksite.dataset import GONE_KINDS, KINDS, NODES, PPH_NODE, TECH_CHANNEL
from mocksite.render_api import list_data
from tests.mocksite_helpers import CHANNEL_PATH, ds, first_of, get, next_data, p_texts, page_text, post, walk


# --------------------------------------------------------------------------- data set
def test_every_kind_and_layout_is_present(ds):
    arts = ds.articles()
    kinds = Counter(a.kind for a in arts)
    assert set(kinds) == set(KINDS)
    news = [a for a in arts if a.kind == "news"]
    layouts = Counter(a.layout for a in news)
    for layout in ("desktop_old", "mobile_2017"):
        assert 0.04 <= layouts[layout] / len(news) <= 0.2
    assert {a.layout for a in arts if a.kind not in ("news", "gone_offline")} == {"nextjs"}
    assert {a.layout for a in arts if a.kind == "gone_offline"} == {"desktop_old"}


def test_ids_and_times_increase_together(ds):
    arts = ds.articles()
    assert [a.cont_id for a in arts] == sorted({a.cont_id for a in arts})
    assert [a.pub_ms for a in arts] == sorted({a.pub_ms for a in arts})
    assert any(b.cont_id - a.cont_id > 1 for a, b in zip(arts, arts[1:]))
    for a in arts:
        assert a.pub_time.second == 0 and a.pub_time.utcoffset().total_seconds() == 8 * 3600
        assert a.pub_ms // 60000 * 60 == int(a.pub_time.timestamp())
        assert ds.by_id(a.cont_id).cont_id == a.cont_id
        assert ds.by_id(a.cont_id + 1) is None and ds.by_id(a.cont_id - 1) is None
    assert sum(a.cont_id >= 32_000_000 for a in arts) > len(arts) * 0.8
    assert ds.by_id(5) is None and ds.by_id(arts[-1].cont_id + 10_000) is None


def test_expected_paragraphs_follow_blocks(ds):
    for a in ds.articles():
        if a.kind in GONE_KINDS or a.kind == "external":
            assert a.expected_paragraphs == []
            continue
        blocks = a.blocks[:2] if a.kind == "paywalled" else a.blocks
        want = [
            b.text if isinstance(b, Paragraph) else b.caption for b in blocks if isinstance(b, Paragraph) or b.caption
        ]
        assert a.expected_paragraphs == want
        assert len(set(want)) == len(want), "a paragraph repeats within one article"
        if a.kind in ("news", "pph"):
            body = [
                b for b in a.blocks if isinstance(b, Paragraph) and not b.text.startswith(("作者|", "编辑|", "出品|"))
            ]
            assert 3 <= len(body) <= 9
        for f in a.blocks:
            if isinstance(f, Figure):
                assert f.src.startswith("https://imgpai.thepaper.cn/")


def test_bylines_and_metadata_are_consistent(ds):
    forms = Counter()
    for a in ds.articles():
        raw = a.author_raw
        if "/@" in raw:
            forms["repost"] += 1
            assert (a.author, a.author_outlet) == tuple(raw.split("/@"))
        elif raw.startswith("澎湃新闻实习生"):
            forms["two"] += 1
            assert a.author == " ".join(raw.replace("澎湃新闻实习生", "").replace("记者", "").split())
        elif raw.startswith("澎湃新闻记者"):
            forms["one"] += 1
            assert a.author == raw.split()[-1]
        else:  # a 澎湃号 post's outlet is its account
            assert a.author == raw and a.author_outlet == (a.pph_account if a.kind == "pph" else "")
        node = NODES[a.node_id]
        assert (a.node_name, a.channel_id, a.channel_name) == (node.name, node.channel_id, node.channel_name)
        if a.kind == "pph":
            assert a.node_id == PPH_NODE and a.source.startswith("澎湃新闻·澎湃号·")
            credit = [t for t in a.expected_paragraphs if t.startswith("编辑|")]
            assert a.editor == (credit[0][3:] if credit else "")
        else:
            assert a.source == "澎湃新闻"
    assert forms["repost"] and forms["two"] and forms["one"]
    assert any("｜" in a.title for a in ds.articles())
    text = "".join(t for a in ds.articles() for t in a.expected_paragraphs)
    for word in ("备案", "许可证", "客户端", "GPU", "“", "，", "。"):
        assert word in text


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = generate_dataset(80, 5), generate_dataset(80, 5), generate_dataset(80, 6)
    assert [x.__dict__ for x in a.articles()] == [x.__dict__ for x in b.articles()]
    assert [x.title for x in a.articles()] != [x.title for x in c.articles()]


def test_large_data_set_is_lazy():
    big = generate_dataset(100_000, seed=3)
    last = big.plan(99_999)
    art = big.by_id(last.cont_id)
    assert art.index == 99_999 and big.built == 1
    data = list_data(big, channel_id=TECH_CHANNEL, start_time="", page_size=20)
    assert len(data["list"]) >= 20 and data["hasNext"]
    assert big.built <= 1 + 20 + 3
    pinned = len(big.pinned(TECH_CHANNEL))
    newest = big.list_indices(channel_id=TECH_CHANNEL)[-20:][::-1]
    assert [int(it["contId"]) for it in data["list"][pinned:]] == [big.plan(i).cont_id for i in newest]
    assert newest[0] == 99_999 or big.plan(99_999).node_id not in (
        n for n, node in NODES.items() if node.channel_id == TECH_CHANNEL
    )


# --------------------------------------------------------------------------- determinism, mutations
def test_same_seed_serves_the_same_bytes():
    paths = ["/robots.txt", "/channel_119908", "/list_25434"]
    bodies = []
    for _ in range(2):
        d = generate_dataset(120, seed=9)
        with MockSite(d) as s:
            arts = d.articles()
            out = [get(s, p)[2] for p in paths]
            out += [get(s, f"/newsDetail_forward_{a.cont_id}")[2] for a in arts[::7]]
            out += [post(s, CHANNEL_PATH, {"channelId": "119908", "pageSize": 30, "startTime": ""})[2]]
            bodies.append(out)
    assert bodies[0] == bodies[1]


def test_add_articles_puts_new_ones_on_top():
    d = generate_dataset(60, seed=2)
    with MockSite(d) as s:
        before = walk(s, CHANNEL_PATH, {"channelId": "119908"}, 20)
        old_now = d.now_ms
        new = d.add_articles(5)
        assert len(d) == 65 and d.now_ms > old_now
        assert min(a.pub_ms for a in new) > max(a.pub_ms for a in d.articles()[:60])
        tech = [a for a in new if a.channel_id == TECH_CHANNEL]
        after = walk(s, CHANNEL_PATH, {"channelId": "119908"}, 20)
        pinned = len(d.pinned(TECH_CHANNEL))
        top = [int(it["contId"]) for it in after[0][pinned : pinned + len(tech)]]
        assert top == sorted((a.cont_id for a in tech), reverse=True)
        assert {int(i["contId"]) for p in after for i in p} - {int(i["contId"]) for p in before for i in p} == {
            a.cont_id for a in tech
        }
        for a in new:
            status, _ = page_text(s, a)
            assert status == (404 if a.kind in ("gone_404", "external") else 200)


def test_edit_changes_the_served_page():
    d = generate_dataset(60, seed=2)
    art = next(a for a in d.articles() if a.kind == "news" and a.layout == "nextjs")
    with MockSite(d) as s:
        page_text(s, art)  # fill the page cache
        edited = d.edit(art.cont_id, title="改过的标题：芯片产能", paragraphs=["第一段改写。", "第二段新增内容。"])
        assert edited.version == 2 and d.by_id(art.cont_id).title == "改过的标题：芯片产能"
        assert edited.expected_paragraphs == ["第一段改写。", "第二段新增内容。"]
        status, text = page_text(s, art)
        cd = next_data(text)["props"]["pageProps"]["detailData"]["contentDetail"]
        assert cd["name"] == "改过的标题：芯片产能"
        assert p_texts(cd["content"]) == edited.expected_paragraphs
        d.edit(art.cont_id, paragraphs=["只剩一段。"])
        assert d.by_id(art.cont_id).title == "改过的标题：芯片产能"
        cd = next_data(page_text(s, art)[1])["props"]["pageProps"]["detailData"]["contentDetail"]
        assert p_texts(cd["content"]) == ["只剩一段。"]
    with pytest.raises(KeyError):
        d.edit(123, title="x")


# --------------------------------------------------------------------------- faults
def test_faults_fire_as_configured(ds):
    art = first_of(ds, "news")
    path = f"/newsDetail_forward_{art.cont_id}"
    faults = [
        {"pattern": re.escape(path) + "$", "kind": "503", "times": 2},
        {"pattern": "^/robots", "kind": "truncate"},
        {"pattern": "^/list_", "kind": "reset"},
        {"pattern": "^/channel_", "kind": "waf403"},
    ]
    with MockSite(ds, faults=faults) as s:
        assert [get(s, path)[0] for _ in range(3)] == [503, 503, 200]
        with pytest.raises(http.client.IncompleteRead):
            urllib.request.urlopen(s.base_url + "/robots.txt", timeout=10).read()
        with pytest.raises((ConnectionError, urllib.error.URLError, http.client.RemoteDisconnected)):
            urllib.request.urlopen(s.base_url + "/list_27234", timeout=10).read()
        status, _, body = get(s, "/channel_119908")
        assert status == 403 and "WAF拦截页面" in body.decode()
        assert s.faults.injected["503"] == 2


def test_fault_rate_is_seeded():
    from mocksite.faults import FaultInjector

    def run(seed):
        inj = FaultInjector([{"pattern": "forward", "kind": "500", "rate": 0.3}], seed)
        return [inj.decide(f"/newsDetail_forward_{i % 40}") is not None for i in range(400)]

    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert 0.2 < sum(a) / len(a) < 0.4
    with pytest.raises(ValueError):
        FaultInjector([{"pattern": "x", "kind": "explode"}])
