"""A newcomer's first hour (issue 14), before the first crawl: the repository stands alone, the
drivers and atomic output are installed, settings come from the environment and a TOML file with
one precedence, and the docs name every command, option and setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Article
from tests.conftest import PG_URL, ROOT, cli_env, run_cli
from tests.cli_helpers import PROG, archive, one_line


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
    reader.join(timeout=600)
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
