"""``reprocess`` as a program: it runs with the crawl's garbage-collection thresholds, and a
successful run freezes the collector before the process ends, with the archive closed first; a
cleaning process that is killed ends the run with one line and exit code 6, not as a bug."""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest

from jobs import reprocess
from storage.db import open_archive
from storage.proc import ProcessLost
from tests.test_reprocess import _seed_mock_archive


def test_the_program_freezes_its_objects_at_the_end_of_a_reprocess(tmp_path, monkeypatch):
    """``thepaper-archive reprocess`` ends its process with gc.freeze() (the interpreter's shutdown
    then frees without walking what it held), having closed every connection to the archive
    first (no -wal file left: SQLite removes it with the last connection); main() called in a
    process that goes on, a failed run and another command do not freeze."""
    import gc

    from crawler import cli
    from tests.conftest import run_cli

    db = tmp_path / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{db}", create=True)
    try:
        _seed_mock_archive(Session, n=8)
    finally:
        engine.dispose()
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    argv = ["reprocess", "--db", f"sqlite:///{db}", "-q", "--jobs", "1"]
    assert cli.main(argv) == 0 and frozen == []  # a process that goes on (a test, a caller)
    assert cli.main(argv, exiting=True) == 0 and frozen == [True]
    assert not (tmp_path / "archive.sqlite3-wal").exists()
    assert cli.main(["reprocess", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}", "-q"], exiting=True) != 0
    assert cli.main(["stats", "--db", f"sqlite:///{db}"], exiting=True) == 0
    assert frozen == [True]
    monkeypatch.undo()
    for jobs in ("1", "2"):  # the program itself: the same summary, and the archive closed
        proc = run_cli("reprocess", "--db", f"sqlite:///{db}", "-q", "--jobs", jobs, check=True)
        assert "new 0, updated 0, unchanged" in proc.stderr
        assert not (tmp_path / "archive.sqlite3-wal").exists()


def test_the_command_collects_garbage_less_often_during_the_run(tmp_path, monkeypatch):
    """``reprocess`` runs (and forks its cleaners) with crawler.heap's thresholds, as the crawl
    does, and leaves the collector's own ones afterwards, also when the run fails."""
    import gc

    from crawler import cli, heap

    db = tmp_path / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{db}", create=True)
    engine.dispose()
    seen = []

    def spy(Session, **kw):
        seen.append(gc.get_threshold())
        return Counter()

    monkeypatch.setattr(reprocess, "reprocess_archive", spy)
    before = gc.get_threshold()
    assert cli.main(["reprocess", "--db", f"sqlite:///{db}", "-q"]) == 0
    assert seen == [heap.THRESHOLDS] and gc.get_threshold() == before

    def fails(Session, **kw):
        seen.append(gc.get_threshold())
        raise RuntimeError("a worker died")

    monkeypatch.setattr(reprocess, "reprocess_archive", fails)
    monkeypatch.setenv("THEPAPER_CRASH_DIR", str(tmp_path))  # the crash report of the failure
    assert cli.main(["reprocess", "--db", f"sqlite:///{db}", "-q"]) != 0
    assert seen[-1] == heap.THRESHOLDS and gc.get_threshold() == before


_KILLED_CLEANER = """
import os, signal, sys
from cleaning import document as chain
parent, original = os.getpid(), chain.clean_document
def killed(*args, **kwargs):
    if os.getpid() != parent:  # a cleaning process, as the system's out-of-memory killer ends it
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
chain.clean_document = killed
from crawler.cli import main
sys.exit(main(sys.argv[1:], exiting=True))
"""


def test_a_killed_cleaning_process_ends_the_run_with_one_line_and_exit_code_6(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, cli_env, messages, run_cli

    db = tmp_path / "archive.sqlite3"
    engine, Session = open_archive(f"sqlite:///{db}", create=True)
    try:
        _seed_mock_archive(Session, n=260)  # two chunks of 200 raw pages: two cleaning processes
    finally:
        engine.dispose()
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    argv = ["reprocess", "--db", f"sqlite:///{db}", "-q", "--jobs", "2"]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_CLEANER, *argv],
        cwd=ROOT,
        env=cli_env(THEPAPER_CRASH_DIR=str(crashes)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 6, proc.stderr
    lines = messages(proc.stderr)
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("thepaper-archive: error: the cleaning process reprocess-clean-")
    assert lines[0].endswith(
        " was killed by SIGKILL (as when the system runs out of memory) before its pages were cleaned; "
        "what was written so far stays: run the command again to finish"
    )
    assert list(crashes.iterdir()) == []  # not a bug: no traceback file
    again = run_cli(*argv)
    assert again.returncode == 0 and "updated 0" in again.stderr, again.stderr


@pytest.mark.parametrize(
    "die, how",
    [
        (lambda: os._exit(7), "exited with code 7"),
        (
            lambda: os.kill(os.getpid(), signal.SIGKILL),
            r"was killed by SIGKILL \(as when the system runs out of memory\)",
        ),
        (lambda: os.kill(os.getpid(), signal.SIGSEGV), "was killed by SIGSEGV"),
    ],
)
def test_a_worker_that_dies_fails_the_run_instead_of_hanging(tmp_path, monkeypatch, die, how):
    from cleaning import document as chain

    parent = os.getpid()
    original = chain.clean_document

    def dying(*args, **kwargs):
        if os.getpid() != parent:
            die()
        return original(*args, **kwargs)

    monkeypatch.setattr(chain, "clean_document", dying)
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    try:
        _seed_mock_archive(Session, 12)
        with pytest.raises(ProcessLost, match=rf"the cleaning process reprocess-clean-\d {how} before"):
            reprocess.reprocess_archive(Session, batch=4, jobs=2)
    finally:
        engine.dispose()
