"""A newcomer's first hour (issue 14), the mistakes: every user error is exactly one line on stderr
with its documented exit code and leaves nothing behind; reading commands never create an
archive; an unexpected error or a bug during a crawl names its traceback file instead of showing it."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from crawler.crashes import SHOWN_CHARS
from tests.conftest import PG_URL, ROOT, cli_env, run_cli
from tests.cli_helpers import PROG, _free_port, archive, err_lines, one_line


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
        line = one_line(run_cli(*argv, cwd=tmp_path, timeout=600), code)
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
        timeout=600,
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
        timeout=600,
    )
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


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
        timeout=600,
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
    report = files[0].read_text(encoding="utf-8")
    assert report.count("RuntimeError: a bug in the cleaner") == len(errors)
    # Scrapy's "Error processing ITEM" spells out the page it was cleaning, body and all: the line
    # shows its start, the traceback file all of it
    for ln in errors:
        shown = ln.split("ERROR: ", 1)[1].split(" (a bug; the traceback is in ")[0]
        assert len(shown) <= SHOWN_CHARS and shown.endswith("…") and shown[:-1] in " ".join(report.split()), ln
    assert "</html>" in report
