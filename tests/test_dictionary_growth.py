"""The zstd dictionary's retraining policy counts the archive's growth since each training
(``raw_dictionaries.archive_pages``): a writer trains when the archive has grown RETRAIN_GROWTH
times, never after every batch, whatever the byte budget leaves of a sample; ``db compact``
follows the same rule; dictionaries trained before revision 0010 (NULL) count as their samples."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from storage import dictionaries
from storage.db import open_archive
from storage.dictionaries import AUTO_TRAIN_PAGES, RETRAIN_GROWTH, forget_encoders, outgrown, trained_at
from storage.models import RawPage
from tests.raw_codec_helpers import _pages, train_from
from tests.test_dictionary_budget import _store


@pytest.mark.parametrize(
    "samples, archive_pages, pages, expected",
    [
        (400, 500, 749, False),  # not yet 1.5 times the archive it was trained on
        (400, 500, 750, True),
        (25, 500, 750, True),  # a small sample (large pages) does not matter: the archive's growth does
        (25, 500, 600, False),  # ... nor makes it retrain after every batch
        (400, 16_000, 23_999, False),
        (400, 16_000, 24_000, True),
        (1000, None, 1499, False),  # trained before 0010: counted as its samples
        (1000, None, 1500, True),
        (0, 0, 1, False),  # an empty count never divides the policy by zero
    ],
)
def test_outgrown_by_the_archives_growth(samples, archive_pages, pages, expected):
    row = SimpleNamespace(samples=samples, archive_pages=archive_pages)
    assert outgrown(row, pages) is expected


def test_trained_at_is_the_recorded_count_or_the_samples():
    assert trained_at(SimpleNamespace(samples=400, archive_pages=2048)) == 2048
    assert trained_at(SimpleNamespace(samples=400, archive_pages=None)) == 400


def _trainings(total: int, batch: int) -> list[int]:
    """The archive sizes at which a writer storing ``total`` pages in batches of ``batch`` trains
    (the checks of train_when_ready after each batch, on the counts alone)."""
    at: list[int] = []
    for pages in range(batch, total + batch, batch):
        pages = min(pages, total)
        if pages < AUTO_TRAIN_PAGES:
            continue
        if not at or outgrown(SimpleNamespace(samples=0, archive_pages=at[-1]), pages):
            at.append(pages)
    return at


@pytest.mark.parametrize(
    "total, batch, expected",
    [
        (2000, 50, [500, 750, 1150, 1750]),  # a 2,000-page crawl: four trainings, not one per batch
        (2000, 1, [500, 750, 1125, 1688]),
        (2000, 64, [512, 768, 1152, 1728]),  # the batch that crosses each threshold
        (499, 10, []),  # too small to train on
        (20_000, 50, [500, 750, 1150, 1750, 2650, 4000, 6000, 9000, 13_500]),
        (20_000, 200, [600, 1000, 1600, 2400, 3600, 5400, 8200, 12_400, 18_600]),
    ],
)
def test_a_growing_archive_is_trained_a_bounded_number_of_times(total, batch, expected):
    assert RETRAIN_GROWTH == 1.5  # the expected sizes below are its powers
    assert _trainings(total, batch) == expected


def test_the_writer_trains_as_the_archive_doubles_and_records_its_size(db_url, monkeypatch):
    """100 pages stored 10 at a time, the first training at 20: at 20, 30, 50 and 80 pages, each
    dictionary recording the archive it saw, every row on the newest one."""
    train_from(monkeypatch, 20)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(100)
    try:
        for start in range(0, len(pages), 10):
            _store(Session, pages[start : start + 10])
        with Session() as s:
            trained = s.execute(sa.text("SELECT archive_pages, samples FROM raw_dictionaries ORDER BY id")).all()
            on = set(s.execute(sa.select(RawPage.dictionary_id)).scalars())
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
        assert [a for a, _ in trained] == [20, 30, 50, 80]
        assert [n for _, n in trained] == [20, 30, 50, 80]  # the budget holds them all
        assert on == {len(trained)}
    finally:
        forget_encoders()
        engine.dispose()


def test_the_writer_does_not_train_below_the_threshold(db_url, monkeypatch):
    train_from(monkeypatch, 50)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    try:
        for start in range(0, 40, 10):
            _store(Session, _pages(40)[start : start + 10])
        with Session() as s:
            assert s.scalar(sa.text("SELECT count(*) FROM raw_dictionaries")) == 0
            assert set(s.execute(sa.select(RawPage.dictionary_id)).scalars()) == {None}
    finally:
        forget_encoders()
        engine.dispose()
