"""The writer's statements built once a process (issue 26): the stored articles and their tags read
with bound id lists, tags found and inserted in order, failures resolved by URLs or ids alone, the
raw pages' ids in order, the JSON text of the columns, and the session's own objects kept in step.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

import storage.articles as articles_mod
from storage.articles import load_stored, save_article
from storage.db import json_text, json_value
from storage.failures import record_failure, resolve_failures
from storage.models import Article, Failure, Tag
from storage.raw import archive_raw_many, raw_page_row
from storage.tags import _replace_tags, _tag_ids
from tests.storage_helpers import T0, archive, make_record, session  # noqa: F401 - fixtures


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        {},
        "中文",
        ["人工智能", "大模型"],
        {"url": "https://www.thepaper.cn/x", "list_item": {"name": "标题\n", "pubTime": 1, "n": 1.5}},
        [{"field": "body", "offset": 3, "rule": "nbsp", "before": "\u00a0", "after": " ", "by": "bytes"}],
        {"nested": [[1, 2], {"a": None, "b": True}], "emoji": "😀", "quote": '"\\'},
    ],
)
def test_json_text_is_what_json_dumps_wrote(value):
    assert json_text(value) == json.dumps(value, ensure_ascii=False)


def test_json_text_refuses_what_json_dumps_refuses():
    with pytest.raises(TypeError):
        json_text({"when": T0})


@pytest.mark.parametrize(
    "text",
    ["[]", "{}", "[ ]", "{ }", " []", "[[]]", '{"": {}}', '[""]', "null", "0", '"[]"', '["人工智能"]', '{"nbsp": 2}'],
)
def test_json_value_is_what_json_loads_read(text):
    """The empty list and object come without the parser; anything else (spaces, nesting, a string
    that spells ``[]``) is ``json.loads``'; a value read is a new object every time."""
    assert json_value(text) == json.loads(text) and type(json_value(text)) is type(json.loads(text))
    if isinstance(json_value(text), list | dict):
        assert json_value(text) is not json_value(text)


def test_json_value_refuses_what_json_loads_refuses():
    with pytest.raises(json.JSONDecodeError):
        json_value("[")


def test_empty_json_columns_come_back_as_new_empty_values(session):  # noqa: F811
    """The archive's engine reads JSON columns with :func:`json_value`: an article with no images,
    repairs or repair log reads them back empty, and changing one read leaves the next read empty."""
    save_article(session, make_record(7, images=[], repairs={}, stripped={}), raw_page_id=None, now=T0)
    session.commit()
    first = load_stored(session, [7])[7]
    assert (first.images, first.repairs, first.repair_log, first.stripped) == ([], {}, [], {})
    first.images.append("x")
    first.repairs["x"] = 1
    again = load_stored(session, [7])[7]
    assert (again.images, again.repairs) == ([], {})


def test_load_stored_reads_every_chunk_with_its_tags_in_order(session, monkeypatch):  # noqa: F811
    monkeypatch.setattr(articles_mod, "IN_CHUNK", 2)  # three chunks of ids
    for cont_id in (1, 2, 3, 4, 5):
        save_article(session, make_record(cont_id, tags=[f"t{cont_id}", "共同"]), raw_page_id=None, now=T0)
    session.commit()
    stored = load_stored(session, [5, 4, 3, 2, 1, 1, 99])
    assert sorted(stored) == [1, 2, 3, 4, 5]  # 99 is not stored
    assert all(stored[c].tag_names == [f"t{c}", "共同"] for c in stored)
    assert stored[3].text_captured_at == T0  # no raw page: its updated_at
    assert load_stored(session, []) == {}
    assert load_stored(session, [99]) == {}


def test_load_stored_reads_tags_of_stored_articles_only(session, monkeypatch):  # noqa: F811
    monkeypatch.setattr(articles_mod, "IN_CHUNK", 2)  # chunks [1, 2], [3, 4], [5]
    for cont_id in (1, 4):
        save_article(session, make_record(cont_id, tags=[f"t{cont_id}"]), raw_page_id=None, now=T0)
    session.commit()
    statements: list[str] = []
    sa.event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    stored = load_stored(session, [1, 2, 3, 4, 5])
    assert {c: s.tag_names for c, s in stored.items()} == {1: ["t1"], 4: ["t4"]}
    tag_reads = [s for s in statements if "article_tags" in s]
    assert len(statements) == 3 + 2  # an article read per chunk, tags only where one was stored
    assert len(tag_reads) == 2
    statements.clear()
    assert load_stored(session, [2, 3, 5]) == {}  # nothing stored: no tag read at all
    assert not [s for s in statements if "article_tags" in s]


@pytest.mark.parametrize("holds_objects", [False, True])
def test_replaced_tags_with_or_without_objects_in_the_session(session, holds_objects):  # noqa: F811
    for cont_id in (1, 2):
        save_article(session, make_record(cont_id, tags=["旧", f"t{cont_id}"]), raw_page_id=None, now=T0)
    session.commit()
    session.expunge_all()
    held = session.get(Article, 1) if holds_objects else None
    if held is not None:
        assert held.tag_names == ["旧", "t1"]  # its links are loaded into the session
        old_links = list(held.tag_links)
    statements: list[str] = []
    sa.event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    _replace_tags(session, {1: ["新", "t1"], 2: []})
    session.commit()
    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE FROM ARTICLE_TAGS")]
    assert len(deletes) == 1
    if held is not None:  # the ORM's delete kept the session's links in step
        assert not [link for link in old_links if link in session]
        session.expire(held)
        assert held.tag_names == ["新", "t1"]
    stored = load_stored(session, [1, 2])
    assert stored[1].tag_names == ["新", "t1"] and stored[2].tag_names == []


def test_tags_are_inserted_in_first_seen_order_and_found_again(session):  # noqa: F811
    assert _tag_ids(session, []) == {}
    first = _tag_ids(session, ["乙", "甲", "丙"])
    assert first["乙"] < first["甲"] < first["丙"]  # ids as the names came
    again = _tag_ids(session, ["丙", "丁", "乙"])
    assert again["丙"] == first["丙"] and again["乙"] == first["乙"] and again["丁"] > first["丙"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 4


def test_failures_resolved_by_urls_or_by_ids_alone(session):  # noqa: F811
    for n in range(1, 5):
        record_failure(session, url=f"u{n}", cont_id=n, reason="http", message="", run_id=None, now=T0)
    held = session.scalars(sa.select(Failure).where(Failure.url == "u1")).one()
    assert resolve_failures(session, [], []) == 0
    assert resolve_failures(session, ["u1", "nowhere"]) == 1  # no ids: the URL alone
    assert held not in session  # the session forgets the row it held
    assert resolve_failures(session, [], [2, 99]) == 1  # no URLs: the id alone
    assert resolve_failures(session, ["u3"], [4]) == 2
    session.commit()
    assert session.scalars(sa.select(Failure.url)).all() == []


def test_an_article_the_session_holds_is_reloaded_after_an_update(session):  # noqa: F811
    save_article(session, make_record(7), raw_page_id=None, now=T0)
    session.commit()
    held = session.get(Article, 7)
    assert held.title == make_record(7).title
    later = T0 + timedelta(hours=1)
    assert save_article(session, make_record(7, title="新标题"), raw_page_id=None, now=later) == "updated"
    assert held.title == "新标题" and held.last_seen == later


def test_raw_pages_get_their_ids_in_order(session):  # noqa: F811
    rows = [
        raw_page_row(
            url=f"https://x/{n}", final_url=None, status=200, headers={}, body=b"p%d" % n, fetched_at=T0, kind="article"
        )
        for n in range(5)
    ]
    ids = archive_raw_many(session, rows)
    assert ids == sorted(ids) and len(set(ids)) == 5
    urls = dict(session.execute(sa.text("select id, url from raw_pages")).all())
    assert [urls[i] for i in ids] == [f"https://x/{n}" for n in range(5)]
    assert archive_raw_many(session, []) == []


def test_the_models_load_without_postgresql_dialect_and_keep_jsonb_there():
    """A SQLite process (the crawl's worker) does not import PostgreSQL's dialect package for the
    models; a PostgreSQL archive still gets ``jsonb`` for the JSON columns that had it."""
    import subprocess
    import sys

    code = (
        "import sys, storage.models, storage.writers, storage.batch; print(any('postgresql' in m for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateTable

    table = Article.__table__
    pg_sql = str(CreateTable(table).compile(dialect=postgresql.dialect()))
    lite_sql = str(CreateTable(table).compile(dialect=sqlite.dialect()))
    assert "keywords JSONB" in pg_sql and "repair_log JSONB" in pg_sql and "images JSON" in pg_sql
    assert "keywords JSON" in lite_sql and "JSONB" not in lite_sql
