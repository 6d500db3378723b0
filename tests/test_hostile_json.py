"""A page's JSON with values of the wrong type or out of range (a hostile or broken page) gives a
record that is stored, or a recorded cleaning failure; never a crash of the cleaner, never a row the
database refuses. Found by replacing every value of the mock pages' ``detailData`` in turn: a number
where the tag list belongs made the cleaner raise, and a node id beyond 64 bits made SQLite refuse
the record (PostgreSQL too)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaning import metadata as md
from cleaning.extract.nextjs import _SCRIPT_CLOSE, _next_open
from cleaning.page import CleanerCrash, clean_page
from domain.record import CleaningError
from mocksite.dataset import generate_dataset
from mocksite.fault_bodies import NEXT_DATA
from mocksite.render_common import script_json
from mocksite.render_next import next_data as mock_next_data
from mocksite.render_next import render_nextjs
from storage.articles import save_article
from storage.db import open_archive

PAGES = Path(__file__).parent / "data/records/pages"
HOSTILE = [None, 0, -1, 2**70, -(2**70), 2**63, 1.5, "", "x", "-5", "9" * 30, [], {}, True, ["a"], [{"a": 1}], " "]


@pytest.mark.parametrize(
    "value, want",
    [
        (0, 0),
        (25950, 25950),
        ("32001286", 32001286),
        (" 7 ", 7),
        (2**63 - 1, 2**63 - 1),
        # negatives: no id
        (-1, None),
        ("-5", None),
        (2**63, None),
        ("9" * 30, None),
        ("9" * 5000, None),  # beyond int()'s digit limit
        (1.5, None),
        ("1.5", None),
        (True, None),
        (None, None),
        ("x", None),
        ([], None),
    ],
)
def test_as_int_takes_only_what_an_id_can_be(value, want):
    assert md.as_int(value) == want


@pytest.mark.parametrize(
    "value, want",
    [
        ("特稿｜成都", "特稿｜成都"),
        ("", ""),
        (2024, "2024"),
        (-5, "-5"),
        # negatives: no text, never a rendering the page did not write
        (1e16, ""),
        (1.5, ""),
        (True, ""),
        (None, ""),
        (["a"], ""),
        ({"a": 1}, ""),
    ],
)
def test_as_text(value, want):
    assert md.as_text(value) == want


@pytest.mark.parametrize(
    "value, want", [([1, 2], [1, 2]), ([], []), (-1, []), ("ab", []), ({"a": 1}, []), (None, []), (0, [])]
)
def test_as_list(value, want):
    assert md.as_list(value) == want


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield path + (key,)
            yield from _leaves(value, path + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj[:2]):
            yield path + (i,)
            yield from _leaves(value, path + (i,))


def _page(name: str):
    raw = (PAGES / name).read_text(encoding="utf-8")
    m = _next_open(raw)
    end = _SCRIPT_CLOSE.search(raw, m.end())
    return raw[: m.end()], json.loads(raw[m.end() : end.start()]), raw[end.start() :]


NAMES = ["mock_newsDetail_forward_32000755.html", "mock_newsDetail_forward_32001286.html"]
DATA = {name: _page(name) for name in NAMES}
LEAVES = {name: sorted(_leaves(DATA[name][1]["props"]["pageProps"]), key=repr) for name in NAMES}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    engine, Session = open_archive(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'a.sqlite3'}", create=True)
    yield Session
    engine.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(NAMES), st.data())
def test_any_value_anywhere_is_stored_or_a_recorded_failure(archive, name, data):
    head, obj, tail = DATA[name]
    obj = json.loads(json.dumps(obj))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(LEAVES[name]))
        target = obj["props"]["pageProps"]
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(HOSTILE)))
        except (KeyError, IndexError, TypeError):  # an earlier replacement took its parent away
            continue
    body = (head + json.dumps(obj, ensure_ascii=False).replace("</", "<\\/") + tail).encode("utf-8")
    url = "https://www.thepaper.cn/" + name.split("_", 1)[1].removesuffix(".html")
    try:
        rec = clean_page(body, url=url)
    except CleanerCrash:
        raise
    except CleaningError:
        return  # recorded as the page's failure, with its reason
    with archive() as s:
        save_article(s, rec, raw_page_id=None, now=datetime(2026, 12, 7, tzinfo=timezone.utc))
        s.flush()
        s.rollback()


def _keys_one_deep(obj: dict) -> list[tuple]:
    """Every key of ``detailData``, of its objects, of theirs and of the first object of each list
    (``contentDetail.nodeInfo``, a live page's first entry): the fields the extraction reads, each
    replaced in turn by every value of :data:`HOSTILE`."""
    out = []
    for key, value in obj.items():
        out.append((key,))
        if isinstance(value, dict):
            for sub, inner in value.items():
                out.append((key, sub))
                if isinstance(inner, list) and inner and isinstance(inner[0], dict):
                    inner, sub = inner[0], (sub, 0)
                else:
                    sub = (sub,)
                if isinstance(inner, dict):
                    out += [(key, *sub, k) for k in inner]
    return out


DS = generate_dataset(60, seed=3)
KINDS = ("news", "pph", "video", "live", "paywalled")
MOCK = {k: next(a for a in DS.articles() if a.layout == "nextjs" and a.kind == k) for k in KINDS}


@pytest.mark.parametrize("form", ["page", "api"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_field_of_the_detail_with_every_hostile_value(archive, kind, form):
    """Each kind of Next.js page of the mock, as the page or as the content API's answer."""
    art = MOCK[kind]
    data = mock_next_data(art, DS.nodes)
    url = f"https://www.thepaper.cn/newsDetail_forward_{art.cont_id}"
    stored = failed = 0
    for path in _keys_one_deep(data["props"]["pageProps"]["detailData"]):
        for value in HOSTILE:
            variant = copy.deepcopy(data)
            target = variant["props"]["pageProps"]["detailData"]
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(value)
            if form == "page":
                body = render_with(art, variant)
            else:
                answer = {"code": 200, "data": variant["props"]["pageProps"]["detailData"]}
                body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            try:
                rec = clean_page(body, url=url, keywords=False)
            except CleanerCrash as exc:
                raise AssertionError(f"{path} = {value!r}: {exc}") from exc
            except CleaningError:
                failed += 1
                continue
            if isinstance(value, (list, dict)) and value:  # no Python rendering of the JSON as text
                texts = [rec.title, rec.summary, rec.author, rec.node_name, *rec.paragraphs, *rec.tags]
                assert not any(repr(value) in t for t in texts + [i.src for i in rec.images]), (path, value)
            with archive() as s:
                save_article(s, rec, raw_page_id=None, now=datetime(2026, 12, 7, tzinfo=timezone.utc))
                s.flush()
                s.rollback()
            stored += 1
    assert stored > 5 * failed  # most single fields do not decide whether the page is an article


def render_with(art, data: dict) -> bytes:
    """The mock's page of ``art`` with ``data`` as its ``__NEXT_DATA__``."""
    page = render_nextjs(art, DS.nodes)
    m = NEXT_DATA.search(page)
    return (page[: m.start(2)] + script_json(data) + page[m.end(2) :]).encode("utf-8")


@pytest.mark.parametrize(
    "value, want",
    [
        (1700000000000, 1700000000000),
        ("1700000000000", 1700000000000),
        (1.7e12, 1700000000000),
        (90, 90),
        (0, 0),
        # negatives: no time
        ("", None),
        (None, None),
        (True, None),
        ("1.5", None),
        (float("inf"), None),  # what JSON's Infinity reads as
        (float("nan"), None),
        (-1, None),
        (2**63, None),
        ("9" * 30, None),
        ([], None),
    ],
)
def test_as_epoch_ms(value, want):
    assert md.as_epoch_ms(value) == want


LIST_ITEM = {
    "contId": 32001286,
    "name": "标题",
    "pubTimeLong": 1700000000000,
    "nodeId": 25950,
    "nodeInfo": {"nodeId": 25950, "name": "科技", "parentId": 119908},
    "tagList": [{"tag": "芯片"}],
    "authorInfo": {"sname": "x"},
    "link": "",
    "contType": 0,
    "paywalled": False,
}
LIST_ANSWER = {"code": 200, "data": {"list": [LIST_ITEM], "hasNext": True, "startTime": 1699999999000}}


def test_every_field_of_a_list_answer_with_every_hostile_value():
    """What the spider does with a list answer's items (crawler/spiders/lists.py) never raises on
    one, and every id and time it keeps fits a 64-bit column. Before, a number as an item's title,
    ``Infinity`` as its time or as the cursor made the list's callback raise (the rest of the list
    unread), and a time beyond 64 bits reached the list's stored cursor."""
    from crawler import incremental, listapi
    from crawler.incremental import Known, ListWalk

    values = [*HOSTILE, float("nan"), float("inf"), "\ud800", "9" * 5000]
    for path in _leaves(LIST_ANSWER):
        for value in values:
            answer = copy.deepcopy(LIST_ANSWER)
            target = answer
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(value)
            body = json.dumps(answer, allow_nan=True).encode("utf-8")
            try:
                page = listapi.parse_list_response(body)
            except listapi.ListAPIError:
                continue
            walk = ListWalk("channel", 1, None)
            for item in page.items:
                walk.see(item)
                cont_id = listapi.item_cont_id(item)
                assert cont_id is not None and 0 <= cont_id < 2**63, (path, value)
                listapi.item_external_link(item)
                incremental.listed_before(item, 1600000000000)
                incremental.needs_fetch(item, Known("标题", "news"))
            incremental.keep_paging(page.next_start_time, 1600000000000)
            assert 0 <= walk.newest_ms < 2**63, (path, value)
            assert page.next_start_time is None or 0 <= page.next_start_time < 2**63, (path, value)
