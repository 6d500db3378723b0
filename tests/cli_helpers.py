"""What the command-line tests share: the program's name, a user error's one stderr line, a free
port, and a small crawled archive (module-scoped in each module that imports it)."""

from __future__ import annotations

import socket

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import run_cli


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
