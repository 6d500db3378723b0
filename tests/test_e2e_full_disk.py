"""An archive that cannot be written: a crawl into a full disk (a small tmpfs the test mounts, or
PostgreSQL answering ``disk_full`` from a trigger), a read-only or unreachable database.

The first failed commit stops the run: nothing more is fetched, one line says why (exit code 6),
the run is marked failed where that can still be written, the lock is released or taken over,
the archive stays consistent, and the next run on a free disk completes."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.db import make_engine, open_archive
from storage.models import Article, CrawlRun, RawPage, RunLock
from storage.unwritable import ArchiveUnwritable, unwritable_reason
from tests.conftest import PG_URL, fresh_db_url, messages, run_cli, tmpfs
from tests.test_e2e_scheduled import expected_ids, stored_ids

needs_pg = pytest.mark.skipif(not PG_URL, reason="needs THEPAPER_TEST_PG_URL")
STOP_LINE = (
    "thepaper-archive: error: cannot write the archive: {why}; stopping the run "
    "(the next run resumes once the archive can be written)"
)


def crawl(site, db_url, *extra):
    return run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q", *extra, timeout=600)


def articles_and_orphans(db_url: str) -> tuple[int, int]:
    """The archive's articles, and those whose raw page is not in it (none in a consistent archive)."""
    with Session(create_engine(db_url)) as s:
        n_articles = s.scalar(select(func.count()).select_from(Article))
        orphans = s.scalar(
            select(func.count())
            .select_from(Article)
            .where(Article.raw_page_id.is_not(None), ~Article.raw_page_id.in_(select(RawPage.id)))
        )
    return n_articles or 0, orphans or 0


def _assert_stopped_cleanly(proc, site, db_url, ds, why_starts: str) -> None:
    """Exit 6, exactly one error line and the summary, counters that agree with the archive,
    far fewer article pages fetched than the run would have, a consistent archive."""
    assert proc.returncode == 6, proc.stderr[-3000:]
    lines = messages(proc.stderr)
    assert len(lines) == 2, proc.stderr[-3000:]
    head = STOP_LINE.split("{why}")[0]
    assert lines[0].startswith(head + why_starts) and lines[0].endswith(STOP_LINE.split("{why}")[1]), lines[0]
    assert lines[1].startswith("run 1 failed (cannot write the archive: ")
    n_articles, orphans = articles_and_orphans(db_url)
    summary = lines[1]
    new = int(summary.split("new ")[1].split(",")[0])
    gone = int(summary.split("gone ")[1].split(",")[0])
    assert new + gone == n_articles  # the summary counts what is in the archive, nothing more
    assert orphans == 0
    assert 0 < n_articles < len(expected_ids(ds))
    # Fetching stopped at the first failed commit: what was fetched after it is at most what
    # was already in flight (the pipelines' byte budget, the downloader's slots), far from all.
    assert site.hits_article_pages() < n_articles + 250 < len(ds.articles())


# --------------------------------------------------------------------------- a real full disk
@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs, if this machine lets the tests mount one (root with CAP_SYS_ADMIN)."""
    with tmpfs(tmp_path / "disk", "2m") as mount_point:
        yield mount_point


def test_a_crawl_into_a_full_disk_stops_at_the_first_failed_commit(small_disk):
    ds = generate_dataset(1500, seed=7)
    db_url = f"sqlite:///{small_disk / 'archive.sqlite3'}"
    with MockSite(ds) as site:
        proc = crawl(site, db_url)
        _assert_stopped_cleanly(proc, site, db_url, ds, "the disk is full (SQLite: database or disk is full)")
        with Session(create_engine(db_url)) as s:
            assert s.scalar(text("PRAGMA integrity_check")) == "ok"
            assert s.scalars(select(CrawlRun.status)).all() in (["failed"], ["running"])

        # a bigger disk: the next run takes the lock over if it is still there, and completes
        subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
        again = crawl(site, db_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(stored_ids(db_url)) == expected_ids(ds)
    with Session(create_engine(db_url)) as s:
        first, second = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert first.status in ("failed", "aborted") and second.status == "ok"
        assert s.scalar(select(func.count()).select_from(RunLock)) == 0


# --------------------------------------------------------------------------- PostgreSQL: disk_full at commit
_FULL_AFTER = """
CREATE FUNCTION thepaper_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM raw_pages) >= {n} THEN
    RAISE EXCEPTION 'could not extend file "base/16384/24591": No space left on device'
      USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER thepaper_test_disk_full BEFORE INSERT ON raw_pages
  FOR EACH ROW EXECUTE FUNCTION thepaper_test_disk_full();
"""


@needs_pg
@pytest.mark.parametrize("writer", ["thread", "process"])
def test_postgresql_disk_full_stops_the_run_and_the_next_run_completes(tmp_path, writer):
    db_url = fresh_db_url("postgresql", tmp_path)
    assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(_FULL_AFTER.format(n=120))
    ds = generate_dataset(1000, seed=8)
    extra = ("-s", "THEPAPER_PIPELINE_WORKER=1") if writer == "process" else ()
    try:
        with MockSite(ds) as site:
            proc = crawl(site, db_url, *extra)
            _assert_stopped_cleanly(
                proc, site, db_url, ds, "the database server's disk is full (PostgreSQL 53100: could not extend file"
            )
            with Session(engine) as s:
                assert s.scalars(select(CrawlRun.status)).all() == ["failed"]  # runs can still be written
                assert s.scalar(select(func.count()).select_from(RunLock)) == 0  # and the lock released
            with engine.begin() as conn:  # space is freed
                conn.exec_driver_sql("DROP TRIGGER thepaper_test_disk_full ON raw_pages")
            again = crawl(site, db_url, *extra)
        assert again.returncode == 0, again.stderr[-3000:]
        assert set(stored_ids(db_url)) == expected_ids(ds)
    finally:
        engine.dispose()


@needs_pg
def test_a_read_only_or_unreachable_database_is_one_line_and_exit_6(tmp_path):
    db_url = fresh_db_url("postgresql", tmp_path)
    assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
    engine = make_engine(db_url, isolation_level="AUTOCOMMIT")
    dbname = engine.url.database
    with engine.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    try:
        with MockSite(generate_dataset(20, seed=1)) as site:
            proc = crawl(site, db_url)
        assert proc.returncode == 6, proc.stderr[-3000:]
        [line] = messages(proc.stderr)
        assert line.startswith(
            "thepaper-archive: error: cannot use the archive: the database is read-only "
            "(PostgreSQL 25006: cannot execute "
        )
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{dbname}" RESET default_transaction_read_only')
        engine.dispose()
    down = "postgresql://nobody:secret@127.0.0.1:1/nothing"
    for args in (["stats", "--db", down], ["crawl", "--base-url", "http://127.0.0.1:1", "--db", down]):
        proc = run_cli(*args)
        assert proc.returncode == 6, proc.stderr[-3000:]
        [line] = messages(proc.stderr)
        # opening it: the one line names the database (without its password) and what the driver said
        assert (
            line.startswith(
                "thepaper-archive: error: the archive database "
                "postgresql://nobody:***@127.0.0.1:1/nothing does not answer: "
            )
            and "secret" not in line
        )


# --------------------------------------------------------------------------- what counts as unwritable
def _sqlite_error(tmp_path, setup: str, statement: str) -> sqlite3.Error:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    sqlite3.connect(path).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (1);").close()
    conn = sqlite3.connect(f"file:{path}?mode=ro" if setup == "ro" else path, uri=setup == "ro")
    if setup == "full":
        conn.execute("PRAGMA max_page_count = 3")
    try:
        for _ in range(1000):
            conn.execute(statement)
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("no error")


def test_real_sqlite_errors_are_classified(tmp_path):
    full = _sqlite_error(tmp_path, "full", "INSERT INTO t VALUES (randomblob(4000))")
    assert unwritable_reason(full) == "the disk is full (SQLite: database or disk is full)"
    ro = _sqlite_error(tmp_path, "ro", "INSERT INTO t VALUES (1)")
    assert unwritable_reason(ro) == "the database is read-only (SQLite: attempt to write a readonly database)"
    # negatives: errors about one statement or row are not an unwritable archive
    for statement in ("INSERT INTO nowhere VALUES (1)", "SELECT * FROM", "CREATE TABLE t(x)"):
        assert unwritable_reason(_sqlite_error(tmp_path, "", statement)) is None
    assert unwritable_reason(OSError(28, "No space left on device")) == "the disk is full (No space left on device)"
    assert unwritable_reason(OSError(2, "No such file or directory")) is None
    assert unwritable_reason(ValueError("x")) is None


def test_every_engine_raises_archive_unwritable(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine, Session_ = open_archive(url, create=True)
    engine.dispose()
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1")
        with pytest.raises(ArchiveUnwritable) as caught:
            conn.exec_driver_sql("INSERT INTO tags (name) VALUES (?)", ("x" * 100_000,))
    assert str(caught.value).startswith("cannot use the archive: the disk is full")
    with engine.connect() as conn:  # other errors stay what they are
        with pytest.raises(Exception) as other:
            conn.exec_driver_sql("INSERT INTO nowhere VALUES (1)")
    assert not isinstance(other.value, ArchiveUnwritable)
    engine.dispose()


@needs_pg
def test_real_postgresql_errors_are_classified():
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            with pytest.raises(ArchiveUnwritable, match=r"the database is read-only \(PostgreSQL 25006"):
                conn.exec_driver_sql("CREATE TABLE thepaper_read_only_test (x int)")
        with engine.connect() as conn:
            with pytest.raises(Exception) as other:
                conn.exec_driver_sql("SELECT 1/0")
            assert not isinstance(other.value, ArchiveUnwritable)
        with engine.connect() as conn:  # the server ends our session under us: the database is gone
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as killer:
                killer.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
            with pytest.raises(ArchiveUnwritable, match="the database server"):
                conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL: during the first training
_FAIL_TRAINING = {
    # the disk fills as the dictionary is committed (a deferred trigger: at COMMIT, after the flush)
    "disk_full_at_commit": """
CREATE FUNCTION thepaper_test_training() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file "base/16384/24600": No space left on device'
    USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
END $$;
CREATE CONSTRAINT TRIGGER thepaper_test_training AFTER INSERT ON raw_dictionaries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION thepaper_test_training();
""",
    # the server goes away while the dictionary is written (the connection is terminated as a
    # server shutting down terminates it)
    "server_stop": """
CREATE FUNCTION thepaper_test_training() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_terminate_backend(pg_backend_pid());
  RETURN NEW;
END $$;
CREATE TRIGGER thepaper_test_training BEFORE INSERT ON raw_dictionaries
  FOR EACH ROW EXECUTE FUNCTION thepaper_test_training();
""",
}


@needs_pg
@pytest.mark.parametrize("fault", sorted(_FAIL_TRAINING))
def test_postgresql_failing_during_the_first_dictionary_training(tmp_path, fault):
    """The archive becomes unwritable while the writer trains its first dictionary, after the
    batch before it was committed: that batch is counted (the summary and the run's counters
    count exactly what was committed), the run stops at the next batch with one line (exit 6,
    never "a bug"), and the next run completes."""
    db_url = fresh_db_url("postgresql", tmp_path)
    assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(_FAIL_TRAINING[fault])
    ds = generate_dataset(900, seed=9)
    try:
        with MockSite(ds) as site:
            proc = crawl(site, db_url)
            why = {
                "disk_full_at_commit": "the database server's disk is full (PostgreSQL 53100: could not extend file",
                "server_stop": "the database server is shutting down (PostgreSQL 57P01: ",
            }[fault]
            _assert_stopped_cleanly(proc, site, db_url, ds, why)
            assert "a bug" not in proc.stderr
            with Session(engine) as s:
                run = s.scalars(select(CrawlRun)).one()
                stored = s.scalar(select(func.count()).select_from(Article))
                raw = s.scalar(select(func.count()).select_from(RawPage))
                assert run.status == "failed"
                assert run.counters["new"] + run.counters["gone"] == stored  # every committed article counted
                assert raw >= 500  # the training was due
            with engine.begin() as conn:  # the disk has room again, the server is back
                conn.exec_driver_sql("DROP TRIGGER thepaper_test_training ON raw_dictionaries")
            again = crawl(site, db_url)
        assert again.returncode == 0, again.stderr[-3000:]
        assert set(stored_ids(db_url)) == expected_ids(ds)
    finally:
        engine.dispose()
