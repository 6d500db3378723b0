"""A writer that stores many batches (:class:`storage.writers.Growth`): it asks whether a dictionary
is due only once its pages reach the size the last answer named, and re-encodes the pages stored
before the newest dictionary once, when it closes, not after every training; the archive it leaves
is the one the batch-by-batch path leaves. And the worker process, started before it knows its
archive (:class:`storage.worker.ProcessWriter`), stores what it is given once opened, and stops
cleanly when it never is."""

from __future__ import annotations

import functools
from collections import Counter

import pytest
import sqlalchemy as sa

from storage import dictionaries
from storage.db import open_archive
from storage.dictionaries import forget_encoders
from storage.models import RawPage
from tests.raw_codec_helpers import _pages, page_jobs, train_from


def test_a_writer_re_encodes_once_when_it_closes(db_url, monkeypatch):
    from storage.writers import Growth, reencode_earlier, store_jobs

    train_from(monkeypatch, 20)
    asked = []
    real = dictionaries.train_when_ready

    def counted(*args, **kwargs):
        asked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dictionaries, "train_when_ready", counted)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(100)
    growth = Growth()
    try:
        for start in range(0, len(pages), 10):
            assert (
                store_jobs(Session, page_jobs(pages[start : start + 10]), run_id=None, policy={}, growth=growth)
                == [None] * 10
            )
        with Session() as s:
            trained = s.execute(sa.text("SELECT archive_pages FROM raw_dictionaries ORDER BY id")).scalars().all()
            newest = s.scalar(sa.text("SELECT max(id) FROM raw_dictionaries"))
            before = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
        assert trained == [20, 30, 50, 80]  # the same trainings as batch by batch
        # asked after the first batch, then only at 20, 30, 50, 80 pages (and after those: the next size)
        assert len(asked) == 5, asked
        assert growth.reencode and set(before) != {newest}  # earlier pages wait on older dictionaries
        reencode_earlier(Session, growth)
        with Session() as s:
            assert Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars()) == {newest: 100}
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
        assert not growth.reencode
    finally:
        forget_encoders()
        engine.dispose()


def test_the_last_training_that_may_re_encode_does_it_at_once(db_url, monkeypatch):
    """Past it the archive would outgrow the dictionary only beyond RECOMPRESS_MAX_PAGES: nothing
    is left for the close, as the batch-by-batch path leaves it."""
    from storage import writers
    from storage.writers import Growth, store_jobs

    train_from(monkeypatch, 20)
    monkeypatch.setattr(writers, "RECOMPRESS_MAX_PAGES", 40)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(30)
    growth = Growth()
    try:
        for start in (0, 10, 20):
            store_jobs(Session, page_jobs(pages[start : start + 10]), run_id=None, policy={}, growth=growth)
        with Session() as s:
            newest = s.scalar(sa.text("SELECT max(id) FROM raw_dictionaries"))
            on = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
        # trained at 20 (20 x 1.5 <= 40: waits), at 30 (30 x 1.5 > 40: re-encoded at once)
        assert on == {newest: 30} and not growth.reencode
    finally:
        forget_encoders()
        engine.dispose()


def _worker(target=None, **kwargs):
    """The worker's process, as :class:`storage.worker.ProcessWriter` starts it (no archive yet;
    ``target``: :func:`storage.worker.worker_main` unless given), and this end of its pipe."""
    import multiprocessing

    from storage.worker import worker_main

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    proc = ctx.Process(target=target or worker_main, args=(child,), kwargs={"max_batch": 10, **kwargs}, daemon=True)
    proc.start()
    child.close()
    return conn, proc


def _answers(conn) -> list:
    out = []
    while True:
        assert conn.poll(120), "the worker did not answer"
        kind, results, _ = conn.recv()
        out.extend(results)
        if kind == "done":
            return out


def _three_pages_stored(db_url, target=None, **kwargs):
    """A new archive, a worker that learns it from its first message and stores three pages, then
    stops: its results (checked: all three stored, sent back without their raw page) and process."""
    from storage.worker import _OPEN
    from storage.writers import _STOP

    engine, _ = open_archive(db_url, create=True)
    engine.dispose()
    conn, proc = _worker(target, **kwargs)
    jobs = page_jobs(_pages(3))
    conn.send([(_OPEN, db_url, None, {})] + [(seq, job) for seq, job in enumerate(jobs, 1)])
    conn.send([_STOP])
    results = _answers(conn)
    proc.join(60)
    assert [seq for seq, _, err in results if err is None] == [1, 2, 3]
    assert all(entry.raw_page_id is not None and entry.raw is None for _, entry, _ in results)
    engine, Session = open_archive(db_url)
    try:
        with Session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(RawPage)) == 3
    finally:
        engine.dispose()
    return results, proc


def test_a_worker_started_before_its_archive_is_known(db_url):
    _three_pages_stored(db_url)


def test_a_worker_never_opened_stops_when_closed():
    from storage.writers import _STOP

    conn, proc = _worker()
    conn.send([_STOP])
    assert _answers(conn) == []
    proc.join(60)
    assert proc.exitcode == 0


def mark_at_exit(path: str) -> None:
    """A worker's ``warm``: an exit handler that writes ``path``, which the interpreter's teardown runs."""
    import atexit
    from pathlib import Path

    atexit.register(Path(path).write_text, "teardown")


@pytest.mark.parametrize("fast_exit, torn_down", [(True, False), (False, True)])
def test_the_worker_process_ends_without_the_interpreters_teardown(db_url, tmp_path, fast_exit, torn_down):
    """ProcessWriter's process (worker_process) stores and commits everything, then ends at once:
    the interpreter's teardown (here an exit handler) does not run; worker_main alone returns to it."""
    from storage.worker import worker_main, worker_process

    marker = tmp_path / "teardown"
    warm = functools.partial(mark_at_exit, str(marker))
    _, proc = _three_pages_stored(db_url, worker_process if fast_exit else worker_main, warm=warm)
    assert proc.exitcode == 0
    assert marker.exists() is torn_down
