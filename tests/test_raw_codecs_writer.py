"""The crawl's writer: it trains better dictionaries as the archive grows and re-encodes what came
before while the archive is small, leaving a large one to ``db compact``; and its save decision for
pages captured earlier than the stored text."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from storage.db import open_archive
from storage.dictionaries import forget_encoders
from storage.models import RawPage
from tests.raw_codec_helpers import HEADERS, T0, _codecs, _pages, page_jobs, train_from


def test_older_capture_decisions():
    """The save decision with capture times, case by case (and the cases that must stay as they were)."""
    from types import SimpleNamespace

    from domain.record import ArticleRecord
    from storage.articles import _record_fields, decide_save

    def rec(title="标题", body="正文。", **kw):
        return ArticleRecord(cont_id=1, title=title, paragraphs=[body], **kw)

    stored = rec()
    old = SimpleNamespace(**_record_fields(stored), cont_id=1, text_captured_at=T0, version=1, tag_names=[])
    earlier, later = T0 - timedelta(days=900), T0 + timedelta(hours=1)
    assert decide_save(old, rec(title="旧标题"), captured_at=earlier)[0] == "versioned"
    assert decide_save(old, rec(), captured_at=earlier)[0] == "unchanged"
    assert (
        decide_save(old, rec(title="旧标题"), captured_at=earlier, known_hashes={rec(title="旧标题").content_hash})[0]
        == "unchanged"
    )
    assert decide_save(old, rec(content_type="gone", title=""), captured_at=earlier)[0] == "unchanged"
    assert (
        decide_save(old, rec(title="旧标题", mirror_host="www.nxos.com.cn"), captured_at=earlier)[0] == "kept_original"
    )
    # not older: as before
    assert decide_save(old, rec(title="新标题"), captured_at=later)[0] == "updated"
    assert decide_save(old, rec(title="新标题"), captured_at=None)[0] == "updated"
    assert decide_save(old, rec(title="新标题"), captured_at=T0)[0] == "updated"
    # an older original over a stored mirror copy: the original still wins
    mirror = SimpleNamespace(**{**vars(old), "mirror_host": "www.nxos.com.cn"})
    assert decide_save(mirror, rec(title="原文"), captured_at=earlier)[0] == "updated"


def test_the_crawls_writer_trains_better_dictionaries_and_reencodes_what_came_before(db_url, monkeypatch):
    """A writer trains the first dictionary at AUTO_TRAIN_PAGES pages and a new one each time the
    archive has outgrown the last (1.5 times the pages it held when that was trained); the pages
    stored before each get the new one: no row is left on an old one."""
    from storage import dictionaries
    from storage.batch import BatchEntry
    from storage.writers import store_jobs

    monkeypatch.setattr(dictionaries, "AUTO_TRAIN_PAGES", 20)
    train_from(monkeypatch, 20)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(100)
    try:
        trained = []
        for start in range(0, len(pages), 10):
            jobs = page_jobs(pages[start : start + 10])
            assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)
            with Session() as s:
                trained = s.execute(sa.text("SELECT samples FROM raw_dictionaries ORDER BY id")).scalars().all()
                newest = s.scalar(sa.text("SELECT max(id) FROM raw_dictionaries"))
                on = Counter(s.execute(sa.select(RawPage.dictionary_id)).scalars())
            if newest is not None:
                assert set(on) == {newest}, on  # every row, earlier ones too, on the newest dictionary
        # at 20 pages (the first); at 30 (20 x 1.5); at 50 (>= 30 x 1.5); at 80 (>= 50 x 1.5)
        assert trained == [20, 30, 50, 80]
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


def test_the_writer_leaves_re_encoding_a_large_archive_to_db_compact(db_url, monkeypatch):
    """Past RECOMPRESS_MAX_PAGES (an archive from before the dictionaries, a backfill) the writer
    trains the dictionary for new pages but does not rewrite the stored ones in the crawl."""
    from storage import dictionaries, writers
    from storage.batch import BatchEntry
    from storage.writers import store_jobs

    train_from(monkeypatch, 20)
    monkeypatch.setattr(writers, "RECOMPRESS_MAX_PAGES", 10)
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(30)
    try:
        for start in (0, 10, 20):
            jobs = page_jobs(pages[start : start + 10])
            assert store_jobs(Session, jobs, run_id=None, policy={}) == [None] * len(jobs)
        assert _codecs(Session) == {("zstd", False): 20, ("zstd", True): 10}  # trained at 20, nothing rewritten
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()
