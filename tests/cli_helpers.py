"""What the command-line tests share: the program's name, a user error's one stderr line, a free
port, and a small crawled archive (built once per test process; importing modules take ``newcomer_archive`` with ``archive``)."""

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
def archive(newcomer_archive):
    return newcomer_archive
