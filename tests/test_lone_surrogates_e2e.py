"""End to end: the real crawler over the mock, whose Next.js pages carry two escapes of half a UTF-16
pair in ``__NEXT_DATA__`` (mock fault ``nextdata_lone_surrogates``: one in the title, one in the first
paragraph). Each article is stored with the text the page has without them, both counted and logged
``lone_surrogate`` with their offsets in the page; the archived page keeps them as served."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.models import Article, RawPage
from tests.conftest import BACKENDS, fresh_db_url, run_cli

ARTICLE = r"^/(?:newsDetail_forward_|detail/)\d+/?$"


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request, tmp_path_factory):
    dataset = generate_dataset(30, seed=7)
    db = fresh_db_url(request.param, tmp_path_factory.mktemp("lone"), name="lone")
    faults = [{"pattern": ARTICLE, "kind": "nextdata_lone_surrogates"}]
    with MockSite(dataset, faults=faults, fault_seed=1) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", timeout=600)
        injected = site.faults.injected["nextdata_lone_surrogates"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert injected > 0
    return dataset, db


def test_the_records_are_the_articles_with_both_dropped_and_logged(crawled):
    dataset, db = crawled
    with Session(create_engine(db)) as s:
        rows = {a.cont_id: a for a in s.scalars(select(Article))}
        raws = {p.id: p.raw_bytes().decode("utf-8") for p in s.scalars(select(RawPage)) if p.cont_id in rows}
        seen = 0
        for i in range(len(dataset)):
            art = dataset.article(i)
            if art.layout != "nextjs" or art.kind not in ("news", "pph") or art.robots_disallowed:
                continue
            row = rows[art.cont_id]
            assert row.title == art.title and row.paragraphs == art.expected_paragraphs, art.cont_id
            assert row.repairs.get("lone_surrogate") == 2, row.repairs
            events = [e for e in row.repair_log if e["rule"] == "lone_surrogate"]
            page = raws[row.raw_page_id]
            assert sorted(e["before"] for e in events) == ["\\ud800", "\\udc00"]
            for e in events:
                assert e["field"] == "page" and e["by"] == "rule" and e["after"] == ""
                assert page[e["offset"] : e["offset"] + 6] == e["before"]  # the archive keeps them
            seen += 1
        assert seen >= 5
