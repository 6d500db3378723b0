"""The crawl's per-response and per-item path in the Scrapy process: which pipeline stages a mode
configures, and how the unreachable guard tells a response's host and request apart."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import JsonRequest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.middlewares import UnreachableGuardMiddleware, _endpoint
from domain.hosts import BadHostError, host_port
from pipelines.stages import ArchiveStage, CleanStage, ValidateStage

SITE = "https://www.thepaper.cn"
API = "https://api.thepaper.cn"


def _crawler(**settings):
    return get_crawler(settings_dict={"THEPAPER_SITE_URL": SITE, "THEPAPER_API_URL": API, **settings})


# --------------------------------------------------------------------------- the stages
def test_the_clean_stage_is_not_configured_when_the_worker_cleans():
    with pytest.raises(NotConfigured) as raised:
        build_from_crawler(CleanStage, _crawler(THEPAPER_PIPELINE_WORKER=True))
    assert not raised.value.args  # no message: Scrapy would log it as a warning in every crawl


@pytest.mark.parametrize("stage", [ArchiveStage, ValidateStage])
def test_the_other_stages_are_configured_in_both_modes(stage):
    for worker in (False, True):
        assert isinstance(build_from_crawler(stage, _crawler(THEPAPER_PIPELINE_WORKER=worker)), stage)


def test_the_clean_stage_cleans_in_the_crawl_process_without_the_worker():
    stage = build_from_crawler(CleanStage, _crawler(THEPAPER_PIPELINE_WORKER=False))
    assert isinstance(stage, CleanStage)
    # what the worker would be sent is the same stage's (PersistStage keeps its own in worker mode)
    worker_side = CleanStage(_crawler(THEPAPER_PIPELINE_WORKER=True))
    assert (worker_side.site_url, worker_side.max_size, worker_side.keywords) == (
        stage.site_url,
        stage.max_size,
        stage.keywords,
    )


# --------------------------------------------------------------------------- the guard's host
URLS = [
    "https://www.thepaper.cn/newsDetail_forward_1",
    "https://WWW.ThePaper.CN/newsDetail_forward_2?x=1#f",
    "https://www.thepaper.cn:443/a",
    "http://www.thepaper.cn/a",
    "https://www.thepaper.cn:8443/a",
    "https://api.thepaper.cn/contentapi/nodeCont/getByChannelId",
    "https://user:pw@api.thepaper.cn/x",
    "http://127.0.0.1:8080/x",
    "http://127.1/x",
    "http://[::1]:8080/x",
    "http://[0:0::1]/x",
    "https://www．thepaper．cn/a",  # full-width full stops: label separators
    "https://bücher.example/a",
    "https://mirror.example.com/newsDetail_forward_1",
]
BAD = ["http://exa mple.com/x", "http://a<b.com/x", "http://[::1/x", "http:///x", "http://example.com:99999/x"]


@pytest.mark.parametrize("url", URLS)
def test_the_endpoint_of_a_url_is_host_port_of_it(url):
    from urllib.parse import urlparse

    parts = urlparse(url)
    assert _endpoint(parts.scheme, parts.netloc) == host_port(url)


@pytest.mark.parametrize("url", BAD)
def test_a_host_no_client_would_reach_has_no_endpoint(url):
    from urllib.parse import urlparse

    with pytest.raises(BadHostError):
        host_port(url)
    try:
        parts = urlparse(url)
    except ValueError:
        return  # Scrapy could not have made a request of it
    assert _endpoint(parts.scheme, parts.netloc) is None


def test_the_guard_watches_the_configured_hosts_only():
    guard = UnreachableGuardMiddleware.from_crawler(_crawler())
    site, api = guard.watches[("www.thepaper.cn", 443)], guard.watches[("api.thepaper.cn", 443)]
    assert site is not api
    assert guard._watch(Request("https://WWW.thepaper.cn:443/newsDetail_forward_7")) == (("www.thepaper.cn", 443), site)
    assert guard._watch(JsonRequest(API + "/contentapi/x", data={"a": 1})) == (("api.thepaper.cn", 443), api)
    assert guard._watch(Request("http://www.thepaper.cn/a")) == (("www.thepaper.cn", 80), None)  # another port
    assert guard._watch(Request("https://mirror.example.com/a")) == (("mirror.example.com", 443), None)


# --------------------------------------------------------------------------- the guard's request key
def test_a_retry_of_a_request_has_its_key():
    guard = UnreachableGuardMiddleware.from_crawler(_crawler())
    page = Request(SITE + "/newsDetail_forward_1", meta={"cont_id": 1})
    retry = page.copy()
    retry.meta["retry_times"] = 1
    assert guard._key(retry) == guard._key(page)
    asked_again = JsonRequest(API + "/list", data={"channelId": "25950", "startTime": "1"})
    assert guard._key(asked_again) == guard._key(
        JsonRequest(API + "/list", data={"channelId": "25950", "startTime": "1"})
    )


def test_different_requests_have_different_keys():
    guard = UnreachableGuardMiddleware.from_crawler(_crawler())
    keys = [
        guard._key(r)
        for r in (
            Request(SITE + "/newsDetail_forward_1"),
            Request(SITE + "/newsDetail_forward_2"),
            # the list API's pages share one URL: their bodies differ
            JsonRequest(API + "/list", data={"channelId": "25950", "startTime": ""}),
            JsonRequest(API + "/list", data={"channelId": "25950", "startTime": "1"}),
            Request(API + "/list", method="POST"),
            Request(API + "/list"),
        )
    ]
    assert len(set(keys)) == len(keys)


def test_the_window_counts_a_retried_request_once():
    """A response to a retry replaces the failure of the attempt before it in the outage window."""
    guard = UnreachableGuardMiddleware.from_crawler(_crawler(THEPAPER_OUTAGE_WINDOW=20, THEPAPER_OUTAGE_WINDOW_S=60))
    page = Request(SITE + "/newsDetail_forward_1")
    _, watch = guard._watch(page)
    watch.response(guard._key(Request(SITE + "/newsDetail_forward_0")), 0.0)
    watch.failure(1.0, connection=False, key=guard._key(page))
    assert watch.tally(1.0) == (1, 2)
    watch.response(guard._key(page.copy()), 2.0)
    assert watch.tally(2.0) == (0, 2)
