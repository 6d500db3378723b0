"""``reprocess`` as a program: it runs with the crawl's garbage-collection thresholds, and a
successful run freezes the collector before the process ends, with the archive closed first."""

from __future__ import annotations

from collections import Counter

from jobs import reprocess
from storage.db import open_archive
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
