"""The zstd dictionary's training sample stays within ``TRAIN_MAX_BYTES`` (whole pages, fewer of
them when they are large), and an archive of large pages is not retrained after every batch
because its samples are small (the policy counts the archive's growth:
tests/test_dictionary_growth.py)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from storage import dictionaries
from storage.db import open_archive
from storage.dictionaries import forget_encoders, planned_samples, sample_pages
from storage.models import RawPage
from storage.writers import store_jobs
from tests.raw_codec_helpers import _pages, page_jobs, train_from


@pytest.mark.parametrize(
    "pages, mean, expected",
    [
        (100, 10_000, 100),  # every page of a small archive
        (10**6, 10_000, 419),  # 4 MiB of 10 KB pages
        (10**6, 150_000, 27),  # the real site's pages: fewer of them
        (10**6, 0, 2000),  # size unknown: the count alone
        (10**6, 10**9, 1),  # one page larger than the budget: still one
    ],
)
def test_planned_samples(pages, mean, expected):
    assert planned_samples(pages, mean) == expected


def _store(Session, pages) -> None:
    jobs = page_jobs(pages)
    assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)


def test_sample_is_whole_pages_within_the_byte_budget(tmp_path):
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    pages = _pages(60)
    try:
        _store(Session, pages)
        bodies = set(body for _, body in pages)
        budget = sum(len(b) for _, b in pages[:20])  # 20 pages' worth (a set's order varied with the hash seed)
        with Session() as s:
            every = sample_pages(s, samples=1000, max_bytes=10**9)
            capped = sample_pages(s, samples=1000, max_bytes=budget)
        assert len(every) == 60 and set(every) == bodies
        assert 10 <= len(capped) < 60
        assert sum(map(len, capped)) <= budget
        assert set(capped) <= bodies  # whole pages, never cut
    finally:
        forget_encoders()
        engine.dispose()


def test_writer_with_large_pages_trains_as_the_archive_doubles_not_every_batch(tmp_path, monkeypatch):
    """Pages so large that the budget holds about 12 of them: the dictionaries (at 20, 30, 50 and
    80 pages) sample no more each, and the batches between find the newest not outgrown (a policy that counted
    samples would find a sample cut by the budget too small for ever: a new dictionary after
    every batch)."""
    monkeypatch.setattr(dictionaries, "AUTO_TRAIN_PAGES", 20)
    train_from(monkeypatch, 20)
    pages = _pages(100)
    monkeypatch.setattr(dictionaries, "TRAIN_MAX_BYTES", 12 * max(len(b) for _, b in pages))
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'b.sqlite3'}", create=True)
    try:
        for start in range(0, len(pages), 10):
            _store(Session, pages[start : start + 10])
        with Session() as s:
            trained = s.execute(sa.text("SELECT archive_pages, samples FROM raw_dictionaries ORDER BY id")).all()
            on = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
        assert [a for a, _ in trained] == [20, 30, 50, 80], trained
        assert all(12 <= n < a for a, n in trained[1:]), trained  # a sample, not the whole archive
        assert set(on) == {4}  # the pages before it re-encoded with the newest
    finally:
        forget_encoders()
        engine.dispose()
