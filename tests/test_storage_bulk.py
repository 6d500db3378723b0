"""Rows inserted many at a time (issue 26): :func:`storage.bulk.insert_many` hands SQLite the values
SQLAlchemy's own insert would have (the same bind processors: JSON text, UTC times, bytes), in one
``executemany``; what it cannot do the same way goes SQLAlchemy's way. The raw pages' ids come back
in order without a statement per row.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from storage.article_decision import _record_fields
from storage.bulk import insert_many
from storage.models import Article, ArticleTag, RawPage, Tag
from storage.raw import archive_raw_many, raw_page_row
from storage.types import NaiveDatetimeError
from tests.storage_helpers import T0, archive, make_record, session  # noqa: F401 - fixtures

RAW = RawPage.__table__
ARTICLES = Article.__table__
LINKS = ArticleTag.__table__


def _raw_rows(n, start=0, **kw):
    return [
        raw_page_row(
            url=f"https://x/{i}",
            final_url=None if i % 2 else f"https://x/{i}?r",
            status=200 if i % 3 else None,
            headers={"Content-Type": "text/html; charset=utf-8", "X-名": "值"} if i % 2 else {},
            body=b"<p>\xe4\xb8\xad %d</p>" % i,
            fetched_at=T0 + timedelta(seconds=i),
            kind="article",
            context={"url": f"https://x/{i}", "list_item": {"name": "标题\n", "n": 1.5}} if i % 2 else None,
            **kw,
        )
        for i in range(start, start + n)
    ]


def _article_rows(ids, now=T0):
    rows = []
    for cid in ids:
        record = make_record(cid, keywords=["人工智能"] if cid % 2 else [], published_at=None if cid % 3 else T0)
        fields = _record_fields(record)
        rows.append(
            dict(cont_id=cid, **fields, raw_page_id=None, version=1, first_seen=now, last_seen=now, updated_at=now)
        )
    return rows


def _sent(engine, do) -> list:
    """The parameter sets the DBAPI received while ``do()`` ran, flattened to one list of rows."""
    sent: list = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT"):
            sent.extend(parameters if executemany else [parameters])

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        do()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    return [tuple(p.values()) if isinstance(p, dict) else tuple(p) for p in sent]


def _stored(session, table, key):
    """The rows of ``table`` but their surrogate ids (a PostgreSQL sequence does not roll back)."""
    columns = [c for c in table.c if c.name != "id"]
    return [tuple(r) for r in session.execute(sa.select(*columns).order_by(*columns[:1], table.c[key]))]


@pytest.mark.parametrize("which", ["raw_pages", "articles", "article_tags"])
def test_insert_many_sends_and_stores_what_sqlalchemy_would(archive, which):  # noqa: F811
    """The same table filled twice, SQLAlchemy's insert then :func:`insert_many`: SQLite gets the
    same values (JSON text, UTC time text, bytes) and the rows read back are the same."""
    engine, Session = archive
    if which == "raw_pages":
        table, key, first, second = RAW, "url", _raw_rows(6), _raw_rows(6)
    elif which == "articles":
        table, key, first, second = ARTICLES, "cont_id", _article_rows([1, 2, 3]), _article_rows([1, 2, 3])
    else:
        table, key = LINKS, "tag_id"
        with Session() as s:
            s.add_all([Tag(id=t, name=f"标签{t}") for t in range(1, 5)])
            s.execute(sa.insert(ARTICLES), _article_rows([7, 8]))
            s.commit()
        first = second = [{"cont_id": c, "tag_id": t, "position": t - 1} for c in (7, 8) for t in range(1, 5)]
    with Session() as s:
        theirs = _sent(engine, lambda: s.execute(sa.insert(table), first))
        stored_theirs = _stored(s, table, key)
        s.rollback()
    with Session() as s:
        ours = _sent(engine, lambda: insert_many(s.connection(), table, second))
        stored_ours = _stored(s, table, key)
        s.commit()

    def normal(rows):  # bytes arrive as memoryview (SQLite's Binary) or bytes
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]

    assert len(ours) == len(theirs) == len(first)
    if engine.dialect.name == "sqlite":  # elsewhere insert_many is SQLAlchemy's insert (its driver's wrappers)
        assert normal(ours) == normal(theirs)
    assert stored_ours == stored_theirs


def test_insert_many_is_one_executemany_on_sqlite(archive):  # noqa: F811
    engine, Session = archive
    calls = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: calls.append(a[5]))
    with Session() as s:
        insert_many(s.connection(), RAW, _raw_rows(5))
        insert_many(s.connection(), RAW, [])  # nothing to do: no statement
        assert s.scalar(sa.select(sa.func.count()).select_from(RAW)) == 5
    if engine.dialect.name == "sqlite":
        assert calls[0] is True and len(calls) == 2  # the executemany, then the count


def test_insert_many_fills_python_side_defaults_as_sqlalchemy_does(session):  # noqa: F811
    """Rows without a column that has a Python-side default (``raw_pages.headers``: ``{}``) go
    SQLAlchemy's way, which fills it in."""
    rows = _raw_rows(3)
    for row in rows:
        del row["headers"]
    insert_many(session.connection(), RAW, rows)
    assert session.scalars(sa.select(RawPage.headers)).all() == [{}, {}, {}]


def test_insert_many_refuses_a_naive_time_as_sqlalchemy_does(session):  # noqa: F811
    rows = _raw_rows(2)
    rows[1]["fetched_at"] = datetime(2024, 3, 1, 9, 30)
    with pytest.raises(sa.exc.StatementError) as caught:
        insert_many(session.connection(), RAW, rows)
    assert isinstance(caught.value.orig, NaiveDatetimeError)


def test_insert_many_refuses_a_row_without_a_column_as_sqlalchemy_does(session):  # noqa: F811
    rows = _raw_rows(3)
    del rows[2]["sha256"]
    with pytest.raises(sa.exc.StatementError, match="sha256"):
        insert_many(session.connection(), RAW, rows)
    assert session.scalar(sa.select(sa.func.count()).select_from(RAW)) == 0


def test_raw_page_ids_in_order_after_earlier_and_deleted_rows(archive):  # noqa: F811
    """The ids follow the rows already stored, also when the largest was deleted (SQLite gives its
    id again) and for a batch of one."""
    engine, Session = archive
    with Session() as s:
        first = archive_raw_many(s, _raw_rows(3))
        s.commit()
    with Session() as s:
        s.execute(sa.delete(RAW).where(RAW.c.id == first[-1]))
        s.commit()
    with Session() as s:
        second = archive_raw_many(s, _raw_rows(4, start=10))
        one = archive_raw_many(s, _raw_rows(1, start=20))
        s.commit()
        urls = dict(s.execute(sa.select(RAW.c.id, RAW.c.url)).all())
    assert [urls[i] for i in first[:2] + second + one] == [f"https://x/{n}" for n in (0, 1, 10, 11, 12, 13, 20)]
    assert second == sorted(second) and len(set(first[:2] + second + one)) == 7


def test_raw_pages_take_two_statements_a_batch_on_sqlite(archive):  # noqa: F811
    """One executemany and one read of the ids, not an ``INSERT ... RETURNING`` per row."""
    engine, Session = archive
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st.split()[0]))
    with Session() as s:
        ids = archive_raw_many(s, _raw_rows(5))
        s.commit()
    assert len(ids) == 5
    if engine.dialect.name == "sqlite":
        assert statements == ["INSERT", "SELECT"]
    stored_at = Session().scalars(sa.select(RawPage.fetched_at).order_by(RawPage.id)).all()
    assert [t.astimezone(timezone.utc) for t in stored_at] == [T0 + timedelta(seconds=i) for i in range(5)]
