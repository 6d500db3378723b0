"""Fault injection in the mock site: each kind's wire behaviour over loopback, and the
seeded decisions (transient/permanent, mixes, expected outcomes)."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import zlib

import pytest

from mocksite.render_api import flat
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from mocksite import MockSite, generate_dataset
from mocksite import fault_bodies as fb
from mocksite import __main__ as mock_main
from mocksite.fault_bodies import NEXT_DATA, html_tags_dropped
from mocksite.faults import ALL, KINDS, PAGES, FaultMix, FaultPlan, FaultRule, closed_port, path_class, request_key
from mocksite.server import loop_partner

NODE_API = "/contentapi/nodeCont/getByNodeIdPortal"
API_HEADERS = {"Referer": "https://www.thepaper.cn/", "Content-Type": "application/json"}
ARTICLE_KINDS = [k for k, info in KINDS.items() if "article" in info.targets]


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def ds():
    return generate_dataset(300, seed=1)


def first(ds, layout, kind="news"):
    return next(a for a in ds.articles() if a.kind == kind and a.layout == layout)


@pytest.fixture(scope="module")
def arts(ds):
    return {layout: first(ds, layout) for layout in ("nextjs", "desktop_old", "mobile_2017")}


@pytest.fixture(scope="module")
def site(ds):
    """One rule per kind, selected by the query ``?f=<kind>`` (routing ignores the query)."""
    rules = [{"pattern": rf"[?&]f={k}$", "kind": k, "delay": 0.4, "size": 3 << 20} for k in KINDS]
    with MockSite(ds, faults={"rules": rules, "seed": 5, "max_delay": 5}) as s:
        yield s


def raw(site, target, method="GET", body=b"", headers=None, timeout=5.0):
    """Send one request on a fresh socket; return (bytes received, error that ended the read or None)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {site.host}:{site.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    sock = socket.create_connection((site.host, site.port), timeout=timeout)
    parts, err = [], None
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            parts.append(chunk)
    except OSError as exc:
        err = exc
    finally:
        sock.close()
    return b"".join(parts), err


def split(data: bytes) -> tuple[int, dict, bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete header block in {data[:200]!r}"
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def get(site, target, timeout=5.0):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=timeout)
    try:
        conn.request("GET", target)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post_api(site, payload: dict, target=NODE_API):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        conn.request("POST", target, body=json.dumps(payload).encode(), headers=API_HEADERS)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def page(art) -> str:
    return f"/newsDetail_forward_{art.cont_id}"


def parse_chunks(body: bytes) -> tuple[list[bytes], bool, bytes]:
    """(well-formed chunks, saw the final 0-size chunk, the first size line that is not hex)."""
    chunks, pos = [], 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        line = body[pos:end]
        if not re.fullmatch(rb"[0-9a-fA-F]+", line):
            return chunks, False, line
        n = int(line, 16)
        if n == 0:
            return chunks, True, b""
        chunks.append(body[end + 2 : end + 2 + n])
        pos = end + 2 + n + 2
    return chunks, False, b""


def dom_text(html_bytes: bytes, encoding="utf-8") -> str:
    doc = lxml_html.document_fromstring(html_bytes.decode(encoding))
    for s in doc.iter("script", "style"):
        s.drop_tree()
    return re.sub(r"\s+", "", doc.text_content())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- status faults
@pytest.mark.parametrize(
    "kind,status,retry_after,marker",
    [
        ("500", 500, None, "500 Internal Server Error"),
        ("502", 502, None, "502 Bad Gateway"),
        ("503", 503, None, "503 Service Unavailable"),
        ("504", 504, None, "504 Gateway Timeout"),
        ("429", 429, "1", "429 Too Many Requests"),
        ("waf403", 403, "1", "WAF拦截页面"),
    ],
)
def test_status_faults(site, arts, kind, status, retry_after, marker):
    got, headers, body = get(site, f"{page(arts['nextjs'])}?f={kind}")
    assert got == status
    assert headers.get("retry-after") == retry_after
    assert marker in body.decode("utf-8")
    assert arts["nextjs"].title not in body.decode("utf-8")


def test_retry_after_is_configurable(ds, arts):
    rules = [
        {"pattern": "a=1", "kind": "429", "retry_after": 7},
        {"pattern": "a=2", "kind": "waf403", "retry_after": None},
    ]
    with MockSite(ds, faults=rules) as s:
        assert get(s, page(arts["nextjs"]) + "?a=1")[1]["retry-after"] == "7"
        status, headers, _ = get(s, page(arts["nextjs"]) + "?a=2")
        assert status == 403 and "retry-after" not in headers


def test_status_fault_keeps_the_connection_usable(site, arts):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=5)
    try:
        conn.request("GET", page(arts["nextjs"]) + "?f=503")
        r = conn.getresponse()
        assert r.status == 503
        r.read()
        conn.request("GET", page(arts["nextjs"]))
        r = conn.getresponse()
        assert r.status == 200 and arts["nextjs"].title in r.read().decode()
    finally:
        conn.close()


# --------------------------------------------------------------------------- connection faults
@pytest.mark.parametrize("kind", ["reset_before_response", "reset"])
def test_reset_before_response_sends_rst_and_nothing_else(ds, arts, kind):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": kind}]) as s:
        data, err = raw(s, page(arts["nextjs"]))
    assert data == b""
    assert isinstance(err, ConnectionResetError)


def test_reset_mid_body_ends_with_rst(site, arts):
    data, err = raw(site, page(arts["nextjs"]) + "?f=reset_mid_body")
    assert isinstance(err, ConnectionResetError)
    if data:  # whatever arrived before the RST is a cut answer
        status, headers, body = split(data)
        assert status == 200 and len(body) < int(headers["content-length"])


def test_closed_port_refuses():
    port = closed_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_truncate_cuts_the_body_short_of_its_length(site, arts):
    full = get(site, page(arts["desktop_old"]))[2]
    data, err = raw(site, page(arts["desktop_old"]) + "?f=truncate")
    status, headers, body = split(data)
    assert err is None and status == 200
    assert int(headers["content-length"]) == len(full)
    assert body == full[: len(full) // 2]
    assert headers["connection"] == "close"


def wait_until(condition, what: str, limit: float = 60.0) -> None:
    """Wait for ``condition()`` (a state of the server, not a length of time)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {limit:g} s"
        time.sleep(0.01)


def test_hang_after_headers_is_bounded_and_others_are_served(ds, arts):
    """Headers come at once, then nothing for ``delay`` s, then the connection closes;
    meanwhile other requests are served. No wall-clock limit: the other page is served while
    the hang (600 s) is still going on, and stopping the mock ends the hang."""
    result = {}
    hanging = {"pattern": f"^{page(arts['nextjs'])}$", "kind": "hang_after_headers", "delay": 600}
    with MockSite(ds, faults={"rules": [hanging], "max_delay": 600}) as s:

        def hang():
            result["data"], result["err"] = raw(s, page(arts["nextjs"]), timeout=120)

        th = threading.Thread(target=hang)
        th.start()
        wait_until(lambda: s.hits_article_pages() >= 1, "the hanging request reached the mock")
        status, _, body = get(s, page(arts["mobile_2017"]), timeout=60)
        assert status == 200 and arts["mobile_2017"].title in body.decode()
        assert th.is_alive()  # the other page was served during the hang
    th.join(timeout=60)
    assert not th.is_alive()
    status, headers, body = split(result["data"])
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_hang_lasts_its_delay(site, arts):
    t0 = time.monotonic()
    data, _ = raw(site, page(arts["nextjs"]) + "?f=hang_after_headers")
    assert split(data)[2] == b"" and time.monotonic() - t0 >= 0.3


def test_hang_is_capped_by_max_delay_and_woken_by_stop(ds, arts):
    # capped: a 600 s hang bounded at 0.3 s ends long before the client's 120 s timeout
    with MockSite(ds, faults={"rules": [{"kind": "hang_after_headers", "delay": 600}], "max_delay": 0.3}) as s:
        data, _ = raw(s, page(arts["nextjs"]), timeout=120)
        assert split(data)[2] == b""
    s = MockSite(ds, faults={"rules": [{"kind": "hang_after_headers", "delay": 600}], "max_delay": 600}).start()
    out = {}
    th = threading.Thread(target=lambda: out.update(r=raw(s, page(arts["nextjs"]), timeout=120)))
    th.start()
    wait_until(lambda: s.hits_article_pages() >= 1, "the hanging request reached the mock")
    s.stop()  # wakes the hang: the client gets its answer long before its 120 s timeout
    th.join(timeout=60)
    assert not th.is_alive()
    assert split(out["r"][0])[2] == b""


def test_client_timeout_fires_during_a_hang(site, arts):
    with pytest.raises(TimeoutError):
        get(site, page(arts["nextjs"]) + "?f=hang_after_headers", timeout=0.15)


def test_slow_answers_in_full_after_the_delay(site, arts):
    t0 = time.monotonic()
    status, _, body = get(site, page(arts["nextjs"]) + "?f=slow")
    assert time.monotonic() - t0 >= 0.35  # a lower bound only: a busy machine is slower, never faster
    assert status == 200 and body == get(site, page(arts["nextjs"]))[2]


def test_head_gets_headers_only(site, arts):
    data, err = raw(site, page(arts["nextjs"]) + "?f=truncate", method="HEAD")
    status, headers, body = split(data)
    assert err is None and status == 200 and body == b"" and int(headers["content-length"]) > 0


# --------------------------------------------------------------------------- chunked
def test_chunked_bad_size(site, arts):
    full = get(site, page(arts["nextjs"]))[2]
    data, _ = raw(site, page(arts["nextjs"]) + "?f=chunked_bad_size")
    status, headers, body = split(data)
    assert status == 200 and headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    chunks, final, bad = parse_chunks(body)
    assert not final and bad and not re.fullmatch(rb"[0-9a-fA-F]+", bad)
    assert full.startswith(b"".join(chunks)) and len(b"".join(chunks)) < len(full)


def test_chunked_unterminated(site, arts):
    full = get(site, page(arts["nextjs"]))[2]
    data, err = raw(site, page(arts["nextjs"]) + "?f=chunked_unterminated")
    status, headers, body = split(data)
    assert err is None and headers["transfer-encoding"] == "chunked"
    chunks, final, bad = parse_chunks(body)
    assert not final and bad == b"" and b"".join(chunks) == full
    with pytest.raises(http.client.IncompleteRead):
        get(site, page(arts["nextjs"]) + "?f=chunked_unterminated")


# --------------------------------------------------------------------------- size
def test_gzip_bomb_default_inflates_to_200_mb(ds, arts):
    with MockSite(ds, faults=[{"kind": "gzip_bomb"}]) as s:
        status, headers, body = get(s, page(arts["nextjs"]))
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(body) < 1 << 20
    d, total, buf = zlib.decompressobj(31), 0, body
    while buf:
        out = d.decompress(buf, 1 << 22)
        assert out.count(0) == len(out)
        total += len(out)
        buf = d.unconsumed_tail
    assert d.eof and total == 200 * 1024 * 1024


def test_gzip_bomb_size_is_configurable(site, arts):
    body = get(site, page(arts["nextjs"]) + "?f=gzip_bomb")[2]
    assert len(zlib.decompress(body, 31)) == 3 << 20


def test_oversized_default_is_40_mb_and_keeps_the_page(ds, arts):
    with MockSite(ds, faults=[{"pattern": "big", "kind": "oversized"}]) as s:
        full = get(s, page(arts["nextjs"]))[2]
        status, headers, body = get(s, page(arts["nextjs"]) + "?big")
    assert status == 200 and int(headers["content-length"]) == len(body) >= 40 * 1024 * 1024
    assert re.sub(rb"<!--x*-->", b"", body) == full


def test_oversized_chunked_has_no_length(site, arts):
    full = get(site, page(arts["desktop_old"]))[2]
    data, err = raw(site, page(arts["desktop_old"]) + "?f=oversized_chunked")
    status, headers, body = split(data)
    assert err is None and "content-length" not in headers and headers["transfer-encoding"] == "chunked"
    chunks, final, _ = parse_chunks(body)
    joined = b"".join(chunks)
    assert final and len(joined) >= 3 << 20 and re.sub(rb"<!--x*-->", b"", joined) == full


def test_oversized_json_stays_json(ds):
    with MockSite(ds, faults=[{"pattern": "contentapi", "kind": "oversized", "size": 1 << 20}]) as s:
        status, doc = post_api(s, {"nodeId": 27234, "pageSize": 5, "startTime": ""})
    assert status == 200 and doc["code"] == 200 and len(doc["data"]["list"]) == 5


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
        conn = http.client.HTTPConnection(s.host, s.port, timeout=5)
        conn.request("POST", NODE_API, body=b'{"nodeId":27234}', headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 403 and "WAF拦截页面" in r.read().decode()
        conn.close()


# --------------------------------------------------------------------------- redirects
def test_redirect_offsite(site, arts):
    status, headers, _ = get(site, page(arts["nextjs"]) + "?f=redirect_offsite")
    assert status == 302 and headers["location"] == f"http://other.invalid{page(arts['nextjs'])}?f=redirect_offsite"


def follow(site, target, hops=8):
    seen = []
    for _ in range(hops):
        status, headers, body = get(site, target)
        seen.append((status, target))
        if status != 302:
            return seen, body
        loc = headers["location"]
        assert loc.startswith(site.base_url)
        target = loc[len(site.base_url) :]
    return seen, None


def test_redirect_loop_alternates_between_two_urls(site, arts):
    seen, body = follow(site, page(arts["nextjs"]) + "?f=redirect_loop")
    assert body is None and {s for s, _ in seen} == {302}
    targets = [t for _, t in seen]
    assert len(set(targets)) == 2 and targets[0::2] == [targets[0]] * 4 and targets[1::2] == [targets[1]] * 4


def test_transient_redirect_loop_ends_on_the_page(ds, arts):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "redirect_loop", "times": 2}]) as s:
        seen, body = follow(s, page(arts["nextjs"]))
    assert [st for st, _ in seen] == [302, 302, 302, 302, 200]
    assert arts["nextjs"].title in body.decode()


# --------------------------------------------------------------------------- transient vs permanent
@pytest.mark.parametrize(
    "kind", ["500", "waf403", "truncate", "reset_before_response", "html_body_missing", "redirect_offsite"]
)
def test_times_makes_a_fault_transient(ds, arts, kind):
    target = page(arts["nextjs"])
    with MockSite(ds, faults=[{"pattern": "forward", "kind": kind, "times": 2}]) as s:
        full = get(s, "/detail/" + str(arts["nextjs"].cont_id))[2]
        results = []
        for _ in range(4):
            data, err = raw(s, target)
            results.append(err is None and split(data)[0] == 200 and split(data)[2] == full)
        assert s.faults.expected_outcome(target) == "transient"
    assert results == [False, False, True, True]


def test_without_times_a_fault_is_permanent(ds, arts):
    target = page(arts["nextjs"])
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "502"}]) as s:
        assert [get(s, target)[0] for _ in range(5)] == [502] * 5
        assert s.faults.expected_outcome(target) == "permanent"
        s.faults.reset_counts()
        assert get(s, target)[0] == 502


def test_reset_counts_replays_transient_faults(ds, arts):
    with MockSite(ds, faults=[{"pattern": "forward", "kind": "503", "times": 1}]) as s:
        assert [get(s, page(arts["nextjs"]))[0] for _ in range(2)] == [503, 200]
        s.faults.reset_counts()
        assert get(s, page(arts["nextjs"]))[0] == 503


# --------------------------------------------------------------------------- seeded decisions
def article_targets(n=2000):
    return [f"/newsDetail_forward_{32_000_000 + 29 * i}" for i in range(n)]


def test_rate_picks_a_fixed_set_of_paths_per_seed():
    targets = article_targets(1000)

    def hit(seed):
        plan = FaultPlan([{"pattern": "forward", "kind": "500", "rate": 0.3}], seed)
        return [plan.decide(t) is not None for t in targets]

    a, b, c = hit(1), hit(1), hit(2)
    assert a == b and a != c and 0.25 < sum(a) / len(a) < 0.35
    plan = FaultPlan([{"pattern": "forward", "kind": "500", "rate": 0.3}], 1)
    for t, first_hit in list(zip(targets, a))[:50]:
        assert all((plan.decide(t) is not None) == first_hit for _ in range(3))


def test_mix_spreads_applicable_kinds_reproducibly():
    targets = article_targets()
    mix = {"mix": 0.2, "seed": 3, "times": 2, "permanent": 0.25}
    plan = FaultPlan.from_config(mix)
    picks = {t: plan.assigned(t) for t in targets}
    hit = {t: r[0] for t, r in picks.items() if r}
    assert 0.17 < len(hit) / len(targets) < 0.23
    kinds = {r.kind for r in hit.values()}
    assert kinds == {k for k in KINDS if "article" in KINDS[k].targets}
    assert not any(k.startswith("api_") for k in kinds)
    perm = sum(r.times is None for r in hit.values()) / len(hit)
    assert 0.18 < perm < 0.32
    again = FaultPlan.from_config(dict(mix))
    assert {t: again.assigned(t) for t in targets} == picks
    other = FaultPlan.from_config(dict(mix, seed=4))
    assert {t: other.assigned(t) for t in targets} != picks


def test_mix_on_api_keys_uses_api_and_transport_kinds_only():
    plan = FaultPlan([{"mix": 1.0, "kinds": list(KINDS)}], seed=1)
    kinds = {
        plan.assigned(NODE_API, json.dumps({"nodeId": 27234, "startTime": t}).encode())[0].kind for t in range(400)
    }
    assert {k for k in kinds if k.startswith("api_")} == {
        "api_busy",
        "api_missing_fields",
        "api_empty_hasnext",
        "api_cursor_stuck",
    }
    assert not kinds & {k for k in KINDS if KINDS[k].targets == PAGES}
    assert plan.assigned("/robots.txt") == []  # the default mix pattern leaves robots.txt alone


def test_decisions_do_not_depend_on_request_order():
    targets = article_targets(300)
    config = [
        {"pattern": "forward", "kind": "503", "rate": 0.3, "times": 2},
        {"mix": 0.3, "seed": 9, "times": 1, "permanent": 0.5},
    ]

    def run(order, threads=1):
        plan = FaultPlan(config, seed=4)
        seq = {t: [] for t in targets}
        lock = threading.Lock()

        def work(part):
            for t in part:
                r = plan.decide(t)
                with lock:
                    seq[t].append(r.kind if r else None)

        parts = [order[i::threads] for i in range(threads)]
        ths = [threading.Thread(target=work, args=(p,)) for p in parts]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        return seq

    forward = run(targets * 4)
    backward = run(list(reversed(targets)) * 4, threads=4)
    assert forward == backward


def test_request_scope_is_sporadic_and_seeded():
    def run(seed):
        plan = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request"}], seed)
        return [plan.decide("/newsDetail_forward_32000001") is not None for _ in range(200)]

    a = run(1)
    assert a == run(1) and a != run(2) and 0.35 < sum(a) / len(a) < 0.65
    plan = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request"}], 1)
    assert plan.expected_outcome("/newsDetail_forward_32000001") == "flaky"
    capped = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request", "times": 3}], 1)
    assert sum(capped.decide("/newsDetail_forward_32000001") is not None for _ in range(200)) == 3
    assert capped.expected_outcome("/newsDetail_forward_32000001") == "transient"


def simulate(plan: FaultPlan, target: str, n: int = 8) -> str:
    fails = []
    for _ in range(n):
        r = plan.decide(target)
        fails.append(r is not None and not r.info.benign)
    if not any(fails):
        return "ok"
    return "permanent" if fails[-1] else "transient"


@pytest.mark.parametrize(
    "rules,expected",
    [
        ([], "ok"),
        ([{"kind": "charset_missing"}], "ok"),
        ([{"kind": "nextdata_not_json", "times": 2}], "ok"),
        ([{"kind": "504", "times": 3}], "transient"),
        ([{"kind": "504", "times": 0}], "ok"),
        ([{"kind": "504"}], "permanent"),
        ([{"kind": "429", "times": 1}, {"kind": "gzip_bomb", "times": 2}], "transient"),
        ([{"kind": "429", "times": 1}, {"kind": "truncate"}], "permanent"),
        ([{"kind": "html_unclosed"}, {"kind": "truncate"}], "ok"),  # the benign rule always wins first
        ([{"kind": "waf403", "times": 2}, {"kind": "slow", "delay": 0}], "transient"),
        ([{"kind": "api_busy"}], "ok"),  # not applicable to article pages
        ([{"pattern": "nomatch", "kind": "500"}], "ok"),
    ],
)
def test_expected_outcome_table(rules, expected):
    target = "/newsDetail_forward_32000001"
    assert FaultPlan(rules, 1).expected_outcome(target) == expected
    assert simulate(FaultPlan(rules, 1), target) == expected


_rule = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(ARTICLE_KINDS),
        "rate": st.sampled_from([0.0, 0.3, 0.7, 1.0]),
        "times": st.none() | st.integers(0, 3),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(_rule, max_size=4),
    mixes=st.lists(
        st.fixed_dictionaries(
            {
                "mix": st.sampled_from([0.2, 0.6]),
                "times": st.none() | st.integers(1, 3),
                "permanent": st.sampled_from([0.0, 0.5]),
            }
        ),
        max_size=1,
    ),
    seed=st.integers(0, 2**32),
    n=st.integers(0, 10**6),
)
def test_expected_outcome_matches_what_the_server_would_do(rules, mixes, seed, n):
    target = f"/newsDetail_forward_{32_000_000 + n}"
    plan = FaultPlan(rules + mixes, seed)
    assert simulate(FaultPlan(rules + mixes, seed), target, 12) == plan.expected_outcome(target)


def test_no_rule_means_no_work():
    plan = FaultPlan()
    assert not plan.active and plan.decide("/newsDetail_forward_1") is None
    plan = FaultPlan([{"pattern": "^/list_", "kind": "500"}])
    assert plan.decide("/newsDetail_forward_1") is None and not plan._seen


# --------------------------------------------------------------------------- configuration
def test_config_forms_agree(tmp_path):
    rules = [{"pattern": "forward", "kind": "503", "rate": 0.5, "times": 1}, {"mix": 0.3, "seed": 2}]
    doc = {"seed": 7, "rules": rules, "max_delay": 3}
    f = tmp_path / "faults.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    plans = [
        FaultPlan.from_config(doc),
        FaultPlan.from_config(f),
        FaultPlan.from_config(str(f)),
        FaultPlan(rules, 7, max_delay=3),
    ]
    targets = article_targets(200)
    results = [[[p.decide(t) for t in targets] for _ in range(2)] for p in plans]
    assert all(r == results[0] for r in results)
    assert all(p.max_delay == 3 and p.seed == 7 for p in plans)
    single = FaultPlan.from_config({"mix": 0.2, "kinds": ["500", "reset"], "seed": 3})
    assert single.seed == 3 and isinstance(single.entries[0], FaultMix)
    assert single.entries[0].kinds == ("500", "reset_before_response")
    assert isinstance(FaultPlan.from_config({"kind": "500"}).entries[0], FaultRule)


@pytest.mark.parametrize(
    "bad",
    [
        [{"kind": "explode"}],
        [{"kind": "500", "rate": 1.5}],
        [{"kind": "500", "times": -1}],
        [{"kind": "500", "scope": "forever"}],
        [{"kind": "500", "colour": "red"}],
        [{"pattern": "(", "kind": "500"}],
        [{"mix": 0.2, "kinds": []}],
        [{"mix": 2}],
        [{"mix": 0.2, "kinds": ["nope"]}],
        ["500"],
        {"rules": [], "extra": 1},
    ],
)
def test_bad_configs_are_refused(bad):
    with pytest.raises((ValueError, re.error)):
        FaultPlan.from_config(bad)


def test_path_classes():
    table = {
        "/newsDetail_forward_1": "article",
        "/detail/33?x=1": "article",
        "/channel_119908": "listing",
        "/list_27234/": "listing",
        NODE_API: "api",
        "/robots.txt": "robots",
        "/": "other",
        "/newsDetail_forward_1x": "other",
    }
    assert {t: path_class(t) for t in table} == table
    assert set().union(*(k.targets for k in KINDS.values())) == ALL


def test_cli_builds_the_plan(tmp_path):
    f = tmp_path / "f.json"
    f.write_text(json.dumps([{"pattern": "forward", "kind": "500", "times": 1}]), encoding="utf-8")
    args = mock_main.build_parser().parse_args(
        ["--faults", str(f), "--fault-rate", "0.2", "--fault-seed", "3", "--max-delay", "4"]
    )
    plan = mock_main.build_plan(args)
    assert plan.seed == 3 and plan.max_delay == 4 and len(plan.entries) == 2
    assert plan.entries[1].mix == 0.2 and plan.entries[1].times == 2 and plan.entries[1].permanent == 0.25
    assert plan.decide("/newsDetail_forward_5").kind == "500"
    bad = tmp_path / "bad.json"
    bad.write_text('[{"kind": "explode"}]', encoding="utf-8")
    assert mock_main.main(["--faults", str(bad), "--port", "0"]) == 2
    assert mock_main.main(["--faults", str(tmp_path / "missing.json"), "--port", "0"]) == 2


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
