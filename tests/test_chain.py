"""The cleaning chain: gone pages, errors, list-item filling, and robustness properties."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaning.document import clean_document, header_charset
from domain.record import CleaningError, EmptyArticleError, TruncatedPageError, UnknownLayoutError
from tests.conftest import SAMPLES

DATA = Path(__file__).parent / "data" / "extract"
URL = "https://www.thepaper.cn/newsDetail_forward_24801234"


def _next_page(detail: dict) -> bytes:
    nd = {"props": {"pageProps": {"contId": "24801234", "detailData": detail}}}
    return (
        f'<html><head><title>x</title></head><body><div id="__next"></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(nd, ensure_ascii=False)}</script>'
        f"</body></html>"
    ).encode()


def test_http_404_is_gone():
    rec = clean_document(b"<html><body><h1>404</h1></body></html>", url=URL, status=404)
    assert (rec.content_type, rec.gone_reason, rec.cont_id, rec.url) == ("gone", "http_404", 24801234, URL)


def test_content_null_is_gone():
    rec = clean_document(_next_page({"contType": 0, "contentDetail": None}), url=URL)
    assert (rec.content_type, rec.gone_reason, rec.layout) == ("gone", "content_null", "nextjs")


def test_empty_body_raises_empty_article():
    detail = {"contType": 0, "contentDetail": {"contId": 24801234, "name": "有标题没有正文", "content": "<p> </p>"}}
    with pytest.raises(EmptyArticleError, match="no body text"):
        clean_document(_next_page(detail), url=URL)


def test_paywalled_and_video_without_body_are_records():
    detail = {
        "contType": 1,
        "contentDetail": {
            "contId": 24801234,
            "name": "视频",
            "content": "",
            "videos": {"url": "https://v.example/x.mp4"},
        },
    }
    assert clean_document(_next_page(detail), url=URL).content_type == "video"
    detail = {"contType": 0, "contentDetail": {"contId": 24801234, "name": "付费", "content": "", "paywalled": True}}
    assert clean_document(_next_page(detail), url=URL).content_type == "paywalled"


def test_only_boilerplate_is_empty_not_silent():
    page = (
        '<html><body><div class="newscontent"><h1 class="news_title">标题</h1>'
        '<div class="news_txt">+1<br/>沪ICP备14003370号<br/>© 2014-2026 上海东方报业有限公司</div></div></body></html>'
    )
    with pytest.raises(EmptyArticleError):
        clean_document(page.encode("utf-8"))


def test_unknown_and_empty_inputs():
    for data in (b"", b"   \n", b"\x00\x01\x02"):
        with pytest.raises(UnknownLayoutError):
            clean_document(data)
    with pytest.raises(UnknownLayoutError, match="no article detail"):
        clean_document(b'{"code": 99998, "desc": "\xe7\xb3\xbb\xe7\xbb\x9f\xe7\xb9\x81\xe5\xbf\x99"}')


def test_list_item_fills_what_the_page_lacks_but_never_overrides():
    raw = (DATA / "desktop_old.html").read_bytes()
    item = {
        "contId": "3456789",
        "name": "列表里的另一个标题",
        "pubTimeLong": 1558108080000,
        "nodeInfo": {"nodeId": 99, "name": "别的栏目", "parentId": 25950},
        "tagList": [{"tag": "列表标签"}],
        "paywalled": True,
    }
    rec = clean_document(raw, url="https://www.thepaper.cn/newsDetail_forward_3456789", list_item=item)
    assert rec.title == "长征火箭再次发射成功" and rec.node_id == 27234 and rec.tags == ["航天", "火箭"]
    assert rec.content_type == "paywalled"  # the page does not say; the list does
    page = raw.replace(b'<div class="news_keyword">', b'<div class="x">').replace(
        b'content="\xe8\x88\xaa\xe5\xa4\xa9"', b'content=""'
    )
    rec = clean_document(page, url="https://www.thepaper.cn/newsDetail_forward_3456789", list_item=item)
    assert rec.tags == ["列表标签"]


def test_header_charset():
    assert header_charset({"Content-Type": "text/html; charset=GBK"}) == "GBK"
    assert header_charset({"content-type": [b"text/html;charset=utf-8"]}) == "utf-8"
    assert header_charset({"Content-Type": "text/html"}) is None
    assert header_charset(None) is None


def test_mirror_url_sets_host_and_canonical():
    rec = clean_document(
        (DATA / "nextjs_news.html").read_bytes(), url="http://www.some-mirror.com.cn/newsDetail_forward_24801234"
    )
    assert rec.mirror_host == "www.some-mirror.com.cn" and rec.url == URL
    assert rec.source_url == "http://www.some-mirror.com.cn/newsDetail_forward_24801234"


# ------------------------------------------------------------------ properties
_OK_EMPTY = {"gone", "external", "video", "live", "paywalled"}

_PAGES = [p.read_bytes() for p in sorted(DATA.glob("*"))] + [
    (SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html").read_bytes(),
    (SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes(),
]


def _check(data: bytes, **kw):
    try:
        rec = clean_document(data, **kw)
    except CleaningError:
        return
    assert rec.paragraphs or rec.content_type in _OK_EMPTY
    assert all(p and p == p.strip() for p in rec.paragraphs)
    assert rec.published_at is None or rec.published_at.tzinfo is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_only_raise_cleaning_errors(data):
    _check(data)
    _check(data, url="http://www.m.com.cn/newsDetail_forward_5", status=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_arbitrary_text_only_raises_cleaning_errors(text):
    _check(text.encode("utf-8", "surrogatepass"))
    _check(("<html><body>" + text + "</body></html>").encode("utf-8", "surrogatepass"))


def _mutate(page: bytes, seed: int, op: str) -> bytes:
    rnd = random.Random(seed)
    if op == "truncate":
        return page[: rnd.randrange(len(page) + 1)]
    if op == "swap":
        b = bytearray(page)
        for _ in range(rnd.randint(1, 40)):
            i, j = rnd.randrange(len(b)), rnd.randrange(len(b))
            b[i], b[j] = b[j], b[i]
        return bytes(b)
    if op == "delete_tags":
        text = page.decode("utf-8", "replace")
        for _ in range(rnd.randint(1, 30)):
            i = text.find("<", rnd.randrange(len(text)))
            if i < 0:
                break
            j = text.find(">", i)
            text = text[:i] + text[j + 1 :] if j > 0 else text[:i]
        return text.encode("utf-8")
    return bytes(b ^ 0xFF if rnd.random() < 0.01 else b for b in page)  # flip a few bytes


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(_PAGES))),
    st.integers(0, 2**32),
    st.sampled_from(["truncate", "swap", "delete_tags", "flip"]),
)
def test_mutated_real_pages_only_raise_cleaning_errors(k, seed, op):
    _check(_mutate(_PAGES[k], seed, op), url="https://www.thepaper.cn/newsDetail_forward_1787647")


def test_truncated_real_pages_raise_or_keep_body():
    page = (DATA / "nextjs_news.html").read_bytes()
    outcomes = set()
    for cut in range(200, len(page), 97):
        try:
            rec = clean_document(page[:cut], url=URL)
            outcomes.add(rec.content_type)
            assert rec.paragraphs
        except TruncatedPageError:
            outcomes.add("truncated")
        except CleaningError as exc:
            outcomes.add(type(exc).__name__)
    assert "truncated" in outcomes


@pytest.mark.parametrize(
    "title, expected",
    [
        ("特稿|杭州的生物医药新势力", "特稿｜杭州的生物医药新势力"),
        ("10%公司|京东的第二增长曲线", "10%公司｜京东的第二增长曲线"),
        ("数据 | 深圳超级工厂", "数据｜深圳超级工厂"),
        # left alone: no bar, already full-width, a keyword list, a bar at an edge
        ("国产7纳米制程突围：良率之战", "国产7纳米制程突围：良率之战"),
        ("特稿｜杭州", "特稿｜杭州"),
        ("a|b|c|d", "a|b|c|d"),
        ("|开头", "|开头"),
    ],
)
def test_restore_title_bar(title, expected):
    from cleaning.document import restore_title_bar

    assert restore_title_bar(title)[0] == expected
