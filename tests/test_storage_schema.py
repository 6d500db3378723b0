"""The storage layer's database: the migrated schema matches the models, database URLs resolve,
aware datetimes round-trip in Shanghai time and naive ones are refused, and SQLite's pragmas,
foreign keys and concurrent readers, writers and first opens behave.

Every database test runs on SQLite and, when ``THEPAPER_TEST_PG_URL`` is set, on PostgreSQL."""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.articles import save_article
from storage.raw import archive_raw
from storage.db import current_revision, head_revision, make_engine, open_archive, resolve_db_url, upgrade
from storage.models import Article, ArticleVersion, Base, CrawlRun
from storage.types import NaiveDatetimeError
from storage.views import include_name
from tests.conftest import ROOT
from tests.storage_helpers import SH, T0, archive, make_record, session, start_together


# --------------------------------------------------------------------------- schema
def test_migrated_schema_matches_models(archive):
    engine, _ = archive
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
        )
        assert compare_metadata(ctx, Base.metadata) == []


def test_schema_comparison_notices_a_difference(archive):
    """The comparison above can fail: a model column missing from the migration is reported."""
    engine, _ = archive
    meta = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(meta)
    meta.tables["articles"].append_column(sa.Column("extra_col", sa.Integer, nullable=True))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), meta)
    assert [d[0] for d in diff] == ["add_column"] and diff[0][3].name == "extra_col"


def test_upgrade_on_empty_sqlite_file(tmp_path):
    path = tmp_path / "nested" / "dir" / "a.sqlite3"
    url = resolve_db_url(str(path))
    assert url == f"sqlite:///{path}" and not path.parent.exists()  # resolving creates nothing
    upgrade(url)  # db upgrade creates the archive and its directories
    assert path.exists()
    engine = make_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert {t for t in Base.metadata.tables} | {"alembic_version"} == {n for n in names if include_name(n, "table")}
        head = current_revision(engine)
        assert head == head_revision()
        upgrade(engine)  # idempotent
        assert current_revision(engine) == head
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "given_url, expected",
    [
        ("postgresql://u:p@db.example:5432/arch", "postgresql+psycopg://u:p@db.example:5432/arch"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_resolve_db_url_rewrites_drivers(given_url, expected):
    assert resolve_db_url(given_url) == expected


def test_resolve_db_url_env_and_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("THEPAPER_ARCHIVE_DB", raising=False)
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'data' / 'archive.sqlite3'}"
    assert not (tmp_path / "data").exists()
    monkeypatch.setenv("THEPAPER_ARCHIVE_DB", "other.db")
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'other.db'}"
    assert resolve_db_url("explicit.db") == f"sqlite:///{tmp_path / 'explicit.db'}"


# --------------------------------------------------------------------------- time zones
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 1, 9, 30, tzinfo=SH),
        datetime(2024, 3, 1, 1, 30, tzinfo=timezone.utc),
        datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2016, 7, 1, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ],
)
def test_aware_datetimes_round_trip_in_shanghai(archive, moment):
    engine, Session = archive
    with Session() as s:
        save_article(s, make_record(published_at=moment), raw_page_id=None, now=moment)
        s.commit()
    with Session() as s:
        a = s.get(Article, 1001)
        assert a.published_at == moment and a.first_seen == moment
        assert a.published_at.utcoffset() == timedelta(hours=8) and a.published_at.tzinfo.key == "Asia/Shanghai"
        hits = s.scalars(sa.select(Article.cont_id).where(Article.published_at == moment.astimezone(SH))).all()
        assert hits == [1001]
        if engine.dialect.name == "sqlite":  # stored as naive UTC text
            stored = s.execute(sa.select(sa.cast(Article.__table__.c.published_at, sa.String))).scalar_one()
            assert stored.startswith(moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))


def test_naive_datetime_is_refused(session):
    with pytest.raises(sa.exc.StatementError) as err:
        session.add(CrawlRun(started_at=datetime(2024, 1, 1), status="running", command="x", args={}, counters={}))
        session.flush()
    assert isinstance(err.value.orig, NaiveDatetimeError) and "naive" in str(err.value.orig)


# --------------------------------------------------------------------------- SQLite concurrency
def test_sqlite_pragmas(tmp_path):
    engine, _ = open_archive(str(tmp_path / "p.sqlite3"), create=True)
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert pragma == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 1}
    finally:
        engine.dispose()


def test_foreign_keys_enforced(archive):
    _, Session = archive
    with Session() as s:
        s.add(
            ArticleVersion(
                cont_id=424242, version=1, content_hash="x", cleaner_version="1", valid_from=T0, replaced_at=T0
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()


def test_open_reader_does_not_block_writer(archive):
    engine, Session = archive
    with Session() as s:
        for i in range(1, 51):
            save_article(s, make_record(i, title=f"t{i}"), raw_page_id=None, now=T0)
        s.commit()
    reader_engine = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with reader_engine.connect() as reader:
            rows = reader.execute(sa.select(Article.cont_id).order_by(Article.cont_id)).yield_per(1)
            first = next(iter(rows))  # a read in progress, cursor open
            # The write commits while the reader's cursor is still open: a writer that the reader
            # blocked could only fail (busy timeout) or hang here, whatever the machine's speed.
            with Session() as w:
                save_article(w, make_record(999, title="新的"), raw_page_id=None, now=T0)
                archive_raw(w, url="u", final_url=None, status=200, headers={}, body=b"x", fetched_at=T0, kind="list")
                w.commit()
            rest = [r[0] for r in rows]
        assert first[0] == 1 and rest == list(range(2, 51))  # the reader's snapshot is unaffected
        with Session() as s:
            assert s.get(Article, 999).title == "新的"
    finally:
        reader_engine.dispose()


_OPENER = textwrap.dedent("""
    import sys
    from storage.db import open_archive, current_revision
    print("READY", flush=True)
    sys.stdin.readline()  # GO
    engine, _ = open_archive(sys.argv[1], create=True)
    print(current_revision(engine), flush=True)
""")


def test_concurrent_first_opens_migrate_once(db_url):
    """Several processes opening a new archive at the same moment all succeed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = start_together(_OPENER, [db_url], 5, env)
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [o[1][-800:] for o in outs]
    assert {o[0].strip() for o in outs} == {head_revision()}


class _BusyOnceCursor:
    """A DBAPI cursor whose first switch to WAL meets "database is locked", as when another
    process opens the same new archive at that instant (SQLite does not wait then)."""

    def __init__(self, fail_times: int, message: str = "database is locked"):
        import sqlite3

        self.fail_times, self.message, self.error = fail_times, message, sqlite3.OperationalError
        self.mode, self.calls = "delete", []

    def execute(self, sql):
        self.calls.append(sql)
        if sql == "PRAGMA journal_mode = WAL":
            if self.fail_times:
                self.fail_times -= 1
                raise self.error(self.message)
            self.mode = "wal"
        return self

    def fetchone(self):
        return (self.mode,)


def test_switch_to_wal_waits_out_a_concurrent_opener():
    from storage.db import _use_wal

    cur = _BusyOnceCursor(fail_times=3)
    _use_wal(cur)
    assert cur.mode == "wal" and cur.calls.count("PRAGMA journal_mode = WAL") == 4
    done = _BusyOnceCursor(fail_times=0)
    done.mode = "wal"
    _use_wal(done)  # already WAL (a property of the file): nothing to switch
    assert done.calls == ["PRAGMA journal_mode"]
    with pytest.raises(Exception, match="disk I/O error"):  # other errors are not retried
        _use_wal(_BusyOnceCursor(fail_times=1, message="disk I/O error"))
