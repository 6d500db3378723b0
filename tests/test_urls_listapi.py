"""Pure helpers of the crawler: URL forms, the list API, retry backoff."""

from __future__ import annotations

import json

import pytest

from crawler import listapi
from crawler.middlewares import backoff_delay, parse_retry_after
from domain.urls import BadURLError, parse_article_ref

CANON = "https://www.thepaper.cn/newsDetail_forward_32400625"


@pytest.mark.parametrize(
    "given",
    [
        "https://www.thepaper.cn/newsDetail_forward_32400625",
        "https://thepaper.cn/newsDetail_forward_32400625",
        "http://www.thepaper.cn/newsDetail_forward_32400625",
        "https://www.thepaper.cn/newsDetail_forward_32400625?commTag=true",
        "https://m.thepaper.cn/newsDetail_forward_32400625",
        "https://m.thepaper.cn/detail/32400625",
        "https://m.thepaper.cn/baijiahao_32400625",
        "https://www.thepaper.cn/detail/32400625",
        "www.thepaper.cn/newsDetail_forward_32400625",
        "32400625",
        "  32400625\n",
    ],
)
def test_every_site_form_names_one_article(given):
    ref = parse_article_ref(given)
    assert ref.cont_id == 32400625
    assert ref.canonical_url == CANON
    assert not ref.is_mirror


def test_mirror_url_maps_to_the_same_article():
    ref = parse_article_ref("http://www.nxos.com.cn/newsDetail_forward_32400625")
    assert ref.cont_id == 32400625 and ref.is_mirror and ref.host == "www.nxos.com.cn"


@pytest.mark.parametrize(
    "given, message",
    [
        ("file:///etc/passwd", "refused scheme 'file'"),
        ("ftp://www.thepaper.cn/newsDetail_forward_1", "refused scheme 'ftp'"),
        ("javascript:alert(1)", "refused scheme"),
        ("https://www.thepaper.cn/channel_119908", "not an article URL"),
        ("https://example.org/detail/123", "neither thepaper.cn nor a recognisable mirror"),
        ("", "empty URL"),
        ("https:///newsDetail_forward_1", "no host"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(given, message):
    with pytest.raises(BadURLError, match=message):
        parse_article_ref(given)


def test_allow_any_host_accepts_other_article_paths():
    assert parse_article_ref("https://example.org/detail/123", allow_any_host=True).cont_id == 123


def test_list_bodies_match_the_site():
    assert listapi.list_body("node", "27234", start_time=17000) == {
        "nodeId": 27234,
        "pageSize": 20,
        "pageNum": 1,
        "startTime": 17000,
        "excludeContIds": [],
    }
    body = listapi.list_body("channel", 119908)
    assert body["channelId"] == "119908" and body["startTime"] == "" and body["province"] is None
    headers = listapi.api_headers("https://www.thepaper.cn")
    assert headers["Referer"] == "https://www.thepaper.cn/" and headers["Content-Type"] == "application/json"


def test_parse_list_response_reads_cursor_and_items():
    body = json.dumps(
        {
            "code": 200,
            "desc": "成功",
            "data": {"list": [{"contId": "5"}, "junk"], "hasNext": True, "startTime": 1700000000000},
        }
    )
    page = listapi.parse_list_response(body.encode())
    assert page.items == [{"contId": "5"}] and page.has_next and page.next_start_time == 1700000000000


@pytest.mark.parametrize(
    "body, reason, transient",
    [
        (b'{"code": 99998, "desc": "\\u7cfb\\u7edf\\u7e41\\u5fd9"}', "list_code_99998", True),
        ("<html><title>WAF拦截页面</title></html>".encode(), "list_not_json", True),
        (b'{"code": 200, "data": null}', "list_bad_shape", True),
        (b'{"code": 200, "data": {"list": 5, "hasNext": false}}', "list_bad_shape", False),
        (b'{"code": 200, "data": {"hasNext": true}}', "list_missing_fields", True),
        (b'{"code": 200, "data": {"list": []}}', "list_missing_fields", True),
        (b"[1, 2]", "list_bad_shape", False),
        (b'{"code": 500, "desc": "x"}', "list_code_500", False),
    ],
)
def test_parse_list_response_errors(body, reason, transient):
    with pytest.raises(listapi.ListAPIError) as info:
        listapi.parse_list_response(body)
    assert info.value.reason == reason and info.value.transient is transient


def test_item_helpers():
    assert listapi.item_cont_id({"contId": "32126241"}) == 32126241
    assert listapi.item_cont_id({"contId": None}) is None
    assert listapi.item_external_link({"link": "https://example.org/a"}) == "https://example.org/a"
    assert listapi.item_external_link({"link": ""}) is None
    assert listapi.item_external_link({"link": "javascript:void(0)"}) is None


@pytest.mark.parametrize(
    "attempt, retry_after, expected",
    [(1, None, 2.0), (2, None, 4.0), (3, None, 8.0), (10, None, 120.0), (1, 30.0, 30.0), (1, 1000.0, 120.0)],
)
def test_backoff_delay(attempt, retry_after, expected):
    assert backoff_delay(attempt, 2.0, 120.0, retry_after) == expected


def test_retry_after_parsing():
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("119908", ["119908"]),
        ("1, 2,,3 ", ["1", "2", "3"]),
        (["1,2", "3"], ["1", "2", "3"]),
        ((25434, 27234), ["25434", "27234"]),
        ("", []),
        ([" ", ","], []),
    ],
)
def test_comma_list(value, expected):
    from crawler.listapi import comma_list

    assert comma_list(value) == expected
