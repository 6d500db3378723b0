"""End to end (issue 25 item 1): the real crawler over the mock, whose Next.js pages each lose one
byte of one character from one of their two copies of the article text (``copy_lost_bytes_json``:
the ``__NEXT_DATA__`` copy the record is read from; ``copy_lost_bytes_body``: the rendered body).
The stored record has the exact text either way: restored from the rendered body (its repair log
says ``page_copy``, decided by ``page``) or untouched; the archived page keeps the damaged bytes."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Article, RawPage
from tests.conftest import BACKENDS, fresh_db_url, run_cli

ARTICLE = r"^/(?:newsDetail_forward_|detail/)\d+/?$"
FAULTS = [
    {"pattern": ARTICLE, "kind": "copy_lost_bytes_json", "rate": 0.5},
    {"pattern": ARTICLE, "kind": "copy_lost_bytes_body"},
]


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request, tmp_path_factory):
    dataset = generate_dataset(40, seed=5)
    db = fresh_db_url(request.param, tmp_path_factory.mktemp("pagecopy"), name="pagecopy")
    with MockSite(dataset, faults=FAULTS, fault_seed=2) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", timeout=600)
        kinds = {}
        for i in range(len(dataset)):
            art = dataset.article(i)
            rules = site.faults.assigned(f"/newsDetail_forward_{art.cont_id}")
            kinds[art.cont_id] = rules[0].kind if rules else None
        injected = dict(site.faults.injected)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dataset, db, kinds, injected


def _rows(db: str) -> dict[int, Article]:
    with Session(create_engine(db)) as s:
        rows = {a.cont_id: a for a in s.scalars(select(Article))}
        for a in rows.values():
            s.expunge(a)
        return rows


def _news(dataset):
    for i in range(len(dataset)):
        art = dataset.article(i)
        if art.layout == "nextjs" and art.kind in ("news", "pph") and not art.robots_disallowed:
            yield art


def test_both_faults_were_served(crawled):
    _, _, _, injected = crawled
    assert injected.get("copy_lost_bytes_json") and injected.get("copy_lost_bytes_body")


def _served(crawled, kind: str) -> list[tuple[object, Article]]:
    """(article, stored row) of every Next.js article page served with fault ``kind``."""
    dataset, db, kinds, _ = crawled
    rows = _rows(db)
    return [(art, rows[art.cont_id]) for art in _news(dataset) if kinds[art.cont_id] == kind]


def test_a_byte_lost_from_the_json_copy_is_restored_from_the_rendered_body(crawled):
    served = _served(crawled, "copy_lost_bytes_json")
    assert len(served) >= 5
    for art, row in served:
        assert row.paragraphs == art.expected_paragraphs, art.cont_id
        entries = [e for e in row.repair_log if e["rule"] == "page_copy"]
        assert len(entries) == 1 and entries[0]["by"] == "page" and entries[0]["field"] == "body", row.repair_log
        assert "\ufffd" in entries[0]["before"]
        assert row.body_text[entries[0]["offset"] :].startswith(entries[0]["after"])


def test_a_byte_lost_from_the_rendered_body_leaves_the_record_untouched(crawled):
    served = _served(crawled, "copy_lost_bytes_body")
    assert len(served) >= 5
    for art, row in served:
        assert row.paragraphs == art.expected_paragraphs and row.repair_log == [], art.cont_id


def test_the_archived_page_keeps_the_damaged_bytes(crawled):
    """Nothing is lost: the raw page is the one the site served, its lost byte included."""
    dataset, db, kinds, _ = crawled
    damaged = {a.cont_id for a in _news(dataset) if kinds[a.cont_id] == "copy_lost_bytes_json"}
    with Session(create_engine(db)) as s:
        pages = [p for p in s.scalars(select(RawPage)) if p.cont_id in damaged]
        assert pages
        for p in pages:
            body = p.raw_bytes()
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
