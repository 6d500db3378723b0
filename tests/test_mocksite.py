"""The offline mock of thepaper.cn, checked over real HTTP on loopback."""

from __future__ import annotations

import html
import http.client
import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter

import pytest
from lxml import html as lxml_html

from mocksite import Figure, MockSite, Paragraph, generate_dataset
from mocksite.dataset import GONE_KINDS, KINDS, NODES, PPH_NODE, TECH_CHANNEL
from mocksite.render_api import flat, list_data

NODE_PATH = "/contentapi/nodeCont/getByNodeIdPortal"
CHANNEL_PATH = "/contentapi/nodeCont/getByChannelId"
NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def ds():
    return generate_dataset(300, seed=1)


@pytest.fixture(scope="module")
def site(ds):
    with MockSite(ds) as s:
        yield s


def post(site, path, body, headers=None):
    if headers is None:
        headers = {"Referer": site.base_url + "/", "Content-Type": "application/json"}
    req = urllib.request.Request(site.base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get(site, path):
    try:
        with urllib.request.urlopen(site.base_url + path, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def page_text(site, art) -> tuple[int, str]:
    status, _, body = get(site, f"/newsDetail_forward_{art.cont_id}")
    return status, body.decode("utf-8")


def next_data(text: str) -> dict:
    return json.loads(NEXT_DATA.search(text).group(1))


def p_texts(fragment: str) -> list[str]:
    doc = lxml_html.fragment_fromstring(fragment, create_parent="div")
    return [p.text_content() for p in doc.iter("p")]


def walk(site, path, body_base, page_size, *, raw_entries: bool = False):
    """Follow the cursor to the end; return the list of pages (each a list of items, nested
    ones taken out unless ``raw_entries``)."""
    pages, start = [], ""
    for _ in range(1000):
        status, _, raw = post(site, path, dict(body_base, pageSize=page_size, startTime=start, pageNum=1))
        assert status == 200
        doc = json.loads(raw)
        assert doc["code"] == 200 and doc["desc"] == "成功"
        pages.append(doc["data"]["list"] if raw_entries else flat(doc["data"]["list"]))
        if not doc["data"]["hasNext"]:
            return pages
        start = doc["data"]["startTime"]
    raise AssertionError("cursor never ended")


def first_of(ds, kind, layout="nextjs"):
    return next(a for a in ds.articles() if a.kind == kind and a.layout == layout)


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


# --------------------------------------------------------------------------- article pages
LICENCE = (
    "沪ICP备14003370号",
    "沪公网安备31010602000299号",
    "互联网新闻信息服务许可证：31120170006",
    "增值电信业务经营许可证：沪B2-2017116",
    "© 2014-2026 上海东方报业有限公司",
)


def _check_nextjs_common(art, text):
    for marker in (
        "澎湃Logo",
        "下载客户端",
        "登录",
        "+1",
        "收藏",
        "我要举报",
        "查看更多",
        "扫码下载澎湃新闻客户端",
    ) + LICENCE:
        assert marker in text, marker
    assert re.search(r'<h1 class="index_title__\w{5}">', text)
    assert re.search(r'<div class="index_left__\w{5}">', text)
    assert art.pub_time.strftime("%Y-%m-%d %H:%M") in text
    assert f"来源：{html.escape(art.source)}" in text


@pytest.mark.parametrize("kind", ["news", "pph", "video", "paywalled"])
def test_nextjs_article_page(site, ds, kind):
    art = first_of(ds, kind)
    status, text = page_text(site, art)
    assert status == 200
    _check_nextjs_common(art, text)
    title = re.search(r"<title>(.*?)</title>", text).group(1)
    if kind == "pph":
        assert re.fullmatch(re.escape(html.escape(art.title)) + r"_澎湃号·(湃客|媒体)_澎湃新闻-The Paper", title)
        assert "原创" in text and "本文为澎湃号作者或机构在澎湃新闻上传并发布" in text
        assert "责任编辑：" not in text
    else:
        assert title == html.escape(f"{art.title}_{art.node_name}_澎湃新闻-The Paper")
        assert f"{html.escape(art.node_name)} &gt;" in text and "字号" in text
        if art.editor:
            assert f"责任编辑：{art.editor}" in text
    nd = next_data(text)
    assert nd["props"]["pageProps"]["contId"] == str(art.cont_id)
    cd = nd["props"]["pageProps"]["detailData"]["contentDetail"]
    assert cd["name"] == art.title and cd["summary"] == art.summary and cd["author"] == art.author_raw
    assert cd["pubTime"] == art.pub_time.strftime("%Y-%m-%d %H:%M") and cd["publishTime"] == art.pub_ms
    assert [t["tag"] for t in cd["tagList"]] == art.tags and cd["tags"] == ",".join(art.tags)
    assert cd["nodeInfo"]["nodeId"] == art.node_id
    assert cd["paywalled"] is (kind == "paywalled")
    if kind == "video":
        assert cd["videos"]["url"] == art.video_url and "<video" in text
        assert nd["props"]["pageProps"]["detailData"]["contType"] == 1
    else:
        assert "videos" not in cd
    if kind == "paywalled":
        assert "订阅后阅读全文" in text
        hidden = [b.text for b in art.blocks[2:] if isinstance(b, Paragraph)]
        assert hidden and not any(html.escape(t) in text for t in hidden)


def test_nextjs_content_holds_exactly_the_expected_paragraphs(site, ds):
    checked = 0
    for art in ds.articles():
        if art.layout != "nextjs" or art.kind not in ("news", "pph", "video", "paywalled"):
            continue
        status, text = page_text(site, art)
        assert status == 200
        cd = next_data(text)["props"]["pageProps"]["detailData"]["contentDetail"]
        assert p_texts(cd["content"]) == art.expected_paragraphs
        assert re.findall(r'data-src="([^"]+)"', cd["content"]) == [f.src for f in art.figures]
        doc = lxml_html.fromstring(text)
        wrap = doc.xpath('//div[starts-with(@class, "index_cententWrap__")]')
        assert len(wrap) == 1
        assert [p.text_content() for p in wrap[0].iter("p")] == art.expected_paragraphs
        checked += 1
    assert checked > 100


def test_front_end_builds_vary_the_class_hashes(site, ds):
    suffixes = set()
    for art in ds.articles()[100:140]:
        if art.layout == "nextjs" and art.kind == "news":
            m = re.search(r'class="index_cententWrap__(\w+)"', page_text(site, art)[1])
            suffixes.add(m.group(1))
    assert len(suffixes) >= 2


def test_live_page(site, ds):
    art = first_of(ds, "live")
    status, text = page_text(site, art)
    assert status == 200
    detail = next_data(text)["props"]["pageProps"]["detailData"]
    assert detail["contType"] == 8 and "contentDetail" not in detail
    live = detail["liveDetail"]
    assert live["name"] == art.title and live["summary"] == art.summary
    assert live["pubTime"] == art.pub_time.strftime("%Y-%m-%d %H:%M")
    assert [m["content"] for m in live["liveList"]] == art.expected_paragraphs
    assert len(art.expected_paragraphs) >= 3
    for t in art.expected_paragraphs:
        assert html.escape(t) in text


@pytest.mark.parametrize("kind", ["gone_404", "external"])
def test_pages_that_answer_404(site, ds, kind):
    art = first_of(ds, kind)
    status, text = page_text(site, art)
    assert status == 404 and "404" in text and art.title not in text


def test_gone_null_page(site, ds):
    art = first_of(ds, "gone_null")
    status, text = page_text(site, art)
    assert status == 200 and "内容不存在" in text and art.title not in text
    detail = next_data(text)["props"]["pageProps"]["detailData"]
    assert "contentDetail" in detail and detail["contentDetail"] is None


def test_gone_offline_page(site, ds):
    art = first_of(ds, "gone_offline", "desktop_old")
    status, text = page_text(site, art)
    assert status == 200
    assert re.search(r'<p class="news_txt"[^>]*>此文章已下线</p>', text)
    assert "__NEXT_DATA__" not in text and art.title not in text


def _in_order(text: str, parts: list[str]) -> bool:
    pos = 0
    for part in parts:
        pos = text.find(html.escape(part), pos)
        if pos < 0:
            return False
        pos += len(part)
    return True


def test_desktop_old_page(site, ds):
    for art in [a for a in ds.articles() if a.layout == "desktop_old" and a.kind == "news"]:
        status, text = page_text(site, art)
        assert status == 200 and "__NEXT_DATA__" not in text
        doc = lxml_html.fromstring(text)
        assert doc.xpath('string(//div[@class="newscontent"]/h1[@class="news_title"])') == art.title
        about = doc.xpath('//div[@class="news_about"]/p')
        assert about[0].text_content() == art.author_raw
        assert art.pub_time.strftime("%Y-%m-%d %H:%M") in about[1].text_content()
        assert about[1].xpath("string(span[1])") == "来源：澎湃新闻"
        body = doc.xpath('//div[@class="news_txt"]')[0]
        assert _in_order(lxml_html.tostring(body, encoding="unicode"), art.expected_paragraphs)
        kw = doc.xpath('string(//div[@class="news_keyword"])')
        assert kw.startswith("关键词 >> ") and kw.split(">> ")[1].split() == art.tags
        editor = doc.xpath('string(//div[@class="news_editor"])')
        assert editor == (f"责任编辑：{art.editor}" if art.editor else "")


def test_mobile_2017_page(site, ds):
    arts = [a for a in ds.articles() if a.layout == "mobile_2017"]
    assert arts
    for art in arts:
        status, text = page_text(site, art)
        assert status == 200 and "@@" not in text and "1787647" not in text
        doc = lxml_html.fromstring(text)
        assert doc.xpath('string(//h1[@class="t_newsinfo"])') == art.title
        about = doc.xpath('//p[@class="about_news"]')
        assert len(about) == 2 and about[0].text_content() == art.author_raw
        assert art.pub_time.strftime("%Y-%m-%d %H:%M") in about[1].text_content()
        assert "来源：澎湃新闻" in about[1].text_content()
        body = doc.xpath('//div[contains(@class, "news_part")]')[0]
        assert _in_order(lxml_html.tostring(body, encoding="unicode"), art.expected_paragraphs)
        bl = doc.xpath('string(//div[@class="news_bl"])')
        assert "未经授权不得转载" in bl and (f"责任编辑：{art.editor}" in bl) is bool(art.editor)
        assert f"<title>{html.escape(art.title)}_{html.escape(art.node_name)}_澎湃新闻-The Paper</title>" in text


def test_detail_route_and_share_variant_serve_the_same_page(site, ds):
    art = first_of(ds, "news")
    a = get(site, f"/newsDetail_forward_{art.cont_id}")[2]
    b = get(site, f"/detail/{art.cont_id}")[2]
    c = get(site, f"/newsDetail_forward_{art.cont_id}?commTag=true")[2]
    assert a == b == c


def test_http_details(site, ds):
    art = first_of(ds, "news")
    status, headers, body = get(site, f"/newsDetail_forward_{art.cont_id}")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    status, headers, body = post(site, NODE_PATH, {"nodeId": 27234, "pageSize": 3, "startTime": ""})
    assert headers["Content-Type"] == "application/json;charset=UTF-8"
    assert int(headers["Content-Length"]) == len(body)
    for path in ("/nothing", "/newsDetail_forward_999", "/list_1", "/channel_2"):
        status, headers, body = get(site, path)
        assert status == 404 and headers["Content-Type"].startswith("text/html")


def test_channel_and_column_pages_embed_the_first_list_page(site, ds):
    for path, kw in ((f"/channel_{TECH_CHANNEL}", {"channel_id": TECH_CHANNEL}), ("/list_27234", {"node_id": 27234})):
        status, _, body = get(site, path)
        text = body.decode("utf-8")
        assert status == 200
        data = next_data(text)["props"]["pageProps"]["data"]
        assert dict(data, list=flat(data["list"])) == json.loads(json.dumps(list_data(ds, **kw), ensure_ascii=False))
        links = re.findall(r'<a href="/newsDetail_forward_(\d+)">', text)
        assert links and set(links) == {it["contId"] for it in data["list"] if not it["link"]}


def test_robots_txt(site, ds):
    status, headers, body = get(site, "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert text.startswith("User-agent: *\n")
    listed = {int(x) for x in re.findall(r"Disallow: /newsDetail_forward_(\d+)", text)}
    flagged = {a.cont_id for a in ds.articles() if a.robots_disallowed}
    assert listed == flagged and listed
    assert {ds.by_id(c).kind for c in listed} == {"gone_offline"}
    assert len(listed) < sum(a.kind == "gone_offline" for a in ds.articles())
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(text.splitlines())
    assert not rp.can_fetch("*", f"{site.base_url}/newsDetail_forward_{min(listed)}")
    assert rp.can_fetch("*", f"{site.base_url}/newsDetail_forward_{first_of(ds, 'news').cont_id}")


def test_hit_counter(ds):
    with MockSite(ds) as s:
        art = first_of(ds, "news")
        get(s, f"/newsDetail_forward_{art.cont_id}")
        get(s, f"/detail/{art.cont_id}")
        get(s, "/robots.txt")
        post(s, NODE_PATH, {"nodeId": 27234})
        assert s.hits[f"/newsDetail_forward_{art.cont_id}"] == 1 and s.hits[NODE_PATH] == 1
        assert s.hits_article_pages() == 2
        s.reset_hits()
        assert s.hits_article_pages() == 0


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
