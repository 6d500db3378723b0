"""The cleaner pool's preload and collector freeze, and how reprocess cuts its chunks into pieces."""

from __future__ import annotations

import gc
import multiprocessing
import os

import pytest

from jobs import reprocess
from jobs.cleanpool import CleanerPool, in_order

LOADED: list[int] = []


def _preload() -> None:
    LOADED.append(os.getpid())


def _seen_by_worker(_task):
    return list(LOADED), gc.get_freeze_count() > 0


def _make_work():
    return _seen_by_worker


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="preload is for forked workers")
def test_preload_runs_once_in_the_parent_and_the_workers_inherit_it():
    LOADED.clear()
    with CleanerPool(2, _make_work, preload=_preload) as pool:
        results = [result for _, result in in_order(pool, range(4), 4)]
    assert LOADED == [os.getpid()]  # once, here, before the fork
    assert all(loaded == [os.getpid()] and frozen for loaded, frozen in results)
    assert gc.get_freeze_count() == 0  # this process's objects are the collector's again


def test_pieces_cover_each_chunk_in_order_and_mark_its_end():
    chunks = [list(range(1, 8)), [8, 9], [10], list(range(11, 211))]
    pieces = list(reprocess._pieces(chunks))
    put_together, current = [], []
    for last, ids in pieces:
        assert ids
        current.extend(ids)
        if last:
            put_together.append(current)
            current = []
    assert put_together == chunks and not current
    assert sum(1 for _ in pieces) == 4 + 2 + 1 + 4
    assert max(len(ids) for _, ids in pieces) == 200 // reprocess.PIECES
