"""What the mock-site tests share: a 300-article data set and the mock serving it on loopback
(module-scoped in each module that imports them), plain GET and POST against it, the list API's
cursor walked to its end, and the parts of an article page."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from lxml import html as lxml_html

from mocksite import MockSite, generate_dataset
from mocksite.render_api import flat


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
