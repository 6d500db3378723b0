"""How the archive is opened (issue 24 items 4, 8, 9, 13, 14; issue 27 item 8), each as an operator
meets it: the command as typed in a subprocess, its exit code, its one line, and the archive (or the
file the --db named) unchanged, byte for byte.

* a damaged SQLite archive (pages overwritten in the middle of a real crawled one): readers and
  writers say so in one line naming the file and ``sqlite3 .recover``, exit 6, nothing written;
* another program's database named by a mistyped --db: refused before anything changes (its
  journal mode included), on SQLite and PostgreSQL;
* an archive on a read-only file system (a tmpfs remounted read-only in a private mount namespace):
  the reading commands read it, the writing ones say why they cannot (exit 6);
* a lock row written by hand with ``datetime('now')`` is taken over once stale, respected when fresh;
* ``db upgrade`` says from which revision to which; a reader never migrates;
* reading commands open read-only: a 0-byte file stays 0 bytes, ``import --warc`` of a text
  file creates nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import PG_URL, ROOT, fresh_db_url, messages, pg_database, run_cli, wipe_pg

PROG = "thepaper-archive: error: "
needs_pg = pytest.mark.skipif(not PG_URL, reason="needs THEPAPER_TEST_PG_URL")


def sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def one_line(proc, code: int) -> str:
    lines = messages(proc.stderr)
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith(PROG), lines[0]
    return lines[0][len(PROG) :]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A real archive: a mock crawl of 60 articles, closed cleanly (no -wal left)."""
    tmp = tmp_path_factory.mktemp("opening")
    db = tmp / "archive.sqlite3"
    with MockSite(generate_dataset(60, seed=24)) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp / "archive.sqlite3-wal").exists()
    return db


@pytest.fixture(scope="module")
def warc(crawled):
    """The crawled archive's raw pages as a WARC file (what ``import --warc`` reads)."""
    path = crawled.parent / "export.warc.gz"
    assert run_cli("export", "--db", str(crawled), "--format", "warc", "-o", str(path)).returncode == 0
    return path


@pytest.fixture(scope="module")
def site():
    with MockSite(generate_dataset(12, seed=5)) as running:
        yield running


# --------------------------------------------------------------------------- 24.4: a damaged archive
def _damage(src, dst) -> None:
    """A copy of ``src`` with the pages of its middle third overwritten (as a bad disk or a stray
    writer does): the header and the schema page stay, the table pages there do not."""
    shutil.copyfile(src, dst)
    page = int.from_bytes(open(src, "rb").read(18)[16:18], "big") or 65536  # the header's page size
    pages = os.path.getsize(dst) // page
    with open(dst, "r+b") as fh:
        for n in range(pages // 3, 2 * pages // 3):
            fh.seek(n * page)
            fh.write(bytes([0xA5, n % 251]) * (page // 2))


DAMAGED = [
    ["stats"],
    ["export", "-o", "{tmp}/out.jsonl"],
    ["db", "compact"],
    ["db", "upgrade"],
    ["crawl", "--base-url", "{site}"],
    ["import", "--warc", "{warc}"],
]


@pytest.mark.parametrize("argv", DAMAGED, ids=[" ".join(a[:2]) for a in DAMAGED])
def test_a_damaged_archive_is_one_line_naming_the_recovery_and_is_left_as_it_was(crawled, warc, site, tmp_path, argv):
    db = tmp_path / "damaged.sqlite3"
    _damage(crawled, db)
    before = sha256(db)
    argv = [a.format(tmp=tmp_path, site=site.base_url, warc=warc) for a in argv]
    line = one_line(run_cli(*argv, "--db", str(db)), 6)
    assert line.startswith(f"the archive {db} is damaged (")
    assert f"sqlite3 {db} .recover | sqlite3 {db}.recovered" in line
    writer = argv[0] in ("db", "crawl", "import")
    assert ("nothing was written to it" in line) == writer  # a writer checks the pages before writing
    assert sha256(db) == before
    wal = tmp_path / "damaged.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert not (tmp_path / "out.jsonl").exists()


def test_the_undamaged_archive_passes_the_check(crawled, tmp_path):
    """The negative: the same commands on the intact copy succeed."""
    db = tmp_path / "intact.sqlite3"
    shutil.copyfile(crawled, db)
    assert run_cli("db", "compact", "--db", str(db), "-q").returncode == 0
    assert run_cli("stats", "--db", str(db)).returncode == 0


# --------------------------------------------------------------------------- 24.8: another program's database
def _foreign_sqlite(path, clash: bool) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');"
        + ("CREATE TABLE articles (id INTEGER PRIMARY KEY, name TEXT);" if clash else "")
    )
    conn.close()


FOREIGN = [
    ["db", "upgrade"],
    ["crawl", "--base-url", "{site}"],
    ["import", "{page}"],
    ["stats"],
    ["search", "芯片"],
    ["db", "compact"],
]


@pytest.mark.parametrize("clash", [False, True], ids=["own tables", "a clashing table"])
@pytest.mark.parametrize("argv", FOREIGN, ids=[" ".join(a[:2]) for a in FOREIGN])
def test_another_programs_sqlite_file_is_refused_unchanged(site, tmp_path, argv, clash):
    db = tmp_path / "notes.db"
    _foreign_sqlite(db, clash)
    page = tmp_path / "page.html"
    page.write_text("<html><body>x</body></html>", encoding="utf-8")
    before, files = sha256(db), sorted(os.listdir(tmp_path))
    argv = [a.format(site=site.base_url, page=page) for a in argv]
    line = one_line(run_cli(*argv, "--db", str(db)), 2)
    tables = "articles, notes" if clash else "notes"
    assert (
        line == f"{db} is not an archive: a database of another program (tables {tables}); nothing was changed "
        "(check --db)"
    )
    assert sha256(db) == before and sorted(os.listdir(tmp_path)) == files
    assert open(db, "rb").read(20)[18:20] == b"\x01\x01"  # still a rollback-journal file, not WAL


def test_an_empty_sqlite_database_may_become_an_archive(tmp_path):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).execute("PRAGMA user_version = 0").connection.close()
    proc = run_cli("db", "upgrade", "--db", str(db))
    assert proc.returncode == 0 and "created the archive" in proc.stderr, proc.stderr


@needs_pg
def test_another_programs_postgresql_database_is_refused_unchanged(site, tmp_path):
    url = pg_database("foreign")
    wipe_pg(url)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id int); CREATE TABLE articles (id int)")

    def schema():
        with engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY 1, 2"
            ).all()

    try:
        before = schema()
        for argv in (["db", "upgrade"], ["crawl", "--base-url", site.base_url], ["stats"]):
            line = one_line(run_cli(*argv, "--db", url), 2)
            assert (
                line.endswith(
                    "is not an archive: a database of another program (tables articles, notes); "
                    "nothing was changed (check --db)"
                )
                and ":***@" in line
            )
        assert schema() == before
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- 24.9: a read-only file system
_READ_ONLY = textwrap.dedent("""
    set -e
    mount -t tmpfs tmpfs "$MNT"
    cp "$SRC" "$MNT/archive.sqlite3"
    mount -o remount,ro "$MNT"
    set +e
    run() { "$PY" -m crawler.cli "$@" --db "$MNT/archive.sqlite3" >"$OUT/$1.out" 2>"$OUT/$1.err"; echo $? >"$OUT/$1.rc"; }
    run stats --json
    run search 芯片 --json
    run export -o "$OUT/export.jsonl"
    run crawl --base-url "$SITE"
    run db compact
    ls -a "$MNT" >"$OUT/listing"
    sha256sum "$MNT/archive.sqlite3" | cut -d' ' -f1 >"$OUT/sha256"
""")


def _in_private_mount_namespace(script: str, env: dict) -> subprocess.CompletedProcess | None:
    """Run ``script`` where it may mount: a mount namespace of its own (``unshare -m``, as root),
    else one in a user namespace (``unshare -Urm``); None when neither is allowed here."""
    for flags in (["-m"], ["-Urm"]):
        if subprocess.run(["unshare", *flags, "true"], capture_output=True).returncode == 0:
            return subprocess.run(
                ["unshare", *flags, "sh", "-c", script], env=env, capture_output=True, text=True, timeout=600
            )
    return None


def test_an_archive_on_a_read_only_file_system_is_read_and_not_written(crawled, site, tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here")
    out, mnt = tmp_path / "out", tmp_path / "mnt"
    out.mkdir()
    mnt.mkdir()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        MNT=str(mnt),
        SRC=str(crawled),
        OUT=str(out),
        PY=sys.executable,
        SITE=site.base_url,
    )
    env.pop("THEPAPER_ARCHIVE_DB", None)
    proc = _in_private_mount_namespace(_READ_ONLY, env)
    if proc is None:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    assert proc.returncode == 0, proc.stderr[-3000:]
    rc = {name: int((out / f"{name}.rc").read_text()) for name in ("stats", "search", "export", "crawl", "db")}
    assert rc == {"stats": 0, "search": 0, "export": 0, "crawl": 6, "db": 6}, {
        n: (out / f"{n}.err").read_text()[-500:] for n in rc
    }
    # what the readers read there is what they read from the writable original
    there = json.loads((out / "stats.out").read_text())
    here = json.loads(run_cli("stats", "--json", "--db", str(crawled)).stdout)
    assert there["totals"] == here["totals"] and there["totals"]["articles"] == 60
    assert (out / "search.out").read_text() == run_cli("search", "芯片", "--json", "--db", str(crawled)).stdout
    assert len((out / "export.jsonl").read_text().splitlines()) > 40
    for writer in ("crawl", "db"):
        [line] = messages((out / f"{writer}.err").read_text())
        assert line == (
            f"{PROG}cannot use the archive: {mnt}/archive.sqlite3 is on a read-only file system "
            "(reading commands read it there; writing ones need it writable)"
        )
    assert (out / "listing").read_text().split() == [".", "..", "archive.sqlite3"]
    assert (out / "sha256").read_text().strip() == sha256(crawled)


def test_a_reader_leaves_the_archive_file_unchanged(crawled, tmp_path):
    """On a writable file system too: SQLite's -shm may appear beside it, the file itself is not written."""
    db = tmp_path / "a.sqlite3"
    shutil.copyfile(crawled, db)
    before = sha256(db)
    for argv in (
        ["stats"],
        ["search", "芯片"],
        ["failures"],
        ["export", "-o", str(tmp_path / "x.csv")],
        ["report", "-o", str(tmp_path / "r.html")],
        ["trends", "芯片"],
        ["keywords"],
    ):
        proc = run_cli(*argv, "--db", str(db))
        assert proc.returncode == 0, (argv, proc.stderr[-2000:])
    assert sha256(db) == before
    wal = tmp_path / "a.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0


# --------------------------------------------------------------------------- 24.13: a lock row written by hand
HAND_LOCK = {
    "sqlite": "INSERT INTO run_locks (name, holder, acquired_at, heartbeat_at) "
    "VALUES ('crawl', 'far-host:42', datetime('now', '{age}'), datetime('now', '{age}'))",
    "postgresql": "INSERT INTO run_locks (name, holder, acquired_at, heartbeat_at) "
    "VALUES ('crawl', 'far-host:42', now() + interval '{age}', now() + interval '{age}')",
}


@pytest.mark.parametrize("age, code", [("-2 hours", 0), ("-10 seconds", 4)], ids=["stale", "fresh"])
def test_a_lock_row_written_by_hand_is_taken_over_when_stale(db_url, site, age, code):
    assert run_cli("db", "upgrade", "--db", db_url).returncode == 0
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    if backend == "sqlite":  # as an operator types it, with Python's sqlite3 (the CLI's SQL)
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        conn.execute(HAND_LOCK[backend].format(age=age))
        conn.commit()
        conn.close()
    else:
        engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.exec_driver_sql(HAND_LOCK[backend].format(age=age))
        engine.dispose()
    proc = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
    if code == 4:
        line = one_line(proc, 4)
        assert line.startswith("another run is in progress (far-host:42, started ")
    else:
        assert proc.returncode == 0, proc.stderr[-3000:]
        engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:  # released at the end: the takeover made it ours
            assert conn.exec_driver_sql("SELECT count(*) FROM run_locks").scalar() == 0
            assert conn.exec_driver_sql("SELECT status FROM crawl_runs").scalars().all() == ["ok"]
        engine.dispose()


# --------------------------------------------------------------------------- 24.14: db upgrade says what it did
def test_db_upgrade_says_from_which_revision_to_which(db_url, tmp_path):
    from storage.db import display_url, head_revision, make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine, "0003")
    engine.dispose()
    where = display_url(db_url)
    # a reader never migrates: it names the command that does
    line = one_line(run_cli("stats", "--db", db_url), 2)
    assert line.startswith(
        f"{where} is at schema revision 0003, older than this version's "
        f"{head_revision()}: run `thepaper-archive db upgrade --db "
    )
    proc = run_cli("db", "upgrade", "--db", db_url)
    assert proc.returncode == 0, proc.stderr
    assert messages(proc.stderr) == [
        f"upgraded the archive {where} from schema revision 0003 to {head_revision()} (the latest)"
    ]
    proc = run_cli("db", "upgrade", "--db", db_url)
    assert messages(proc.stderr) == [
        f"the archive {where} is at the latest schema revision ({head_revision()}); nothing to do"
    ]
    assert run_cli("stats", "--db", db_url).returncode == 0
    new = tmp_path / "new" / "a.sqlite3"
    proc = run_cli("db", "upgrade", "--db", str(new))
    assert messages(proc.stderr) == [f"created the archive {new} at schema revision {head_revision()} (the latest)"]


def test_an_archive_of_an_unknown_revision_is_refused_unchanged(crawled, tmp_path):
    db = tmp_path / "newer.sqlite3"
    shutil.copyfile(crawled, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    before = sha256(db)
    for argv in (["stats"], ["db", "upgrade"]):
        line = one_line(run_cli(*argv, "--db", str(db)), 2)
        assert line.startswith(
            f"{db} is at schema revision '0099_from_the_future', which this version of thepaper-archive does not know"
        )
    assert sha256(db) == before


# --------------------------------------------------------------------------- 27.8: exit 2 leaves nothing behind
@pytest.mark.parametrize(
    "command",
    [
        ["search", "芯片"],
        ["stats"],
        ["export", "-o", "{tmp}/x.jsonl"],
        ["failures"],
        ["show", "1"],
        ["trends", "芯片"],
        ["keywords"],
        ["db", "compact"],
    ],
)
def test_a_reader_on_an_empty_file_leaves_it_empty(tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    argv = [a.format(tmp=tmp_path) for a in command]
    line = one_line(run_cli(*argv, "--db", str(empty)), 2)
    assert line == f"no archive at {empty} (crawl or import first, or check --db)"
    assert empty.stat().st_size == 0 and os.listdir(tmp_path) == ["empty.db"]


def test_import_of_a_file_that_is_not_a_warc_creates_nothing(crawled, tmp_path):
    text = tmp_path / "README.md"
    text.write_text("# thepaper-archive\n\nnot a WARC file\n", encoding="utf-8")
    new = tmp_path / "new.sqlite3"
    line = one_line(run_cli("import", "--warc", str(text), "--db", str(new)), 2)
    assert line == (
        f"{text} is not a WARC file: it does not begin with a WARC record (WARC/1.0 or WARC/1.1, "
        "plain or gzip-compressed); nothing was imported"
    )
    assert sorted(os.listdir(tmp_path)) == ["README.md"]
    db = tmp_path / "a.sqlite3"  # an archive that exists gets no failed run
    shutil.copyfile(crawled, db)
    before = sha256(db)
    one_line(run_cli("import", "--warc", str(text), "--db", str(db)), 2)
    assert sha256(db) == before


@needs_pg
def test_a_readers_postgresql_session_is_read_only(tmp_path):
    from storage.db import open_archive
    from storage.unwritable import ArchiveUnwritable

    url = fresh_db_url("postgresql", tmp_path)
    line = one_line(run_cli("stats", "--db", url), 2)  # an empty database: no archive, nothing created
    assert line.startswith("no archive at ")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).scalar()
            == 0
        )
    engine.dispose()
    assert run_cli("db", "upgrade", "--db", url).returncode == 0
    reader, Session = open_archive(url, readonly=True)
    try:
        with reader.connect() as conn:
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
            with pytest.raises(ArchiveUnwritable, match="the database is read-only"):
                conn.exec_driver_sql("DELETE FROM crawl_runs")
    finally:
        reader.dispose()
