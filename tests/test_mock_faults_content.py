"""The mock's content faults: mislabelled charsets, malformed HTML that stays extractable or does
not, a broken ``__NEXT_DATA__``, and list API answers that are busy, lack fields or stall the
cursor; served by the mock and, as tables with negatives, the pure damage functions behind them."""

from __future__ import annotations

import http.client
import json
import re

import pytest
from lxml import html as lxml_html

from mocksite.render_api import flat
from mocksite import MockSite, fault_bodies as fb
from mocksite.fault_bodies import NEXT_DATA, html_tags_dropped
from mocksite.faults import request_key
from mocksite.server import loop_partner
from tests.mock_faults_helpers import NODE_API, arts, dom_text, ds, get, page, post_api, site, squash


# --------------------------------------------------------------------------- charset
_META = re.compile(rb"<meta[^>]*charset", re.I)


@pytest.mark.parametrize("layout", ["nextjs", "desktop_old", "mobile_2017"])
def test_charset_mislabels(site, arts, layout):
    art = arts[layout]
    full = get(site, page(art))[2]
    text = full.decode("utf-8")

    _, h, body = get(site, page(art) + "?f=charset_gbk_as_utf8")
    assert h["content-type"] == "text/html; charset=utf-8" and _META.search(body)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert dom_text(body, "gbk") == dom_text(full) and art.title in body.decode("gbk")
    nd = NEXT_DATA.search(body.decode("gbk"))
    assert (nd and json.loads(nd.group(2))) == (NEXT_DATA.search(text) and json.loads(NEXT_DATA.search(text).group(2)))

    _, h, body = get(site, page(art) + "?f=charset_utf8_as_gb2312")
    assert h["content-type"] == "text/html; charset=gb2312" and body == full
    assert body.decode("gb2312", errors="replace") != text

    _, h, body = get(site, page(art) + "?f=charset_missing")
    assert h["content-type"] == "text/html" and not _META.search(body)
    assert squash(art.title) in dom_text(body)
    for para in art.expected_paragraphs:
        assert squash(para) in dom_text(body)


def test_charset_faults_do_not_touch_json_or_robots(ds):
    rules = [{"pattern": "", "kind": "charset_gbk_as_utf8"}]
    with MockSite(ds, faults=rules) as s:
        status, doc = post_api(s, {"nodeId": 27234, "pageSize": 3, "startTime": ""})
        assert status == 200 and doc["code"] == 200
        assert get(s, "/robots.txt")[2].decode("utf-8").startswith("User-agent")
        assert s.faults.injected["charset_gbk_as_utf8"] == 0


# --------------------------------------------------------------------------- malformed HTML
@pytest.mark.parametrize("layout", ["nextjs", "desktop_old", "mobile_2017"])
@pytest.mark.parametrize("kind", ["html_unclosed", "html_tags_dropped"])
def test_malformed_html_that_stays_extractable(site, arts, layout, kind):
    art = arts[layout]
    full = get(site, page(art))[2].decode()
    body = get(site, page(art) + f"?f={kind}")[2]
    text = body.decode()
    assert text != full
    if kind == "html_unclosed":
        outside = re.sub(r"<script\b.*?</script>", "", text, flags=re.S)
        assert "</p>" not in outside and "</body>" not in outside and "</html>" not in outside
    else:
        tags = re.compile(r"</?(?:p|span|b|i|strong|em|a|br)(?:\s[^<>]*)?/?>")
        assert 0 < len(tags.findall(text)) < len(tags.findall(full))
        assert re.sub(tags, "", text) == re.sub(tags, "", full)  # only tags went
    doc = lxml_html.document_fromstring(text)
    assert any(squash(art.title) in squash(h.text_content()) for h in doc.iter("h1"))
    for para in art.expected_paragraphs:
        assert squash(para) in dom_text(body)
    m_new, m_old = NEXT_DATA.search(text), NEXT_DATA.search(full)
    assert (m_new and m_new.group(2)) == (m_old and m_old.group(2))


def test_html_tags_dropped_is_seeded_per_page(site, arts):
    target = page(arts["nextjs"]) + "?f=html_tags_dropped"
    assert get(site, target)[2] == get(site, target)[2]
    full = get(site, page(arts["nextjs"]))[2].decode()
    outs = {html_tags_dropped(full, seed) for seed in range(6)}
    assert len(outs) == 6
    plan = site.faults
    assert len({plan.content_seed(page(a) + "?f=html_tags_dropped") for a in arts.values()}) == 3


@pytest.mark.parametrize("layout", ["nextjs", "desktop_old", "mobile_2017"])
def test_html_body_missing_is_not_extractable(site, arts, layout):
    art = arts[layout]
    status, _, body = get(site, page(art) + "?f=html_body_missing")
    text = body.decode()
    assert status == 200 and text.rstrip().endswith("</title>")
    assert "__NEXT_DATA__" not in text and "<h1" not in text
    assert not any(squash(p) in squash(text) for p in art.expected_paragraphs)


# --------------------------------------------------------------------------- __NEXT_DATA__
@pytest.mark.parametrize("kind", ["nextdata_truncated", "nextdata_not_json"])
def test_broken_next_data_leaves_the_dom(site, arts, kind):
    art = arts["nextjs"]
    full = get(site, page(art))[2].decode()
    text = get(site, page(art) + f"?f={kind}")[2].decode()
    script = NEXT_DATA.search(text).group(2)
    original = NEXT_DATA.search(full).group(2)
    with pytest.raises(ValueError):
        json.loads(script)
    if kind == "nextdata_truncated":
        assert original.startswith(script) and 0.15 < len(script) / len(original) < 0.85
    doc = lxml_html.document_fromstring(text)
    wrap = doc.xpath('//div[contains(@class, "index_cententWrap")]')[0]
    want = [p for p in art.expected_paragraphs]
    assert [squash(p.text_content()) for p in wrap.iter("p")] == [squash(p) for p in want]
    assert NEXT_DATA.sub("", text) == NEXT_DATA.sub("", full)


@pytest.mark.parametrize("kind", ["nextdata_truncated", "nextdata_not_json"])
def test_next_data_faults_leave_old_layouts_alone(site, arts, kind):
    art = arts["desktop_old"]
    assert get(site, page(art) + f"?f={kind}")[2] == get(site, page(art))[2]


def test_next_data_truncation_point_varies_by_page(ds, site):
    news = [a for a in ds.articles() if a.kind == "news" and a.layout == "nextjs"][:6]
    ratios = set()
    for a in news:
        whole = NEXT_DATA.search(get(site, page(a))[2].decode()).group(2)
        cut = NEXT_DATA.search(get(site, page(a) + "?f=nextdata_truncated")[2].decode()).group(2)
        assert whole.startswith(cut)
        ratios.add(round(len(cut) / len(whole), 2))
    assert len(ratios) > 1


# --------------------------------------------------------------------------- list API
def api_site(ds, kind):
    return MockSite(ds, faults=[{"pattern": "^/contentapi/", "kind": kind, "times": 1}])


def test_api_busy_then_normal(ds):
    with api_site(ds, "api_busy") as s:
        req = {"nodeId": 27234, "pageSize": 10, "startTime": ""}
        status, doc = post_api(s, req)
        assert status == 200 and doc["code"] == 99998 and doc["data"] is None
        status, doc = post_api(s, req)
        assert doc["code"] == 200 and len(doc["data"]["list"]) == 10


def test_api_missing_fields(ds):
    with api_site(ds, "api_missing_fields") as s:
        status, doc = post_api(s, {"nodeId": 27234, "pageSize": 10, "startTime": ""})
    assert status == 200 and doc["code"] == 200
    assert not {"list", "hasNext", "startTime"} & set(doc["data"]) and doc["data"]["nodeInfo"]["nodeId"] == 27234


@pytest.mark.parametrize("kind", ["api_empty_hasnext", "api_cursor_stuck"])
def test_api_cursor_does_not_advance(ds, kind):
    with api_site(ds, kind) as s:
        first_req = {"nodeId": 27234, "pageSize": 5, "startTime": ""}
        assert post_api(s, first_req)[1]["data"]["startTime"] == ""  # the first answer of each key is damaged
        first_page = post_api(s, first_req)[1]["data"]
        cursor = first_page["startTime"]
        req = {"nodeId": 27234, "pageSize": 5, "startTime": cursor}
        bad = post_api(s, req)[1]["data"]
        good = post_api(s, req)[1]["data"]
    assert bad["startTime"] == cursor and bad["hasNext"] is True
    if kind == "api_empty_hasnext":
        assert bad["list"] == []
    else:
        assert bad["list"] == good["list"] and good["startTime"] != cursor
    assert good["list"] and all(int(it["pubTimeLong"]) < cursor for it in flat(good["list"]))


def test_api_faults_are_keyed_by_cursor_page(ds):
    with MockSite(ds, faults=[{"pattern": "^/contentapi/", "kind": "api_busy", "times": 1}]) as s:
        a = {"nodeId": 27234, "pageSize": 5, "startTime": ""}
        b = {"nodeId": 27234, "pageSize": 5, "startTime": 1_760_000_000_000}
        codes = [post_api(s, r)[1]["code"] for r in (a, a, b, b)]
    assert codes == [99998, 200, 99998, 200]
    reordered = b'{"startTime":"","pageSize":5,"nodeId":27234}'
    assert request_key(NODE_API, json.dumps(a).encode()) == request_key(NODE_API, reordered)


def test_api_kinds_leave_the_waf_page_alone(ds):
    with MockSite(ds, faults=[{"pattern": "^/contentapi/", "kind": "api_cursor_stuck"}]) as s:
        conn = http.client.HTTPConnection(s.host, s.port, timeout=60)
        conn.request("POST", NODE_API, body=b'{"nodeId":27234}', headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 403 and "WAF拦截页面" in r.read().decode()
        conn.close()


# --------------------------------------------------------------------------- pure damage functions
@pytest.mark.parametrize(
    "text,expected",
    [
        ("<div><p>a</p><p>b</p></div>", "<div><p>a<p>b</div>"),
        ("<ul><li>x</li></ul></body></html>", "<ul><li>x</ul>"),
        ("<script>var s='</p>';</script><p>t</p>", "<script>var s='</p>';</script><p>t"),
        ("<div>no optional tags</div>", "<div>no optional tags</div>"),  # unchanged
        ("", ""),
    ],
)
def test_html_unclosed_table(text, expected):
    assert fb.html_unclosed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<div><h1>t</h1></div>",  # no inline tags: unchanged
        '<p class="about_news">x<span id="y">z',  # marked start tags stay
        "<script>'<p>' + '<br/>'</script><title><b>t</b></title>",  # protected
    ],
)
def test_html_tags_dropped_leaves_these_alone(text):
    assert all(fb.html_tags_dropped(text, seed) == text for seed in range(20))


def test_html_tags_dropped_deletes_only_tags():
    text = "<div>" + "".join(f"<p>para {i}</p><br/>" for i in range(30)) + "</div>"
    out = fb.html_tags_dropped(text, 1)
    strip = re.compile(r"</?(?:p|br)/?>")
    assert strip.sub("", out) == strip.sub("", text) and 0.2 < 1 - len(strip.findall(out)) / 90 < 0.5


@pytest.mark.parametrize(
    "text,expected",
    [
        ("<html><head><title>T</title><meta/></head><body>x</body></html>", "<html><head><title>T</title>"),
        ("<p>" + "y" * 13, "<p"),  # no title: the first eighth
    ],
)
def test_html_body_missing_table(text, expected):
    assert fb.html_body_missing(text) == expected


@pytest.mark.parametrize("fn", [lambda t: fb.nextdata_truncated(t, 3), fb.nextdata_not_json])
def test_next_data_functions_leave_pages_without_it(fn):
    for text in ("<html><body><p>x</p></body></html>", '<script id="other" type="application/json">{}</script>'):
        assert fn(text) == text


@pytest.mark.parametrize(
    "kind,check",
    [
        ("api_busy", lambda d, req: d["code"] == 99998 and d["data"] is None),
        ("api_missing_fields", lambda d, req: d["code"] == 200 and set(d["data"]) == {"nodeInfo", "pageSize"}),
        (
            "api_empty_hasnext",
            lambda d, req: (
                d["data"]["list"] == [] and d["data"]["hasNext"] is True and d["data"]["startTime"] == req["startTime"]
            ),
        ),
        ("api_cursor_stuck", lambda d, req: d["data"]["list"] == [1, 2] and d["data"]["startTime"] == req["startTime"]),
    ],
)
def test_api_damage_table(kind, check):
    doc = {
        "code": 200,
        "desc": "成功",
        "time": 5,
        "data": {"list": [1, 2], "hasNext": False, "startTime": 90, "nodeInfo": {}, "pageSize": 2},
    }
    req = {"startTime": 123}
    out = fb.api_damage(kind, doc, req)
    assert check(out, req)
    assert doc["data"]["list"] == [1, 2] and doc["data"]["startTime"] == 90  # input not mutated


@pytest.mark.parametrize("body", [b"<html>WAF</html>", b"[1,2]", b'{"code":200,"data":null}'])
def test_api_body_passes_non_list_answers(body):
    for kind in ("api_missing_fields", "api_empty_hasnext", "api_cursor_stuck"):
        assert fb.api_body(kind, body, b"{}") == body


@pytest.mark.parametrize(
    "target,partner",
    [
        ("/newsDetail_forward_1", "/newsDetail_forward_1?_mockloop=1"),
        ("/newsDetail_forward_1?_mockloop=1", "/newsDetail_forward_1"),
        ("/a?x=1", "/a?x=1&_mockloop=1"),
        ("/a?x=1&_mockloop=1", "/a?x=1"),
        ("/a?x_mockloop=1", "/a?x_mockloop=1&_mockloop=1"),
    ],
)
def test_loop_partner_table(target, partner):
    assert loop_partner(target) == partner and loop_partner(partner) == target
