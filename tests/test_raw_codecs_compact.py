"""``db compact``: it re-encodes every raw page and keeps the bytes, leaves a body that does not match
its hash, loses nothing when killed with SIGKILL, retrains an outgrown dictionary, gives SQLite
archives 16k pages, and says in one line why it cannot."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter

import pytest
import sqlalchemy as sa

from jobs.reprocess import reprocess_archive
from storage import codec
from storage.compact import compact_archive
from storage.db import open_archive
from storage.dictionaries import forget_encoders
from storage.models import RawPage
from tests.conftest import ROOT, cli_env
from tests.raw_codec_helpers import _codecs, _pages, _store, _zlib_rows, mixed


def test_compact_reencodes_everything_and_keeps_the_bytes(mixed):
    engine, Session, pages = mixed
    counts, note = compact_archive(Session, batch=7)
    # 60 pages have outgrown the dictionary trained at 40 (RETRAIN_GROWTH): a new one, every row on it
    assert note is None and counts["dictionary_trained"] == 1
    assert counts["pages"] == 60 and counts["damaged"] == 0
    with Session() as s:
        newest = max(s.scalars(sa.select(RawPage.dictionary_id)))
        assert {(c, d) for c, d in s.execute(sa.select(RawPage.compression, RawPage.dictionary_id))} == {
            ("zstd", newest)
        }
        for page in s.scalars(sa.select(RawPage)):
            assert page.raw_bytes() == pages[page.cont_id]
    assert compact_archive(Session)[0]["pages"] == 0  # nothing left to do
    assert reprocess_archive(Session) == Counter(unchanged=60)


def test_compact_leaves_a_body_that_does_not_match_its_hash(mixed):
    _, Session, pages = mixed
    with Session() as s:
        page = s.scalars(sa.select(RawPage).where(RawPage.compression == "zlib")).first()
        page.body, bad_id = zlib.compress(b"something else"), page.id
        s.commit()
    counts, _ = compact_archive(Session)
    assert counts["damaged"] == 1 and counts["pages"] == 59  # a new dictionary for the 59 others
    with Session() as s:
        assert s.get(RawPage, bad_id).compression == "zlib"  # untouched: the evidence stays


def test_compact_killed_with_sigkill_loses_nothing(db_url, tmp_path):
    """``db compact`` as a user runs it, killed -9 in the middle: every page still reads back
    exactly; the next run finishes the job."""
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(150)
    try:
        ids = _store(Session, pages, encoder=codec.PLAIN)
        with Session() as s:
            _zlib_rows(s, ids)
            s.commit()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler.cli",
                "db",
                "compact",
                "--db",
                db_url,
                "--batch",
                "2",
                "--level",
                "19",
                "--no-vacuum",
            ],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            with Session() as s:
                done = s.scalar(sa.select(sa.func.count()).select_from(RawPage).where(RawPage.compression == "zstd"))
            if done >= 20:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"compact ended before it could be killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        by_codec = _codecs(Session)
        assert by_codec[("zstd", True)] >= 20 and by_codec[("zlib", False)] > 0, by_codec
        with Session() as s:
            for page in s.scalars(sa.select(RawPage)):
                assert hashlib.sha256(page.raw_bytes()).hexdigest() == page.sha256
        again = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "db", "compact", "--db", db_url],
            cwd=ROOT,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr
        assert again.stderr.strip().startswith(f"compacted {by_codec[('zlib', False)]} raw pages: ")
        assert _codecs(Session) == {("zstd", True): 150}
        with Session() as s:
            for page in s.scalars(sa.select(RawPage)):
                assert page.raw_bytes() == dict(pages)[page.cont_id]
    finally:
        forget_encoders()
        engine.dispose()


def test_compact_of_a_tiny_archive_says_why_there_is_no_dictionary(tmp_path):
    from tests.conftest import run_cli

    db = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    engine, Session = open_archive(db, create=True)
    try:
        _store(Session, _pages(3), encoder=codec.PLAIN)
    finally:
        engine.dispose()
    proc = run_cli("db", "compact", "--db", db)
    assert proc.returncode == 0
    assert "with no dictionary (too few pages to train a dictionary on (3; at least 8))" in proc.stderr


def test_compact_bad_level_is_a_usage_error(tmp_path):
    from tests.conftest import run_cli

    proc = run_cli("db", "compact", "--level", "30", "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "thepaper-archive db compact: error: argument --level: zstd levels are 1 to 22, not 30 "
        "(see thepaper-archive db compact --help)"
    )


@pytest.mark.parametrize(
    "samples, archive_pages, pages, expected",
    [
        (500, 500, 2081, True),  # the crawl's first dictionary, after a backfill
        (500, 500, 749, False),  # not yet 1.5 times as many
        (400, 20_000, 29_999, False),  # trained on a sample of a large archive: what it held counts
        (400, 20_000, 30_000, True),
        (1999, None, 10**6, True),  # trained before 0010: counted as its samples
    ],
)
def test_compact_retrains_a_dictionary_the_archive_has_outgrown(samples, archive_pages, pages, expected):
    from types import SimpleNamespace

    from storage.dictionaries import outgrown

    assert outgrown(SimpleNamespace(samples=samples, archive_pages=archive_pages), pages) is expected


def test_new_sqlite_archives_have_16k_pages_and_compact_converts_older_ones(tmp_path):
    """SQLite's 4 KiB pages leave much of each page unused under rows of 1-3 KiB: new archives
    get storage.db.SQLITE_PAGE_SIZE, and ``db compact`` gives an older WAL archive the same."""
    import sqlite3

    from storage.compact import reclaim_space
    from storage.db import SQLITE_PAGE_SIZE

    new = tmp_path / "new.sqlite3"
    engine, _ = open_archive(f"sqlite:///{new}", create=True)
    engine.dispose()
    with sqlite3.connect(new) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE made_before (x)")  # the file is written: its page size is set
    conn.execute("DROP TABLE made_before")  # and it holds no table: it may become an archive
    conn.close()
    engine, Session = open_archive(f"sqlite:///{old}", create=True)
    try:
        _store(Session, _pages(5), encoder=codec.PLAIN)
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert reclaim_space(engine) == f"VACUUM (pages of 4096 -> {SQLITE_PAGE_SIZE} bytes)"
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("SELECT count(*) FROM articles").scalar() == 5
        assert reclaim_space(engine) == "VACUUM"
    finally:
        engine.dispose()


def test_db_compact_gives_an_older_archive_16k_pages_with_nothing_to_re_encode(tmp_path):
    """The command as a user types it: an archive compacted before (nothing left to re-encode)
    still gets the larger pages; with --no-vacuum it is left as it is."""
    import sqlite3

    from storage.db import SQLITE_PAGE_SIZE

    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE made_before (x)")  # the file is written: its page size is set
    conn.execute("DROP TABLE made_before")  # and it holds no table: it may become an archive
    conn.close()
    engine, _ = open_archive(f"sqlite:///{old}", create=True)
    engine.dispose()
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "db", "compact", "--no-vacuum", "--db", str(old)],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "VACUUM" not in proc.stderr
    with sqlite3.connect(old) as c:
        assert c.execute("PRAGMA page_size").fetchone()[0] == 4096
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "db", "compact", "--db", str(old)],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("compacted 0 raw pages: ")
    assert f"; VACUUM (pages of 4096 -> {SQLITE_PAGE_SIZE} bytes) in " in lines[0]
    with sqlite3.connect(old) as c:
        assert c.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
