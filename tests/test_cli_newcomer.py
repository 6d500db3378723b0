"""A newcomer's first hour (issue 14): every command as a user types it, in a subprocess.

User errors are exactly one line on stderr with a documented exit code and leave nothing
behind; reading commands never create an archive; a cron run while the site is down says
what happened in a few lines; signals give 130/143; the progress shows a total; options
are checked; settings come from the environment and a TOML file; ``scrapy crawl -O``
exports clean records; the mock's dates end at a given now.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import SHANGHAI, day_start, generate_dataset
from mocksite.server import MockSite
from storage.models import Article, CrawlRun, Failure
from tests.conftest import PG_URL, ROOT, SAMPLES, cli_env, run_cli

PROG = "thepaper-archive"


def err_lines(proc) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


def one_line(proc, code: int) -> str:
    """The one stderr line of a user error with exit code ``code``."""
    lines = err_lines(proc)
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A small crawled archive (SQLite) and its data set."""
    tmp = tmp_path_factory.mktemp("newcomer")
    ds = generate_dataset(40, seed=14)
    db = tmp / "a.sqlite3"
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ds, db, proc


# --------------------------------------------------------------------------- item 1: self-contained
def test_tests_and_bench_name_no_path_outside_the_repository():
    """No file of tests/ or bench/ reads ../shared or any path beside the repository."""
    bad = []
    for folder in ("tests", "bench", "scripts", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or "data" in path.relative_to(ROOT).parts[1:2] or path.suffix in (".pyc",):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for needle in ("../shared", "/work/", "ROOT.parent", "parents[2]", "parent.parent.parent"):
                if needle in text and path.name != Path(__file__).name:
                    bad.append(f"{path.relative_to(ROOT)}: {needle}")
    assert bad == []


def test_a_clone_of_the_repository_alone_collects_and_passes(tmp_path):
    """``git clone`` of HEAD into a directory with no ../shared beside it: collection and a few
    fast test files pass there."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("git cannot read this checkout")
    clone = tmp_path / "alone" / "thepaper-archive"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300)
    assert not (clone.parent / "shared").exists() and not (clone / "shared").exists()
    env = dict(os.environ, PYTHONPATH=str(clone))
    env.pop("THEPAPER_ARCHIVE_DB", None)
    collect = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert collect.returncode == 0, collect.stdout[-3000:] + collect.stderr[-3000:]
    assert "error" not in collect.stdout.lower().splitlines()[-1]
    fast = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/test_structure.py",
            "tests/test_repair_sample.py",
            "tests/test_decode.py",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert fast.returncode == 0, fast.stdout[-3000:]
    assert " passed" in fast.stdout


# --------------------------------------------------------------------------- item 2: installed
def test_parquet_and_postgresql_drivers_are_base_dependencies():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"])
    for package in ("pyarrow", "psycopg", "tqdm"):
        assert package in base
    readme = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs" / "analysis.md").read_text(
        encoding="utf-8"
    )
    for extra in project["optional-dependencies"]:
        if extra != "test":
            assert f"scripts/bootstrap.sh {extra}" in readme, f"extra {extra!r}: say how to install it"


def test_parquet_export_works_and_a_failed_export_leaves_no_file(archive, tmp_path):
    import pyarrow.parquet as pq

    ds, db, _ = archive
    target = tmp_path / "x.parquet"
    proc = run_cli("export", "--db", str(db), "--format", "parquet", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(target).num_rows == len(ds)
    # A failure while writing (here: the archive is missing) leaves neither the file nor a temporary one.
    missing = tmp_path / "gone.sqlite3"
    out = tmp_path / "y.parquet"
    line = one_line(run_cli("export", "--db", str(missing), "--format", "parquet", "-o", str(out)), 2)
    assert line == f"{PROG}: error: no archive at {missing} (crawl or import first, or check --db)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]


def test_atomic_output_keeps_the_old_file_when_writing_fails(tmp_path):
    from crawler.cli.output import atomic_output

    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(str(target)) as out:
            out.write("half of the new")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    with atomic_output(str(target)) as out:
        out.write("new")
    assert target.read_text(encoding="utf-8") == "new"


def test_export_to_a_pipe_or_a_device_writes_into_it_and_leaves_it_in_place(archive, tmp_path):
    """``-o /dev/null`` or a named pipe: written as they are, never renamed over (as root, a
    rename would replace the device with a plain file)."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = run_cli("export", "--db", str(archive[1]), "--format", "jsonl", "-o", str(fifo))
    reader.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert got, "the export never opened the pipe"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
    assert len(got[0].decode("utf-8").splitlines()) == int(proc.stderr.split()[1]) > 0
    proc = run_cli("export", "--db", str(archive[1]), "--format", "csv", "-o", os.devnull)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_postgresql_url_is_accepted(tmp_path):
    if not PG_URL:
        pytest.skip("no PostgreSQL test database")
    proc = run_cli("db", "upgrade", "--db", PG_URL)
    assert proc.returncode == 0, proc.stderr
    assert (
        "created the archive" in proc.stderr or "is at the latest schema" in proc.stderr
    ) and ":***@" in proc.stderr  # the password is never shown


# --------------------------------------------------------------------------- item 3: reading creates nothing
@pytest.mark.parametrize("command", [["stats"], ["search", "芯片"], ["export"], ["report", "-o", "r.html"]])
def test_reading_commands_never_create_an_archive(tmp_path, command):
    """With a mistyped --db, or from another directory with the default archive."""
    typo = tmp_path / "typo" / "archvie.db"
    line = one_line(run_cli(*command, "--db", str(typo), cwd=tmp_path), 2)
    assert line == f"{PROG}: error: no archive at {typo} (crawl or import first, or check --db)"
    line = one_line(run_cli(*command, cwd=tmp_path), 2)
    default = tmp_path / "data" / "archive.sqlite3"
    assert line == f"{PROG}: error: no archive at {default} (crawl or import first, or check --db)"
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_creates_the_archive(tmp_path):
    target = tmp_path / "new" / "a.sqlite3"
    proc = run_cli("db", "upgrade", "--db", str(target))
    assert proc.returncode == 0 and target.exists(), proc.stderr
    assert run_cli("stats", "--db", str(target)).returncode == 0


# --------------------------------------------------------------------------- item 4: one line per user error
def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


USER_ERRORS = [
    (
        ["stats", "--db", "foo://bar"],
        2,
        "cannot use foo://bar: unknown database type 'foo' (use sqlite:///PATH, postgresql://USER@HOST/DB or a file path)",
    ),
    (["stats", "--db", "{tmp}/notadb.db"], 2, "{tmp}/notadb.db is not an archive (file is not a SQLite database)"),
    (
        ["import", "--db", "{tmp}/a.db", "--file", "{tmp}/missing.txt"],
        2,
        "cannot read --file {tmp}/missing.txt: No such file or directory",
    ),
    (["import", "--db", "{tmp}/a.db", "/path/nope.html"], 2, "no such file: /path/nope.html"),
    (["import", "--db", "{tmp}/a.db", "0"], 2, "'0' is not an article id (ids are whole numbers from 1)"),
    (
        ["crawl", "--db", "{tmp}/a.db", "--channels", "abc"],
        2,
        "thepaper-archive crawl: error: argument --channels: not a numeric id: 'abc' (see thepaper-archive crawl --help)",
    ),
    (
        ["crawl", "--db", "{tmp}/a.db", "--max-articles", "-5"],
        2,
        "thepaper-archive crawl: error: argument --max-articles: must be at least 0: -5 (see thepaper-archive crawl --help)",
    ),
    (
        ["crawl", "--db", "{tmp}/a.db", "--overlap-hours", "-3"],
        2,
        "thepaper-archive crawl: error: argument --overlap-hours: must be a number of at least 0: -3 "
        "(see thepaper-archive crawl --help)",
    ),
    (
        ["crawl", "--db", "{tmp}/a.db", "--since", "2025-13-01"],
        2,
        "thepaper-archive crawl: error: argument --since: not a date (YYYY-MM-DD) or ISO 8601 datetime: '2025-13-01' "
        "(see thepaper-archive crawl --help)",
    ),
    (
        ["report", "--db", "{db}", "-o", "/missing/dir/r.html"],
        2,
        "cannot write /missing/dir/r.html: no directory /missing/dir",
    ),
    (
        ["export", "--db", "{db}", "-o", "/missing/dir/x.csv"],
        2,
        "cannot write /missing/dir/x.csv: no directory /missing/dir",
    ),
    (
        ["mock", "--port", "99999"],
        2,
        "thepaper-archive mock: error: argument --port: must be at most 65535: 99999 (see thepaper-archive mock --help)",
    ),
    (
        ["mock", "--port", "{busy}"],
        2,
        "thepaper-archive mock: error: cannot listen on 127.0.0.1:{busy}: the port is in use",
    ),
    (["search", "--db", "{db}", " ".join(f"w{i}" for i in range(500))], 2, "too many search words: 500 (at most 32)"),
    (
        ["search", "--db", "{db}", "--limit", "99999999999999999999", "x"],
        2,
        "thepaper-archive search: error: argument --limit: must be at most 10000: 99999999999999999999 "
        "(see thepaper-archive search --help)",
    ),
    (
        ["report", "--db", "{db}", "--days", "100000000"],
        2,
        "thepaper-archive report: error: argument --days: must be at most 36500: 100000000 (see thepaper-archive report --help)",
    ),
    (
        ["stats", "--db", "{db}", "--config", "{tmp}/none.toml"],
        2,
        "config file {tmp}/none.toml (--config) does not exist",
    ),
    (
        ["stats", "--db", "{db}", "--config", "{tmp}/bad.toml"],
        2,
        "unknown setting 'THEPAPER_MAX_ARTICELS' in {tmp}/bad.toml (names are those of crawler/settings.py or "
        "Scrapy's settings)",
    ),
    (["reprocess", "--db", "{tmp}/none.db"], 2, "no archive at {tmp}/none.db (crawl or import first, or check --db)"),
    (
        ["stats", "--db", "postgresql://nobody@127.0.0.1:{closed}/x"],
        6,
        "the archive database postgresql://nobody@127.0.0.1:{closed}/x does not answer: connection failed: "
        'connection to server at "127.0.0.1", port {closed} failed: Connection refused',
    ),
]


@pytest.mark.parametrize("argv, code, expected", USER_ERRORS, ids=[" ".join(a[:3])[:40] for a, _, _ in USER_ERRORS])
def test_user_errors_are_one_line_with_their_exit_code(archive, tmp_path, argv, code, expected):
    (tmp_path / "notadb.db").write_text("not a database\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("THEPAPER_MAX_ARTICELS = 3\n", encoding="utf-8")
    with _busy_port() as busy:
        values = {
            "tmp": str(tmp_path),
            "db": str(archive[1]),
            "busy": str(busy.getsockname()[1]),
            "closed": str(_free_port()),
        }
        argv = [a.format(**values) for a in argv]
        expected = expected.format(**values)
        before = sorted(p.name for p in tmp_path.iterdir())
        line = one_line(run_cli(*argv, cwd=tmp_path, timeout=120), code)
    assert line == (expected if expected.startswith(PROG + " ") else f"{PROG}: error: {expected}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def test_wrong_postgresql_password_is_one_line():
    if not PG_URL:
        pytest.skip("no PostgreSQL test database")
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(password="wrong-password")
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    line = one_line(run_cli("stats", "--db", url.render_as_string(hide_password=False)), 2)
    assert line.startswith(f"{PROG}: error: cannot open the archive {shown}: password authentication failed")
    assert "wrong-password" not in line


def test_search_query_that_is_not_utf8(archive):
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "search", "--db", str(archive[1]).encode(), b"\xff\xfe\xe4\xb8"],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        timeout=120,
    )
    lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    assert proc.returncode == 2 and lines == [f"{PROG}: error: the search query is not valid UTF-8"]


def test_export_since_the_first_day_of_the_calendar_exports_everything(archive):
    ds, db, _ = archive
    proc = run_cli("export", "--db", str(db), "--since", "0001-01-01", "--until", "9999-12-31")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(ds)


_BOOM = """
import sys
import crawler.cli.stats as stats
def boom(args):
    raise RuntimeError("something nobody expected")
stats.run = boom
from crawler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_unexpected_error_is_one_line_naming_the_traceback_file(tmp_path):
    env = cli_env(THEPAPER_CRASH_DIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-c", _BOOM, "stats"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    line = one_line(proc, 1)
    crash = next(tmp_path.iterdir())
    assert line == (
        f"{PROG}: error: unexpected RuntimeError: something nobody expected (a bug; the traceback is in "
        f"{crash}; --debug prints it)"
    )
    assert "Traceback" in crash.read_text(encoding="utf-8") and "boom" in crash.read_text(encoding="utf-8")
    debug = subprocess.run(
        [sys.executable, "-c", _BOOM, "stats", "--debug"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


# --------------------------------------------------------------------------- item 5: noise
def test_a_quiet_cron_run_while_the_site_is_down_logs_at_most_five_lines(tmp_path):
    port = _free_port()  # nothing listens there
    proc = run_cli("crawl", "--quiet", "--base-url", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "a.db"))
    lines = err_lines(proc)
    assert proc.returncode == 3, proc.stderr
    assert 1 <= len(lines) <= 5, proc.stderr
    assert not any("Traceback" in ln or "Warning" in ln for ln in lines), proc.stderr
    assert (
        lines[0] == f"{PROG}: error: cannot reach 127.0.0.1:{port}: DownloadConnectionRefusedError: "
        "Connection was refused by other side: 111: Connection refused."
    )
    assert lines[-1].startswith("run 1 failed (cannot reach")
    default = run_cli("crawl", "--base-url", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "a.db"))
    assert default.returncode == 3 and len(err_lines(default)) <= 5, default.stderr


def test_default_output_is_progress_warnings_and_the_summary(archive):
    _, _, proc = archive
    assert "Overridden settings" not in proc.stderr and "INFO" not in proc.stderr, proc.stderr
    assert "ScrapyDeprecationWarning" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("run 1 ok: new ")


def test_verbose_shows_scrapys_detail(tmp_path):
    ds = generate_dataset(5, seed=2)
    with MockSite(ds) as site:
        proc = run_cli("crawl", "-v", "--base-url", site.base_url, "--db", str(tmp_path / "a.db"))
    assert proc.returncode == 0 and "Overridden settings" in proc.stderr


# --------------------------------------------------------------------------- item 6: exit codes
def _crawl_until_progress(site, db, *extra):
    """A slow crawl in a subprocess, returned once its first progress line is out."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            str(db),
            "-s",
            "CONCURRENT_REQUESTS=1",
            "-s",
            "THEPAPER_PROGRESS_INTERVAL=1",
            *extra,
        ],
        cwd=ROOT,
        env=cli_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("[thepaper-archive]"):
            return proc, lines
    raise AssertionError("".join(lines))


@pytest.mark.parametrize(
    "signum, code, words", [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGINT, 130, "interrupted by SIGINT")]
)
def test_signals_stop_a_crawl_with_130_or_143(tmp_path, signum, code, words):
    ds = generate_dataset(60, seed=6)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0}]
    db = tmp_path / "a.db"
    with MockSite(ds, faults=faults) as site:
        proc, lines = _crawl_until_progress(site, db)
        proc.send_signal(signum)
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == code, "".join(lines) + rest
    summary = rest.strip().splitlines()[-1]
    assert summary.startswith("run 1 aborted (" + words), rest
    with Session(create_engine(f"sqlite:///{db}")) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "aborted" and run.message.startswith(words)
    assert words in run_cli("stats", "--db", str(db)).stdout


def test_a_server_stopped_by_sigterm_exits_0_quietly(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "mock", "--port", str(port), "--articles", "5"],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "mock thepaper.cn" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    # stopped on request (kill %1): not an error (issue 27 item 9)
    assert proc.returncode == 0 and "error" not in stderr


def test_import_of_a_file_that_fails_is_recorded_and_exits_0(tmp_path):
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"<html><body></body></html>")
    db = tmp_path / "a.db"
    proc = run_cli(
        "import",
        "--db",
        str(db),
        str(bad),
        str(SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt"),
        "--url",
        "http://www.nxos.com.cn/newsDetail_forward_32400625",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "import: 2 files: new 1, updated 0, unchanged 0, kept_original 0, failed 1"
    with Session(create_engine(f"sqlite:///{db}")) as s:
        # the failure of that URL was resolved by the file of the same URL stored after it
        assert s.scalars(select(Failure)).all() == []
    alone = run_cli("import", "--db", str(db), str(bad))
    assert alone.returncode == 0, alone.stderr
    with Session(create_engine(f"sqlite:///{db}")) as s:
        assert [f.url for f in s.scalars(select(Failure))] == [f"file://{bad}"]


# --------------------------------------------------------------------------- item 7: progress
def test_progress_shows_a_total_once_the_lists_are_walked(tmp_path):
    # article pages answer slowly (list pages at once), so that the walk ends well before the
    # crawl does, even on a loaded machine, and a progress line with the total comes after it
    ds = generate_dataset(50, seed=7)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0}]
    with MockSite(ds, faults=faults) as site:
        proc = run_cli(
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            str(tmp_path / "a.db"),
            "-s",
            "CONCURRENT_REQUESTS=2",
            "-s",
            "THEPAPER_PROGRESS_INTERVAL=0.5",
        )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("[thepaper-archive]")]
    assert lines, proc.stderr
    walked = [ln for ln in lines if " walked " in ln]
    assert walked and "%" in walked[-1] and "ETA" in walked[-1], lines


def test_progress_line_and_bar():
    import io

    from crawler.progress import Display, Snapshot, progress_line

    counts = {"new": 3, "updated": 0, "unchanged": 1, "gone": 0, "failed": 1}
    walking = Snapshot(4.0, 5, 12, False, 3, counts)
    walked = Snapshot(10.0, 20, 80, True, 9, counts)
    assert progress_line(walking) == (
        "[thepaper-archive]     4s  lists 3  articles 5/12+  1.2/s  new 3  updated 0  unchanged 1  gone 0  failed 1"
    )
    assert progress_line(walked) == (
        "[thepaper-archive]    10s  lists 9 walked  articles 20/80 25%  2.0/s  ETA 30s  "
        "new 3  updated 0  unchanged 1  gone 0  failed 1"
    )
    tty = io.StringIO()
    display = Display(tty, bar=True)
    display.show(walking)
    display.show(walked)
    display.close()
    assert "25%" in tty.getvalue() and "20/80" in tty.getvalue() and "\r" in tty.getvalue()


# --------------------------------------------------------------------------- item 8: options
def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip().startswith(f"{PROG} ")


def test_since_stores_only_articles_at_or_after_the_date(tmp_path):
    ds = generate_dataset(120, seed=8)
    modern = [a for a in ds.articles() if a.layout == "nextjs"]
    cut = modern[len(modern) // 2].pub_time
    since = cut.astimezone(SHANGHAI).date() + timedelta(days=1)
    db = tmp_path / "a.db"
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "--since", since.isoformat())
    assert proc.returncode == 0, proc.stderr
    start = datetime.combine(since, datetime.min.time(), SHANGHAI)
    with Session(create_engine(f"sqlite:///{db}")) as s:
        stored = {a.cont_id: a.published_at for a in s.scalars(select(Article))}
    assert stored and all(when >= start for when in stored.values())
    wanted = {a.cont_id for a in ds.articles() if a.pub_time >= start and a.kind in ("news", "pph", "video")}
    assert wanted <= set(stored)


def test_a_run_cut_short_by_max_runtime_says_so(tmp_path):
    ds = generate_dataset(80, seed=9)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.5, "rate": 1.0}]
    db = tmp_path / "a.db"
    with MockSite(ds, faults=faults) as site:
        proc = run_cli(
            "crawl", "--base-url", site.base_url, "--db", str(db), "--max-runtime", "2", "-s", "CONCURRENT_REQUESTS=1"
        )
    assert proc.returncode == 0, proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("run 1 partial (stopped by --max-runtime after 2s; the next run resumes): "), summary
    assert "stopped by --max-runtime" in run_cli("stats", "--db", str(db)).stdout


# --------------------------------------------------------------------------- item 9: configuration
def test_settings_from_environment_and_config_file_with_one_precedence(tmp_path):
    ds = generate_dataset(40, seed=10)
    config = tmp_path / "thepaper-archive.toml"
    config.write_text("THEPAPER_MAX_ARTICLES = 5\nthepaper_progress_interval = 0\n", encoding="utf-8")

    def stored(db):
        with Session(create_engine(f"sqlite:///{db}")) as s:
            return len(s.scalars(select(Article)).all())

    with MockSite(ds) as site:
        # the config file in the working directory, found by itself; the archive from the environment
        env = cli_env(
            THEPAPER_ARCHIVE_DB=str(tmp_path / "file.db"),
            THEPAPER_SITE_URL=site.base_url,
            THEPAPER_API_URL=site.base_url,
        )
        proc = run_cli("crawl", "--profile", "mock", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        assert stored(tmp_path / "file.db") == 5 and "[thepaper-archive]" not in proc.stderr
        # the environment beats the config file
        env["THEPAPER_MAX_ARTICLES"] = "3"
        env["THEPAPER_ARCHIVE_DB"] = str(tmp_path / "env.db")
        assert run_cli("crawl", "--profile", "mock", cwd=tmp_path, env=env).returncode == 0
        assert stored(tmp_path / "env.db") == 3
        # the command line beats both; --config names another file
        other = tmp_path / "other.toml"
        other.write_text(f'THEPAPER_DB_URL = "sqlite:///{tmp_path / "other.db"}"\n', encoding="utf-8")
        del env["THEPAPER_ARCHIVE_DB"]
        proc = run_cli(
            "crawl", "--profile", "mock", "--config", str(other), "--max-articles", "2", cwd=tmp_path, env=env
        )
        assert proc.returncode == 0, proc.stderr
        assert stored(tmp_path / "other.db") == 2
    # a reading command finds the archive through the same layers
    proc = run_cli("stats", "--json", "--config", str(other), cwd=tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["totals"]["articles"] == 2


def test_a_bad_value_in_the_environment_is_one_line(tmp_path):
    env = cli_env(THEPAPER_MAX_ARTICLES="many")
    line = one_line(run_cli("crawl", "--db", str(tmp_path / "a.db"), env=env, cwd=tmp_path), 2)
    assert line == (
        f"{PROG}: error: THEPAPER_MAX_ARTICLES='many' in the environment (THEPAPER_MAX_ARTICLES): "
        "expected a whole number"
    )


# --------------------------------------------------------------------------- item 10: scrapy crawl -O
def test_scrapy_crawl_feed_export_writes_clean_records(tmp_path):
    ds = generate_dataset(30, seed=12)
    out = tmp_path / "items.jsonl"
    with MockSite(ds) as site:
        env = cli_env(
            THEPAPER_ARCHIVE_DB=str(tmp_path / "a.db"),
            DOWNLOAD_DELAY="0",
            AUTOTHROTTLE_ENABLED="0",
            CONCURRENT_REQUESTS_PER_DOMAIN="16",
            LOG_LEVEL="WARNING",
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "thepaper",
                "-O",
                str(out),
                "-s",
                f"THEPAPER_SITE_URL={site.base_url}",
                "-s",
                f"THEPAPER_API_URL={site.base_url}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {r["cont_id"]: r for r in records}
    assert len(by_id) == len(records) and records
    for art in ds.articles():
        if art.kind in ("news", "pph") and not art.robots_disallowed:
            assert by_id[art.cont_id]["title"] == art.title
            assert by_id[art.cont_id]["paragraphs"] == art.expected_paragraphs
            assert by_id[art.cont_id]["outcome"] == "new"
    assert not any("body" in r for r in records)


# --------------------------------------------------------------------------- item 11: the mock's now
def test_mock_dates_end_at_its_now_and_are_deterministic():
    now = datetime(2027, 3, 4, 12, 0, tzinfo=timezone.utc)
    a, b = generate_dataset(50, seed=3, now=now), generate_dataset(50, seed=3, now=now)
    assert [x.pub_time for x in a.articles()] == [x.pub_time for x in b.articles()]
    newest = max(x.pub_time for x in a.articles())
    assert now - timedelta(hours=4) < newest < now
    assert generate_dataset(5).now == day_start()
    with pytest.raises(ValueError):
        generate_dataset(5, now=datetime(2019, 1, 1, tzinfo=timezone.utc))


def test_stats_and_report_windows_end_at_the_newest_article(archive, tmp_path):
    ds, db, _ = archive
    newest = max(a.pub_time for a in ds.articles()).astimezone(SHANGHAI).date()
    data = json.loads(run_cli("stats", "--db", str(db), "--json").stdout)
    assert data["window_end"] == newest.isoformat() and data["daily"]
    report = tmp_path / "r.html"
    assert run_cli("report", "--db", str(db), "-o", str(report)).returncode == 0
    assert f"days to {newest.isoformat()}" in report.read_text(encoding="utf-8")
    old = json.loads(run_cli("stats", "--db", str(db), "--json", "--end", "2001-01-01").stdout)
    assert old["daily"] == []


def test_a_crawl_stores_keywords_that_trends_and_keywords_read(archive):
    """End to end: the crawl of the mock stores each article's keywords as the cleaner computes
    them; ``keywords`` counts them and ``trends`` finds the top one."""
    import sqlalchemy as sa

    from cleaning.keywords import extract_keywords

    _, db, _ = archive
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT title, summary, body_text, keywords, content_type FROM articles")).all()
    engine.dispose()
    texts = [r for r in rows if r.content_type in ("news", "pph")]
    assert texts and all(json.loads(r.keywords) for r in texts)
    for r in texts:
        assert json.loads(r.keywords) == extract_keywords(r.title, r.summary, r.body_text.split("\n"))
    counts: dict[str, int] = {}
    for r in rows:
        for k in json.loads(r.keywords):
            counts[k] = counts.get(k, 0) + 1
    top = json.loads(run_cli("keywords", "--db", str(db), "--top", "3", "--format", "json", check=True).stdout)
    assert [(k["keyword"], k["articles"]) for k in top["keywords"]] == sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0])
    )[:3]
    word = top["keywords"][0]["keyword"]
    trend = json.loads(run_cli("trends", word, "--db", str(db), "--format", "json", check=True).stdout)
    assert sum(trend["series"][0]["counts"]) >= top["keywords"][0]["articles"]


# --------------------------------------------------------------------------- the docs are true
def _section(title: str, page: str = "docs/commands.md") -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_the_commands_page_names_every_option_of_every_command():
    import argparse

    from crawler.cli import _leaf_parsers, build_parser

    section = _section("Command line")
    missing = []
    parser = build_parser()
    for leaf in _leaf_parsers(parser):
        command = leaf.prog.removeprefix("thepaper-archive ")
        assert f"`thepaper-archive {command}" in section, command
        for action in leaf._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings and not any(
                f"`{o}" in section or f"[{o}" in section or f" {o} " in section for o in action.option_strings
            ):
                missing.append(f"{command} {'/'.join(action.option_strings)}")
    assert missing == []


def test_the_configuration_reference_names_the_settings_the_operations_page_relies_on():
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for added in ("THEPAPER_CONFIG", "THEPAPER_PROGRESS_FIRST_S", "THEPAPER_PROGRESS_INTERVAL", "THEPAPER_DB_URL"):
        assert f"`{added}`" in configuration
    assert "THEPAPER_ARCHIVE_DB" in configuration  # the environment's name of the archive


def test_every_setting_is_read_from_the_environment():
    """Settings added to crawler/settings.py later are picked up with no more code."""
    from crawler.config import convert, defaults, from_environment

    known = defaults()
    env = {}
    for name, default in known.items():
        if isinstance(default, bool):
            env[name] = "false" if default else "true"
        elif isinstance(default, (int, float)):
            env[name] = str(default + 1)
        elif isinstance(default, str):
            env[name] = default + "x"
        elif isinstance(default, (list, tuple)):
            env[name] = "a,b"
        elif isinstance(default, dict):
            env[name] = "{}"
    got = from_environment(env, known)
    assert set(got) == set(env)
    assert got["THEPAPER_MAX_ARTICLES"] == 1 and got["THEPAPER_CHANNELS"] == ["a", "b"]
    assert got["ROBOTSTXT_OBEY"] is False and got["DOWNLOAD_DELAY"] == 4.0
    assert from_environment({"THEPAPER_ARCHIVE_DB": "x.db"}, known) == {"THEPAPER_DB_URL": "x.db"}
    assert from_environment({"PATH": "/usr/bin", "HOME": "/root"}, known) == {}  # unrelated names: nothing
    for bad, default in [("yes please", True), ("3.5", 3), ("x", 2.0), ("[1,", []), ("[]", {})]:
        with pytest.raises(ValueError):
            convert("X", bad, default, "test")


def test_environment_values_round_trip_to_the_defaults_type():
    from hypothesis import given, settings as hsettings, strategies as st

    from crawler.config import convert

    words = (
        st.text(
            alphabet=st.characters(min_codepoint=48, max_codepoint=122, blacklist_characters=",[]"),
            min_size=1,
            max_size=8,
        )
        .map(str.strip)
        .filter(bool)
    )

    @hsettings(max_examples=200, deadline=None)
    @given(
        st.one_of(
            st.integers(-(10**9), 10**9),
            st.booleans(),
            st.lists(words, max_size=5),
            st.floats(allow_nan=False, allow_infinity=False, width=32),
        )
    )
    def round_trip(value):
        default = type(value)() if not isinstance(value, list) else []
        text = ",".join(value) if isinstance(value, list) else str(value)
        assert convert("X", text, default, "test") == value

    round_trip()


def test_progress_percentage_stays_within_bounds():
    from hypothesis import given, settings as hsettings, strategies as st

    from crawler.progress import progress_line, snapshot

    @hsettings(max_examples=200, deadline=None)
    @given(
        st.integers(0, 500), st.integers(0, 500), st.integers(0, 50), st.booleans(), st.floats(0, 1e5, allow_nan=False)
    )
    def check(stored, failed, total, final, elapsed):
        s = snapshot({"thepaper/stored/new": stored, "thepaper/failed": failed}, elapsed, total, final)
        line = progress_line(s)
        assert s.done <= s.total
        if "%" in line:
            assert 0 <= int(line.split("%")[0].rsplit(" ", 1)[1]) <= 100

    check()


def test_parquet_without_pyarrow_is_one_line_and_leaves_no_file(archive, tmp_path):
    """Were pyarrow missing, the export says so in one line, and its half-made file is gone."""
    script = "import sys; sys.modules['pyarrow'] = None\nfrom crawler.cli import main\nsys.exit(main(sys.argv[1:]))"
    target = tmp_path / "x.parquet"
    proc = subprocess.run(
        [sys.executable, "-c", script, "export", "--db", str(archive[1]), "--format", "parquet", "-o", str(target)],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = one_line(proc, 2)
    assert line == (
        f"{PROG}: error: the parquet format needs pyarrow, which is not installed here "
        "(scripts/bootstrap.sh installs it)"
    )
    assert list(tmp_path.iterdir()) == []


_BUGGY_CLEANER = """
import sys
import pipelines.stages as stages
def broken(*args, **kwargs):
    raise RuntimeError("a bug in the cleaner")
stages.clean_page = broken
from crawler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_bug_during_a_crawl_is_one_line_per_error_naming_the_runs_traceback_file(tmp_path):
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    ds = generate_dataset(8, seed=15)
    with MockSite(ds) as site:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _BUGGY_CLEANER,
                "crawl",
                "--base-url",
                site.base_url,
                "--db",
                str(tmp_path / "a.db"),
                "-q",
            ],
            cwd=ROOT,
            env=cli_env(THEPAPER_CRASH_DIR=str(crashes)),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 1, proc.stderr  # errors were logged: a bug
    assert "Traceback" not in proc.stderr
    files = list(crashes.iterdir())
    assert len(files) == 1
    errors = [ln for ln in err_lines(proc) if "ERROR" in ln]
    assert errors and all(f"(a bug; the traceback is in {files[0]})" in ln for ln in errors), proc.stderr
    assert files[0].read_text(encoding="utf-8").count("RuntimeError: a bug in the cleaner") == len(errors)
