"""Lone UTF-16 surrogates (a JSON escape of half a pair) are no text: dropped where the page's
JSON is read, counted and logged ``lone_surrogate``; the rest of the record is what the page
without them gives. Before, a summary holding ``\\ud800`` made the keyword stage raise, a title
holding one reached the database (which refuses it), and ``repair_text`` raised in a torn window."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaning.document import clean_document
from cleaning.listitem import record_from_list_item
from cleaning.jsontext import drop_lone_surrogates, loads, lone_surrogate_escapes
from cleaning.repair import repair_text
from storage.articles import save_article
from storage.db import open_archive
from tests.conftest import run_cli

PAGE = Path(__file__).parent / "data/records/pages/mock_newsDetail_forward_32001286.html"
URL = "https://www.thepaper.cn/newsDetail_forward_32001286"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}
SURROGATE = re.compile("[\ud800-\udfff]")


def _escapes(text: str) -> list[str]:
    return [text[a:b] for a, b in lone_surrogate_escapes(text)]


@pytest.mark.parametrize(
    "text, lone",
    [
        (r'"a\ud800b"', [r"\ud800"]),
        (r'"a\uDBFFb"', [r"\uDBFF"]),  # upper-case hex
        (r'"\udc00"', [r"\udc00"]),  # a low half alone
        (r'"x\ud83d"', [r"\ud83d"]),  # a high half at the end of the string
        (r'"\ud83d\ud83d\ude00"', [r"\ud83d"]),  # the second high one has its pair
        (r'"\ud83d\u0041\ude00"', [r"\ud83d", r"\ude00"]),  # another escape between the halves
        (r'"\ude00\ud83d"', [r"\ude00", r"\ud83d"]),  # in the wrong order: two halves
        (r'"\\\ud800"', [r"\ud800"]),  # an escaped backslash, then an escape
        # negatives: nothing to drop
        (r'"\ud83d\ude00"', []),  # a pair: one character (😀)
        (r'"\\ud800"', []),  # an escaped backslash followed by the letters ud800
        (r'"\\\\ud800"', []),
        (r'"\u00e9\u4e2d"', []),
        ('"澎湃新闻"', []),
        (r'"\ud7ff\ue000"', []),  # the code points either side of the surrogates
        ("", []),
    ],
)
def test_lone_escapes_found(text, lone):
    assert _escapes(text) == lone
    value, dropped = loads(text) if text else (None, [])
    assert [escape for _, escape in dropped] == lone
    for at, escape in dropped:
        assert text[at : at + len(escape)] == escape
    if text:
        assert not SURROGATE.search(value)
        assert value == SURROGATE.sub("", json.loads(text))


def test_bytes_are_read_as_json_reads_them():
    for data in (rb'{"a": "\ud800x"}', r'{"a": "\ud800x"}'.encode("utf-16"), '{"a": "中"}'.encode()):
        value, dropped = loads(data)
        assert value == {"a": SURROGATE.sub("", json.loads(data)["a"])}
        assert len(dropped) == (r"\ud800" in data.decode(json.detect_encoding(data)))


_units = st.sampled_from(
    ["a", "中", "\\\\", '\\"', r"\u4e2d", r"\ud800", r"\udbff", r"\udc00", r"\udfff", r"\ud83d\ude00"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_units, max_size=12).map("".join), min_size=1, max_size=4))
def test_loads_drops_exactly_what_json_leaves_unpaired(strings):
    """``loads`` gives ``json.loads``' value with its lone surrogates removed (no new pair is
    made by dropping one), and says where each was."""
    text = "[" + ",".join(f'"{s}"' for s in strings) + "]"
    value, dropped = loads(text)
    assert value == [SURROGATE.sub("", s) for s in json.loads(text)]
    assert len(dropped) == sum(len(SURROGATE.findall(s)) for s in json.loads(text))
    for at, escape in dropped:
        assert text[at : at + 6] == escape


@pytest.mark.parametrize(
    "text, out, dropped",
    [
        ("a\ud800b", "ab", [(1, r"\ud800")]),
        ("\udfff中\ud83d", "中", [(0, r"\udfff"), (1, r"\ud83d")]),
        ("澎湃新闻", "澎湃新闻", []),  # negatives
        ("😀", "😀", []),
        ("", "", []),
    ],
)
def test_drop_lone_surrogates(text, out, dropped):
    assert drop_lone_surrogates(text) == (out, dropped)


def test_repair_text_never_raises_on_them():
    torn = "澎湃新闻记者 朱轩报道，今天?天气很好?大家都出门了。"
    for text in (torn, "æ¾Žæ¹ƒæ–°é—»", "國產大模型發佈新版本", "清洁的简体中文文本。"):
        plain = repair_text(text)
        for i in range(len(text) + 1):
            res = repair_text(text[:i] + "\ud800" + text[i:])
            assert res.text == plain.text
            assert res.repairs == {**plain.repairs, "lone_surrogate": 1}
            assert [e.rule for e in res.log].count("lone_surrogate") == 1
    # the caller that has none to drop says so; the text is then left as it is
    assert repair_text("清洁的\ud800文本", surrogates=False).repairs == {}


def _page(old: str, new: str) -> bytes:
    src = PAGE.read_text(encoding="utf-8")
    assert old in src
    return src.replace(old, new, 1).encode("utf-8")


CASES = {
    "title": ('"name":"特稿｜', '"name":"特稿\\ud800｜'),
    "summary": ('"summary":"澎湃科技', '"summary":"澎湃\\udfff科技'),
    "content": ("\\u003cp\\u003e药明康德", "\\u003cp\\u003e药明\\ud83d康德"),
    "two": ('"summary":"澎湃科技', '"summary":"\\udc00澎湃科技\\uDBFF'),
}


@pytest.mark.parametrize("where", sorted(CASES))
def test_a_page_with_them_gives_the_record_of_the_page_without(where):
    old, new = CASES[where]
    plain = clean_document(PAGE.read_bytes(), url=URL, headers=HEADERS)
    data = _page(old, new)
    rec = clean_document(data, url=URL, headers=HEADERS)
    n = len(_escapes(new))
    assert rec.repairs == {**plain.repairs, "lone_surrogate": n}
    events = [e for e in rec.repair_log if e["rule"] == "lone_surrogate"]
    assert [e for e in rec.repair_log if e["rule"] != "lone_surrogate"] == plain.repair_log
    assert len(events) == n
    page = data.decode("utf-8")
    for e in events:
        assert e["field"] == "page" and e["by"] == "rule" and e["after"] == ""
        assert page[e["offset"] : e["offset"] + 6] == e["before"]
    for name in ("title", "summary", "paragraphs", "keywords", "tags", "author", "node_name"):
        assert getattr(rec, name) == getattr(plain, name), name


def test_an_api_answer_with_them():
    item = {"contId": 30012345, "name": "国产大模型\\ud800发布新版本", "pubTimeLong": 1733000000000}
    body = '{"code":200,"data":{"list":[' + json.dumps(item, ensure_ascii=False).replace("\\\\", "\\") + "]}}"
    rec = clean_document(body.encode("utf-8"), url="https://www.thepaper.cn/newsDetail_forward_30012345")
    assert rec.title == "国产大模型发布新版本"
    assert rec.repairs == {"lone_surrogate": 1}
    (event,) = rec.repair_log
    assert event["field"] == "page" and body[event["offset"] : event["offset"] + 6] == "\\ud800"


def test_a_list_item_read_elsewhere():
    """A list item that did not come through :mod:`cleaning.jsontext` (an older archive's page
    context): the fields the record takes from it lose theirs, counted and logged per field."""
    item = {
        "contId": 30012345,
        "name": "国产\ud800大模型",
        "link": "https://example.com/\udc00a",
        "nodeInfo": {"nodeId": 25950, "name": "\ud83d科技"},
        "tagList": [{"tag": "人工\udfff智能"}, {"tag": "芯片"}],
    }
    rec = record_from_list_item(item)
    assert (rec.title, rec.external_url, rec.node_name, rec.tags) == (
        "国产大模型",
        "https://example.com/a",
        "科技",
        ["人工智能", "芯片"],
    )
    assert rec.repairs == {"lone_surrogate": 4}
    assert sorted((e["field"], e["offset"], e["before"]) for e in rec.repair_log) == [
        ("external_url", 20, "\\udc00"),
        ("node_name", 0, "\\ud83d"),
        ("tags", 2, "\\udfff"),
        ("title", 2, "\\ud800"),
    ]
    # a page's record takes the list item's name as a copy of its title, never its surrogates
    plain = clean_document(PAGE.read_bytes(), url=URL, headers=HEADERS, list_item={"name": "特稿｜成都\ud800"})
    assert not SURROGATE.search(json.dumps(plain.__dict__, default=str, ensure_ascii=False))


def test_the_record_is_stored_and_shown(tmp_path):
    """What used to fail at the database: the record is saved, and ``show`` prints its log."""
    rec = clean_document(_page(*CASES["title"]), url=URL, headers=HEADERS)
    db = tmp_path / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{db}", create=True)
    try:
        with Session() as s:
            save_article(s, rec, raw_page_id=None, now=datetime(2026, 12, 7, tzinfo=timezone.utc))
            s.commit()
    finally:
        engine.dispose()
    shown = run_cli("show", "--db", str(db), "32001286", "--no-body", check=True).stdout
    assert "lone_surrogate" in shown


def test_clean_file_as_typed(tmp_path):
    path = tmp_path / "newsDetail_forward_32001286.html"
    path.write_bytes(_page(*CASES["summary"]))
    proc = run_cli("clean", str(path), "--explain")
    assert proc.returncode == 0, proc.stderr
    assert "lone_surrogate" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "listed, stored, fetch",
    [
        ("国产\ud800大模型", "国产大模型", False),  # the stored title is the listed one without it
        ("国产大模型", "国产大模型", False),
        ("国产\ud800大模型", "国产大模型发布", True),  # negative: the title did change
    ],
)
def test_a_scheduled_crawl_does_not_fetch_it_again(listed, stored, fetch):
    from crawler.incremental import Known, needs_fetch

    assert needs_fetch({"name": listed}, Known(title=stored, content_type="news")) is fetch
