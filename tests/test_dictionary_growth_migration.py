"""Revision 0010 (raw_dictionaries.archive_pages), on both backends: a dictionary records the
archive it was trained on; a downgrade drops only that column (every dictionary and raw page
kept, readable); an upgrade brings it back NULL, which the policy counts as the dictionary's
samples."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from storage.db import open_archive, upgrade
from storage.dictionaries import forget_encoders, newest_dictionary, outgrown, train_dictionary
from storage.models import RawDictionary, RawPage
from tests.raw_codec_helpers import _pages
from tests.test_dictionary_budget import _store
from tests.conftest import downgrade

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def test_downgrade_below_0010_keeps_every_dictionary_and_page_and_upgrade_counts_samples(db_url):
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(30)
    try:
        _store(Session, pages)  # 30 pages: fewer than a writer trains at
        with Session() as s:
            row = train_dictionary(s, now=NOW)
            s.commit()
            assert (row.archive_pages, row.samples) == (30, 30)
            data = bytes(row.data)
        downgrade(engine, "0009_repair_log")
        assert "archive_pages" not in {c["name"] for c in sa.inspect(engine).get_columns("raw_dictionaries")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT samples, data FROM raw_dictionaries")).one() == (30, data)
            assert conn.scalar(sa.text("SELECT count(*) FROM raw_pages")) == 30
        upgrade(engine)
        forget_encoders(dictionaries=True)
        with Session() as s:
            row = newest_dictionary(s)
            assert row is not None and row.archive_pages is None and bytes(row.data) == data
            assert not outgrown(row, 44) and outgrown(row, 45)  # counted as its 30 samples
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
            assert s.scalar(sa.select(sa.func.count()).select_from(RawDictionary)) == 1
    finally:
        forget_encoders()
        engine.dispose()
