"""Raw page codecs, read: archives that mix zlib rows (written before 0005) with zstd rows, with and
without a dictionary, read, reprocess and export the same; a damaged body is a codec error; an
archive from before 0005 upgrades with its zlib rows readable."""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter

import pytest
import sqlalchemy as sa

from jobs.reprocess import reprocess_archive
from storage import codec
from storage.compact import compact_archive
from storage.dictionaries import forget_encoders
from storage.models import Article, RawPage
from storage.warc_out import export_warc
from tests.raw_codec_helpers import T0, _codecs, _pages, mixed


def test_mixed_archive_reads_every_page_exactly(mixed):
    _, Session, pages = mixed
    assert _codecs(Session) == {("zlib", False): 20, ("zstd", False): 20, ("zstd", True): 20}
    with Session() as s:
        for page in s.scalars(sa.select(RawPage)):
            data = page.raw_bytes()
            assert data == pages[page.cont_id] and hashlib.sha256(data).hexdigest() == page.sha256


def test_reprocess_works_on_every_codec(mixed):
    _, Session, _ = mixed
    assert reprocess_archive(Session) == Counter(unchanged=60)
    with Session() as s:  # a stale record in each codec: reprocess repairs it from the raw page
        for page in s.scalars(sa.select(RawPage)):
            s.get(Article, page.cont_id).title = "过时的标题"
        s.commit()
    for jobs in (1, 2):
        counts = reprocess_archive(Session, jobs=jobs)
        assert counts == (Counter(updated=60) if jobs == 1 else Counter(unchanged=60))
    with Session() as s:
        assert "过时的标题" not in set(s.scalars(sa.select(Article.title)))


def test_warc_export_reads_every_codec(mixed, tmp_path):
    _, Session, _ = mixed
    with Session() as s, open(tmp_path / "a.warc.gz", "wb") as out:
        assert export_warc(s, out)["response"] == 60


def test_damaged_body_is_a_codec_error_not_garbage():
    body = codec.encode(b"<html>" * 100)
    broken = body[:-6] + bytes(6)
    with pytest.raises(codec.CodecError, match="damaged zstd body"):
        codec.decode(broken, "zstd", page_id=7)
    with pytest.raises(codec.CodecError, match="unknown compression 'lz4'"):
        codec.decode(body, "lz4")
    assert codec.decode(b"as is", "none") == b"as is"


def test_an_archive_from_before_0005_upgrades_and_its_zlib_rows_stay_readable(db_url):
    """Rows written at revision 0003 (zlib), migrated to the head: read as they were, then compacted."""
    from storage.db import make_engine, session_factory, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        pages = _pages(12)
        with engine.begin() as conn:
            for cid, body in pages:
                conn.execute(
                    sa.text(
                        "INSERT INTO raw_pages (url, status, headers, fetched_at, body, body_size, compression, sha256, kind,"
                        " cont_id) VALUES (:u, 200, '{}', :t, :b, :n, 'zlib', :h, 'article', :c)"
                    ),
                    {
                        "u": f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                        "t": T0,
                        "b": zlib.compress(body, 6),
                        "n": len(body),
                        "h": hashlib.sha256(body).hexdigest(),
                        "c": cid,
                    },
                )
        upgrade(engine)
        Session = session_factory(engine)
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
        counts, note = compact_archive(Session)
        assert counts["pages"] == 12 and note is None and _codecs(Session) == {("zstd", True): 12}
        with Session() as s:
            assert {p.cont_id: p.raw_bytes() for p in s.scalars(sa.select(RawPage))} == dict(pages)
    finally:
        forget_encoders()
        engine.dispose()
