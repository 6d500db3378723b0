"""``crawler.logformat.QuietLogFormatter``: no per-response or per-item message unless the crawl
logs at DEBUG, and then an item is named by its kind and URL, never by its raw body."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings

from crawler.logformat import QuietLogFormatter, item_label
from domain.items import FetchedPage

BODY = b"<html>" + "正文".encode() * 2000 + b"</html>"


def _formatter(level: str) -> QuietLogFormatter:
    # from_crawler reads only the crawler's settings
    return QuietLogFormatter.from_crawler(SimpleNamespace(settings=Settings({"LOG_LEVEL": level})))


def _page() -> FetchedPage:
    return FetchedPage(
        url="https://www.thepaper.cn/newsDetail_forward_1",
        final_url="x",
        status=200,
        headers={},
        body=BODY,
        fetched_at=datetime.now(timezone.utc),
    )


@pytest.mark.parametrize("level", ["INFO", "WARNING", "ERROR"])
def test_no_message_above_debug(level):
    fmt = _formatter(level)
    request = Request("https://www.thepaper.cn/newsDetail_forward_1")
    response = HtmlResponse(request.url, body=BODY, request=request)
    assert fmt.crawled(request, response, None) is None
    assert fmt.scraped(_page(), response, None) is None


def test_debug_names_the_item_without_its_body():
    fmt = _formatter("DEBUG")
    request = Request("https://www.thepaper.cn/newsDetail_forward_1")
    response = HtmlResponse(request.url, body=BODY, request=request)
    assert fmt.crawled(request, response, None) is not None
    out = fmt.scraped(_page(), response, None)
    assert out["args"]["item"] == "FetchedPage https://www.thepaper.cn/newsDetail_forward_1"
    assert "正文" not in out["msg"] % out["args"]


def test_item_without_url_is_named_by_its_class():
    assert item_label(object()) == "object"
