"""The mock site's pages, as the real site serves them: Next.js article pages of every kind, live,
gone and external pages, the old desktop and 2017 mobile layouts, share routes, HTTP details,
channel and column pages, robots.txt and the hit counter."""

from __future__ import annotations

import html
import json
import re
import urllib.robotparser

import pytest
from lxml import html as lxml_html

from mocksite import MockSite, Paragraph
from mocksite.dataset import TECH_CHANNEL
from mocksite.render_api import flat, list_data
from tests.mocksite_helpers import NODE_PATH, ds, first_of, get, next_data, p_texts, page_text, post, site


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
