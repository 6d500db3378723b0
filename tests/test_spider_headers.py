"""What the spider keeps of a response's and a request's headers (``crawler.spiders.responses``):
each name once, its values joined by ", ", as Latin-1 text — read from Scrapy's ``Headers`` as a
dict, the same pairs its ``items()`` gives."""

from __future__ import annotations

import pytest
from scrapy.http import Headers, Request

from crawler.spiders.responses import _headers_dict, _request_dict


def _through_items(headers) -> dict[str, str]:
    """The pairs as Scrapy's ``Headers.items()`` gives them (the spider's reading before)."""
    return {k.decode("latin-1"): ", ".join(v.decode("latin-1") for v in values) for k, values in headers.items()}


CASES = [
    ({}, {}),
    ({"Content-Type": "text/html; charset=utf-8"}, {"Content-Type": "text/html; charset=utf-8"}),
    # names are stored title-cased; several values of one name are joined
    ({"set-cookie": ["a=1", "b=2"], "X-REQUEST-ID": "7"}, {"Set-Cookie": "a=1, b=2", "X-Request-Id": "7"}),
    # bytes that are not ASCII stay as Latin-1 characters, as the raw archive keeps them
    (
        {b"Content-Disposition": b"attachment; filename=\xe6\x96\x87.txt"},
        {"Content-Disposition": "attachment; filename=æ\x96\x87.txt"},
    ),
    ({"Server": b"", "Age": 0}, {"Server": "", "Age": "0"}),
    ({"X-Empty": []}, {"X-Empty": ""}),  # a name without values
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_scrapy_headers(given, expected):
    headers = Headers(given)
    assert _headers_dict(headers) == expected == _through_items(headers)
    assert list(_headers_dict(headers)) == list(_through_items(headers))  # the same order


def test_a_plain_mapping_is_read_as_before():
    assert _headers_dict({"A": ["1", "2"], b"B": [b"x"]}) == {"A": "1, 2", "B": "x"}


def test_the_request_dict():
    req = Request("https://www.thepaper.cn/x", method="POST", body=b'{"a":1}', headers={"referer": "https://r/"})
    assert _request_dict(req) == {
        "method": "POST",
        "url": "https://www.thepaper.cn/x",
        "headers": {"Referer": "https://r/"},
        "body": '{"a":1}',
    }
