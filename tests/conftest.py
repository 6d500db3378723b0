"""Shared fixtures: the mock site over loopback, archive databases, running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"


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


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
