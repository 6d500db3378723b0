"""``mock --drift``: the same articles served as a new front-end build, always the same way."""

from __future__ import annotations

import json
import re
import urllib.request

from mocksite.dataset import generate_dataset
from mocksite.render_common import _BUILDS, DRIFT_BUILD_ID
from mocksite.render_next import DRIFT_CONTENT_FIELD, render_nextjs
from mocksite.server import MockSite

DS = generate_dataset(120, seed=9)
NEXT = [a for a in DS.articles() if a.layout == "nextjs" and a.kind not in ("gone_404", "external", "gone_null")]


def next_data(html: str) -> dict:
    m = re.search(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', html)
    return json.loads(m.group(1))


def classes(html: str) -> set[str]:
    return set(re.findall(r"\bindex_\w+__\w+", html))


def test_drift_is_deterministic_and_every_hash_is_new():
    old_hashes = {h for build in _BUILDS for h in build.values()}
    for art in NEXT:
        html = render_nextjs(art, DS.nodes, drift=True)
        assert html == render_nextjs(art, DS.nodes, drift=True)
        assert html != render_nextjs(art, DS.nodes)
        found = classes(html)
        assert found and not {c.rsplit("__", 1)[1] for c in found} & old_hashes, art.cont_id
        assert next_data(html)["buildId"] == DRIFT_BUILD_ID


def test_drift_renames_one_content_detail_field():
    for art in NEXT:
        plain = next_data(render_nextjs(art, DS.nodes))["props"]["pageProps"]["detailData"]
        drifted = next_data(render_nextjs(art, DS.nodes, drift=True))["props"]["pageProps"]["detailData"]
        if art.kind == "live":  # lives are in liveDetail: unchanged
            assert drifted == plain
            continue
        before, after = plain["contentDetail"], drifted["contentDetail"]
        assert set(before) - set(after) == {"content"} and set(after) - set(before) == {DRIFT_CONTENT_FIELD}
        assert after[DRIFT_CONTENT_FIELD] == before["content"]
        assert {k: v for k, v in after.items() if k != DRIFT_CONTENT_FIELD} == {
            k: v for k, v in before.items() if k != "content"
        }


def test_drift_moves_the_byline_below_the_body():
    for art in NEXT:
        plain, drifted = render_nextjs(art, DS.nodes), render_nextjs(art, DS.nodes, drift=True)
        assert "index_left__" in plain and "index_bylineBar__" not in plain
        assert "index_left__" not in drifted
        bar = drifted.index("index_bylineBar__")
        assert f"来源：{art.source}" in drifted[bar:]
        if art.kind != "live":
            assert drifted.index("index_cententWrap__") < bar
        if art.author_raw:
            assert drifted.index(art.author_raw, drifted.index("</h1>")) > bar  # not in the header any more


def test_served_drift_can_be_switched_live():
    art = NEXT[0]
    with MockSite(DS) as site:
        url = f"{site.base_url}/newsDetail_forward_{art.cont_id}"
        plain = urllib.request.urlopen(url).read().decode()
        site.drift = True
        drifted = urllib.request.urlopen(url).read().decode()
        site.drift = False
        again = urllib.request.urlopen(url).read().decode()
    assert plain == again == render_nextjs(art, DS.nodes)
    assert drifted == render_nextjs(art, DS.nodes, drift=True)
