"""Shared fixtures: the mock site over loopback, archive databases, running the CLI."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real pages of the site and of a mirror, with their provenance (tests/data/samples/README.md).
SAMPLES = ROOT / "tests" / "data" / "samples"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("THEPAPER_ARCHIVE_DB", None)
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 300, check: bool = False, **kw) -> subprocess.CompletedProcess:
    """Run ``thepaper-archive ARGS`` in a subprocess (the real Scrapy engine, a fresh reactor)."""
    proc = subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=kw.pop("cwd", ROOT),
        env=kw.pop("env", cli_env()),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str):
    """A tmpfs of ``size`` (``2m``, ``64k``) mounted at ``mount_point`` for the block, if this
    machine lets the tests mount one (root with CAP_SYS_ADMIN); else the test is skipped."""
    mount_point.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def messages(stderr: str) -> list[str]:
    """The lines a command printed on stderr, without Python's warnings about libraries
    (a ``...Warning: ...`` line and the source line under it)."""
    out, skip = [], False
    for line in stderr.splitlines():
        if skip and line.startswith("  "):
            skip = False
            continue
        skip = "Warning: " in line and ".py:" in line
        if not skip:
            out.append(line)
    return out


def _ensure_pg_database(url: str, suffix: str) -> str:
    """URL of the PostgreSQL database ``<db of url>_<suffix>``, created on first use."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine, resolve_db_url

    base = make_url(resolve_db_url(url))
    dbname = f"{base.database}_{suffix}"
    engine = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}).scalar():
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    finally:
        engine.dispose()
    return base.set(database=dbname).render_as_string(hide_password=False)


def _worker_pg_url(url: str | None, worker: str | None) -> str | None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``<db>_gw0`` ...),
    so that one worker's wipe never empties another's archive."""
    return _ensure_pg_database(url, worker) if url and worker else url


PG_URL = _worker_pg_url(os.environ.get("THEPAPER_TEST_PG_URL"), os.environ.get("PYTEST_XDIST_WORKER"))
if PG_URL:  # the test modules and the commands the tests run read it from the environment too
    os.environ["THEPAPER_TEST_PG_URL"] = PG_URL
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def wipe_pg(url: str) -> None:
    """Empty the PostgreSQL test database: every table, view, trigger and function."""
    from sqlalchemy import text

    from storage.db import make_engine
    from storage.dictionaries import forget_encoders

    forget_encoders(dictionaries=True)  # dictionary ids start at 1 again in the new archive
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    finally:
        engine.dispose()


def pg_database(name: str) -> str:
    """URL of PostgreSQL test database ``name`` (created on first use, beside the main one),
    so that a module-scoped archive is never wiped by another test's fixture."""
    from sqlalchemy.engine import make_url

    from storage.db import resolve_db_url

    if not name:
        return make_url(resolve_db_url(PG_URL)).render_as_string(hide_password=False)
    return _ensure_pg_database(PG_URL, name)


def fresh_db_url(backend: str, directory: Path, name: str = "") -> str:
    """An empty archive: a SQLite file in ``directory``, or a wiped PostgreSQL database
    (``name`` selects a separate one for module-scoped fixtures)."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'archive.sqlite3'}"
    url = pg_database(name)
    wipe_pg(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """An empty archive database: a SQLite file, or the wiped PostgreSQL test database
    (the PostgreSQL run happens when THEPAPER_TEST_PG_URL is set, as scripts/test.sh does)."""
    return fresh_db_url(request.param, tmp_path)


# --------------------------------------------------------------------------- markers
#: Modules whose tests are marked (pyproject.toml registers the markers; scripts/test.sh --quick
#: runs what is none of them).
LARGE_MODULES = {"test_soak", "test_bench_smoke"}
SLOW_MODULES = {
    "test_cli_setup",
    "test_cli_user_errors",
    "test_cli_crawl_runs",
    "test_e2e_breaker",
    "test_e2e_crawl",
    "test_e2e_drift",
    "test_e2e_full_disk",
    "test_e2e_outage",
    "test_e2e_readers",
    "test_e2e_scheduled",
    "test_distributed",
    "test_browse",
    "test_warc",
    "test_address_guard",
    "test_analysis_docs",
    "test_lookup",
    "test_eval_gate",
}
CHROMIUM_TESTS = {"test_report_renders_in_chromium_with_charts"}
#: Tests of other modules that run processes end to end (the slowest of the quick subset, measured
#: with --durations).
SLOW_TESTS = {
    "test_ctrl_c_stops_the_workers",
    "test_crawl_stores_the_same_archive_with_thread_or_worker_process",
    "test_compact_killed_with_sigkill_loses_nothing",
    "test_lock_race_between_processes",
    "test_concurrent_first_opens_migrate_once",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        params = getattr(getattr(item, "callspec", None), "params", {})
        needs_pg = any("THEPAPER_TEST_PG_URL" in str(m.kwargs.get("reason", "")) for m in item.iter_markers("skipif"))
        if "postgresql" in params.values() or needs_pg:
            item.add_marker(pytest.mark.pg)
        if module in LARGE_MODULES:
            item.add_marker(pytest.mark.large)
        if module in SLOW_MODULES or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if item.originalname in CHROMIUM_TESTS:
            item.add_marker(pytest.mark.chromium)


@pytest.fixture(scope="session")
def newcomer_archive(tmp_path_factory):
    """A small crawled archive (SQLite) and its data set, crawled once per test process: the
    tests read it and never write to it."""
    from mocksite.dataset import generate_dataset
    from mocksite.server import MockSite

    tmp = tmp_path_factory.mktemp("newcomer")
    ds = generate_dataset(40, seed=14)
    db = tmp / "a.sqlite3"
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ds, db, proc


@pytest.fixture(scope="session")
def firstweek_archive(tmp_path_factory):
    """The first-week tests' archive (issue 27): 40 articles crawled once per test process; the
    tests read it and never write to it."""
    from mocksite.dataset import generate_dataset
    from mocksite.server import MockSite

    tmp = tmp_path_factory.mktemp("firstweek")
    ds = generate_dataset(40, seed=27)
    db = tmp / "a.db"
    with MockSite(ds) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", check=True)
    return ds, db
