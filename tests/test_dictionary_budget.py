"""The zstd dictionary's training sample stays within ``TRAIN_MAX_BYTES`` (whole pages, fewer of
them when they are large), and the retraining policy counts what a training would sample now:
an archive of large pages trains once it can and then not after every batch; one of small pages
still gets its better dictionary as it grows."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from storage import dictionaries
from storage.batch import BatchEntry
from storage.db import open_archive
from storage.dictionaries import forget_encoders, outgrown, planned_samples, sample_pages
from storage.models import RawPage
from storage.writers import store_jobs
from tests.raw_codec_helpers import HEADERS, T0, _pages


@pytest.mark.parametrize(
    "pages, mean, expected",
    [
        (100, 10_000, 100),  # every page of a small archive
        (10**6, 10_000, 1258),  # 12 MiB of 10 KB pages
        (10**6, 150_000, 83),  # the real site's pages: fewer of them
        (10**6, 0, 2000),  # size unknown: the count alone
        (10**6, 10**9, 1),  # one page larger than the budget: still one
    ],
)
def test_planned_samples(pages, mean, expected):
    assert planned_samples(pages, mean) == expected


@pytest.mark.parametrize(
    "samples, pages, mean, expected",
    [
        (83, 10**6, 150_000, False),  # all the budget holds of large pages: never retrained
        (30, 10**6, 150_000, True),  # trained on too few of them
        (500, 2081, 10_000, True),  # the crawl's first dictionary of small pages
        (1001, 20_000, 10_000, False),  # the second one: as much as the budget holds
    ],
)
def test_outgrown_by_what_a_training_would_sample(samples, pages, mean, expected):
    assert outgrown(SimpleNamespace(samples=samples), pages, mean) is expected


def _store(Session, pages) -> None:
    jobs = [
        (
            BatchEntry(url=f"https://www.thepaper.cn/newsDetail_forward_{cid}"),
            {
                "url": f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                "final_url": None,
                "status": 200,
                "headers": HEADERS,
                "body": body,
                "fetched_at": T0,
                "kind": "article",
                "cont_id": cid,
            },
            None,
        )
        for cid, body in pages
    ]
    assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)


def test_sample_is_whole_pages_within_the_byte_budget(tmp_path):
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'a.sqlite3'}", create=True)
    pages = _pages(60)
    try:
        _store(Session, pages)
        bodies = set(body for _, body in pages)
        budget = sum(len(b) for b in list(bodies)[:20])  # about 20 pages' worth
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


def test_writer_with_large_pages_trains_once_not_every_batch(tmp_path, monkeypatch):
    """Pages so large that the budget holds 12 of them: the first dictionary (at 20 pages)
    samples 12, and later batches find it not outgrown (before, a sample cut by the budget
    counted as too small for ever: a new dictionary after every batch)."""
    monkeypatch.setattr(dictionaries, "AUTO_TRAIN_PAGES", 20)
    monkeypatch.setattr(dictionaries.train_when_ready, "__kwdefaults__", {"min_pages": 20})
    pages = _pages(100)
    mean = sum(len(b) for _, b in pages) / len(pages)
    monkeypatch.setattr(dictionaries, "TRAIN_MAX_BYTES", int(mean * 12.5))
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(f"sqlite:///{tmp_path / 'b.sqlite3'}", create=True)
    try:
        for start in range(0, len(pages), 10):
            _store(Session, pages[start : start + 10])
        with Session() as s:
            trained = s.execute(sa.text("SELECT samples FROM raw_dictionaries ORDER BY id")).scalars().all()
            on = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
        assert len(trained) == 1 and 10 <= trained[0] <= 13, trained
        assert set(on) == {1}  # the pages before it re-encoded with it
    finally:
        forget_encoders()
        engine.dispose()
