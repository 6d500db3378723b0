"""Raw page codecs: archives that mix zlib rows (written before 0005) with zstd rows, with and
without a dictionary, read and reprocess the same; ``db compact`` re-encodes them, and a
SIGKILL in the middle of it loses nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from jobs.reprocess import reprocess_archive
from cleaning.page import clean_page
from storage import codec
from storage.articles import save_articles
from storage.compact import compact_archive
from storage.db import open_archive
from storage.dictionaries import current_encoder, forget_encoders, train_dictionary
from storage.models import Article, RawPage
from storage.raw import archive_raw_many, raw_page_row
from storage.warc_out import export_warc
from tests.conftest import ROOT, cli_env

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def _pages(n: int) -> list[tuple[int, bytes]]:
    """(cont_id, page bytes) of ``n`` articles of the mock, as the site serves them."""
    ds = generate_dataset(2 * n + 40, seed=21)
    site = MockSite(ds)
    out = []
    for art in ds.articles():
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        if resp.status == 200 and art.kind == "news":
            out.append((art.cont_id, resp.body))
    assert len(out) >= n
    return out[:n]


def _zlib_rows(session, ids: list[int]) -> None:
    """Turn rows into what the archive wrote before 0005: zlib, no dictionary."""
    for page in session.scalars(sa.select(RawPage).where(RawPage.id.in_(ids))):
        page.body, page.compression, page.dictionary_id = zlib.compress(page.raw_bytes(), 6), "zlib", None


def _store(Session, pages, *, encoder) -> list[int]:
    """Raw pages and their articles, as a crawl stores them; the raw page ids."""
    with Session() as s:
        rows = [
            raw_page_row(
                url=f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                final_url=None,
                status=200,
                headers=HEADERS,
                body=body,
                fetched_at=T0,
                kind="article",
                cont_id=cid,
                encoder=encoder,
            )
            for cid, body in pages
        ]
        ids = archive_raw_many(s, rows)
        records = [
            (clean_page(body, url=f"https://www.thepaper.cn/newsDetail_forward_{cid}", headers=HEADERS), i)
            for (cid, body), i in zip(pages, ids)
        ]
        save_articles(s, records, now=T0)
        s.commit()
    return ids


@pytest.fixture
def mixed(db_url):
    """An archive of 60 pages: 20 zlib, 20 zstd without a dictionary, 20 zstd with one."""
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(60)
    try:
        plain = _store(Session, pages[:40], encoder=codec.PLAIN)
        with Session() as s:
            _zlib_rows(s, plain[:20])
            train_dictionary(s, now=T0)
            s.commit()
            encoder = current_encoder(s)
        assert encoder.dictionary_id is not None
        _store(Session, pages[40:], encoder=encoder)
        yield engine, Session, dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


def _codecs(Session) -> Counter:
    with Session() as s:
        return Counter((c, d is not None) for c, d in s.execute(sa.select(RawPage.compression, RawPage.dictionary_id)))


def test_mixed_archive_reads_every_page_exactly(mixed):
    _, Session, pages = mixed
    assert _codecs(Session) == {("zlib", False): 20, ("zstd", False): 20, ("zstd", True): 20}
    with Session() as s:
        for page in s.scalars(sa.select(RawPage)):
            data = page.raw_bytes()
            assert data == pages[page.cont_id] and hashlib.sha256(data).hexdigest() == page.sha256


def test_reprocess_works_on_every_codec(mixed):
    _, Session, _ = mixed
    assert reprocess_archive(Session) == Counter(unchanged=60)
    with Session() as s:  # a stale record in each codec: reprocess repairs it from the raw page
        for page in s.scalars(sa.select(RawPage)):
            s.get(Article, page.cont_id).title = "过时的标题"
        s.commit()
    for jobs in (1, 2):
        counts = reprocess_archive(Session, jobs=jobs)
        assert counts == (Counter(updated=60) if jobs == 1 else Counter(unchanged=60))
    with Session() as s:
        assert "过时的标题" not in set(s.scalars(sa.select(Article.title)))


def test_warc_export_reads_every_codec(mixed, tmp_path):
    _, Session, _ = mixed
    with Session() as s, open(tmp_path / "a.warc.gz", "wb") as out:
        assert export_warc(s, out)["response"] == 60


def test_damaged_body_is_a_codec_error_not_garbage():
    body = codec.encode(b"<html>" * 100)
    broken = body[:-6] + bytes(6)
    with pytest.raises(codec.CodecError, match="damaged zstd body"):
        codec.decode(broken, "zstd", page_id=7)
    with pytest.raises(codec.CodecError, match="unknown compression 'lz4'"):
        codec.decode(body, "lz4")
    assert codec.decode(b"as is", "none") == b"as is"


def test_compact_reencodes_everything_and_keeps_the_bytes(mixed):
    engine, Session, pages = mixed
    counts, note = compact_archive(Session, batch=7)
    assert note is None and counts["pages"] == 40 and counts["damaged"] == 0
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
    assert counts["damaged"] == 1 and counts["pages"] == 39
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


def test_older_capture_decisions():
    """The save decision with capture times, case by case (and the cases that must stay as they were)."""
    from types import SimpleNamespace

    from domain.record import ArticleRecord
    from storage.articles import _record_fields, decide_save

    def rec(title="标题", body="正文。", **kw):
        return ArticleRecord(cont_id=1, title=title, paragraphs=[body], **kw)

    stored = rec()
    old = SimpleNamespace(**_record_fields(stored), cont_id=1, text_captured_at=T0, version=1, tag_names=[])
    earlier, later = T0 - timedelta(days=900), T0 + timedelta(hours=1)
    assert decide_save(old, rec(title="旧标题"), captured_at=earlier)[0] == "versioned"
    assert decide_save(old, rec(), captured_at=earlier)[0] == "unchanged"
    assert (
        decide_save(old, rec(title="旧标题"), captured_at=earlier, known_hashes={rec(title="旧标题").content_hash})[0]
        == "unchanged"
    )
    assert decide_save(old, rec(content_type="gone", title=""), captured_at=earlier)[0] == "unchanged"
    assert (
        decide_save(old, rec(title="旧标题", mirror_host="www.nxos.com.cn"), captured_at=earlier)[0] == "kept_original"
    )
    # not older: as before
    assert decide_save(old, rec(title="新标题"), captured_at=later)[0] == "updated"
    assert decide_save(old, rec(title="新标题"), captured_at=None)[0] == "updated"
    assert decide_save(old, rec(title="新标题"), captured_at=T0)[0] == "updated"
    # an older original over a stored mirror copy: the original still wins
    mirror = SimpleNamespace(**{**vars(old), "mirror_host": "www.nxos.com.cn"})
    assert decide_save(mirror, rec(title="原文"), captured_at=earlier)[0] == "updated"


@pytest.mark.parametrize(
    "samples, pages, expected",
    [
        (500, 2081, True),  # the crawl's first dictionary, after a backfill
        (500, 999, False),  # not yet twice as many
        (2000, 10**6, False),  # trained on a full sample already
        (1999, 10**6, False),
        (999, 10**6, True),
    ],
)
def test_compact_retrains_a_dictionary_the_archive_has_outgrown(samples, pages, expected):
    from types import SimpleNamespace

    from storage.dictionaries import outgrown

    assert outgrown(SimpleNamespace(samples=samples), pages) is expected


def test_an_archive_from_before_0005_upgrades_and_its_zlib_rows_stay_readable(db_url):
    """Rows written at revision 0003 (zlib), migrated to the head: read as they were, then compacted."""
    from storage.db import make_engine, session_factory, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        pages = _pages(12)
        with engine.begin() as conn:
            for cid, body in pages:
                conn.execute(
                    sa.text(
                        "INSERT INTO raw_pages (url, status, headers, fetched_at, body, body_size, compression, sha256, kind,"
                        " cont_id) VALUES (:u, 200, '{}', :t, :b, :n, 'zlib', :h, 'article', :c)"
                    ),
                    {
                        "u": f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                        "t": T0,
                        "b": zlib.compress(body, 6),
                        "n": len(body),
                        "h": hashlib.sha256(body).hexdigest(),
                        "c": cid,
                    },
                )
        upgrade(engine)
        Session = session_factory(engine)
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
        counts, note = compact_archive(Session)
        assert counts["pages"] == 12 and note is None and _codecs(Session) == {("zstd", True): 12}
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


def test_the_crawls_writer_trains_better_dictionaries_and_reencodes_what_came_before(db_url, monkeypatch):
    """A writer trains the first dictionary at AUTO_TRAIN_PAGES pages and a new one each time the
    archive has outgrown the last (twice as many pages as it was trained on, up to
    TRAIN_SAMPLES); the pages stored before each get the new one: no row is left on an old one."""
    from storage import dictionaries
    from storage.batch import BatchEntry
    from storage.writers import store_jobs

    monkeypatch.setattr(dictionaries, "AUTO_TRAIN_PAGES", 20)
    monkeypatch.setattr(dictionaries, "TRAIN_SAMPLES", 80)
    monkeypatch.setattr(dictionaries.train_when_ready, "__kwdefaults__", {"min_pages": 20})
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(100)
    try:
        trained = []
        for start in range(0, len(pages), 10):
            jobs = [
                (
                    BatchEntry(url=f"https://www.thepaper.cn/newsDetail_forward_{cid}"),
                    {
                        "url": f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                        "final_url": None,
                        "status": 200,
                        "headers": HEADERS,
                        "body": body,
                        "fetched_at": T0,
                        "kind": "article",
                        "cont_id": cid,
                    },
                    None,
                )
                for cid, body in pages[start : start + 10]
            ]
            assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)
            with Session() as s:
                trained = s.execute(sa.text("SELECT samples FROM raw_dictionaries ORDER BY id")).scalars().all()
                newest = s.scalar(sa.text("SELECT max(id) FROM raw_dictionaries"))
                on = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
            if newest is not None:
                assert set(on) == {newest}, on  # every row, earlier ones too, on the newest dictionary
        # at 20 pages (the first); at 50 (20 x 2 < 50); then never (50 x 2 >= TRAIN_SAMPLES)
        assert trained == [20, 50]
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


def test_the_writer_leaves_re_encoding_a_large_archive_to_db_compact(db_url, monkeypatch):
    """Past RECOMPRESS_MAX_PAGES (an archive from before the dictionaries, a backfill) the writer
    trains the dictionary for new pages but does not rewrite the stored ones in the crawl."""
    from storage import dictionaries, writers
    from storage.batch import BatchEntry
    from storage.writers import store_jobs

    monkeypatch.setattr(dictionaries.train_when_ready, "__kwdefaults__", {"min_pages": 20})
    monkeypatch.setattr(writers, "RECOMPRESS_MAX_PAGES", 10)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(30)
    try:
        for start in (0, 10, 20):
            jobs = [
                (
                    BatchEntry(url=f"https://www.thepaper.cn/newsDetail_forward_{cid}"),
                    {
                        "url": f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                        "final_url": None,
                        "status": 200,
                        "headers": HEADERS,
                        "body": body,
                        "fetched_at": T0,
                        "kind": "article",
                        "cont_id": cid,
                    },
                    None,
                )
                for cid, body in pages[start : start + 10]
            ]
            assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)
        assert _codecs(Session) == {("zstd", False): 20, ("zstd", True): 10}  # trained at 20, nothing rewritten
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


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
        timeout=120,
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
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("compacted 0 raw pages: ")
    assert f"; VACUUM (pages of 4096 -> {SQLITE_PAGE_SIZE} bytes) in " in lines[0]
    with sqlite3.connect(old) as c:
        assert c.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
