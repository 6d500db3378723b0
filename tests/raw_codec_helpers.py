"""What the raw-codec tests share: pages of the mock as the site serves them, stored as a crawl stores
them (or turned into the zlib rows of before 0005), and an archive that mixes zlib, zstd and zstd
with a dictionary."""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from domain.record import SHANGHAI
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from cleaning.page import clean_page
from storage import codec
from storage.articles import save_articles
from storage.db import open_archive
from storage.dictionaries import current_encoder, forget_encoders, train_dictionary
from storage.models import RawPage
from storage.raw import archive_raw_many, raw_page_row


T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def train_from(monkeypatch, pages: int) -> None:
    """The writer's dictionary policy trains from ``pages`` raw pages (its other defaults kept)."""
    from storage import dictionaries

    fn = dictionaries.train_when_ready
    monkeypatch.setattr(fn, "__kwdefaults__", {**(fn.__kwdefaults__ or {}), "min_pages": pages})


def page_jobs(pages) -> list:
    """Writer jobs (:func:`storage.writers.store_jobs`) of ``(cont_id, page bytes)`` pairs: raw pages only."""
    from storage.batch import BatchEntry

    return [
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


PAGES_DAY = datetime(2026, 12, 1, 12, tzinfo=SHANGHAI)


def _pages(n: int) -> list[tuple[int, bytes]]:
    """(cont_id, page bytes) of ``n`` articles of the mock, as the site serves them, on one fixed day:
    the mock dates its articles back from ``now``, and the dictionary search's pick on a few pages
    (tests/test_codec_training.py) moves with those dates."""
    ds = generate_dataset(2 * n + 40, seed=21, now=PAGES_DAY)
    site = MockSite(ds)
    out = []
    for art in ds.articles():
        resp = site.respond("GET", f"/newsDetail_forward_{art.cont_id}", {})
        if resp.status == 200 and art.kind == "news":
            out.append((art.cont_id, resp.body))
    assert len(out) >= n
    return out[:n]


def _zlib_rows(session, ids: list[int]) -> None:
    """Turn rows into what the archive wrote before 0005: zlib, no dictionary."""
    for page in session.scalars(sa.select(RawPage).where(RawPage.id.in_(ids))):
        page.body, page.compression, page.dictionary_id = zlib.compress(page.raw_bytes(), 6), "zlib", None


def _store(Session, pages, *, encoder) -> list[int]:
    """Raw pages and their articles, as a crawl stores them; the raw page ids."""
    with Session() as s:
        rows = [
            raw_page_row(
                url=f"https://www.thepaper.cn/newsDetail_forward_{cid}",
                final_url=None,
                status=200,
                headers=HEADERS,
                body=body,
                fetched_at=T0,
                kind="article",
                cont_id=cid,
                encoder=encoder,
            )
            for cid, body in pages
        ]
        ids = archive_raw_many(s, rows)
        records = [
            (clean_page(body, url=f"https://www.thepaper.cn/newsDetail_forward_{cid}", headers=HEADERS), i)
            for (cid, body), i in zip(pages, ids)
        ]
        save_articles(s, records, now=T0)
        s.commit()
    return ids


@pytest.fixture
def mixed(db_url):
    """An archive of 60 pages: 20 zlib, 20 zstd without a dictionary, 20 zstd with one."""
    forget_encoders(dictionaries=True)
    engine, Session = open_archive(db_url, create=True)
    pages = _pages(60)
    try:
        plain = _store(Session, pages[:40], encoder=codec.PLAIN)
        with Session() as s:
            _zlib_rows(s, plain[:20])
            train_dictionary(s, now=T0)
            s.commit()
            encoder = current_encoder(s)
        assert encoder.dictionary_id is not None
        _store(Session, pages[40:], encoder=encoder)
        yield engine, Session, dict(pages)
    finally:
        forget_encoders()
        engine.dispose()


def _codecs(Session) -> Counter:
    with Session() as s:
        return Counter((c, d is not None) for c, d in s.execute(sa.select(RawPage.compression, RawPage.dictionary_id)))
