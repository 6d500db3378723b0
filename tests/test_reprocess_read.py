"""How ``reprocess`` reads a piece of raw pages (:func:`jobs.reprocess._read_chunk`, one statement
built once with an expanding IN): the same cleaning jobs as the pages read one by one through the
ORM, whatever the ids asked (in any order, repeated, unknown, none), in every codec and on both
backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobs import reprocess
from storage.models import RawPage, raw_body_bytes
from storage.raw import archive_raw
from tests.raw_codec_helpers import T0, mixed  # noqa: F401 - mixed: the fixture

# Pages beside the mixed archive's: what a page's context and kind make of its cleaning job.
EXTRA = [
    # (url, final_url, status, kind, cont_id, context)
    ("https://www.thepaper.cn/newsDetail_forward_901", None, 200, "article", 901, None),
    ("https://m.thepaper.cn/detail/902", "https://m.thepaper.cn/detail/902?x", None, "article", 902, None),
    ("http://mirror.example/a/903", None, 200, "mirror", 903, {"url": "http://mirror.example/a/903?p=1"}),
    ("file:///tmp/904.html", None, 200, "file", None, {"list_item": {"contId": "904", "name": "标题"}}),
    ("https://www.thepaper.cn/list_25434", None, 200, "import", None, {"channel": 25434}),
]


def _expected(page: RawPage) -> tuple:
    """A cleaning job, built from the ORM row alone (the body decoded: the job may carry it encoded)."""
    context = page.context or {}
    if context.get("url"):
        url = context["url"]
    elif page.kind == "article" and page.cont_id is not None:
        url = f"https://www.thepaper.cn/newsDetail_forward_{page.cont_id}"
    else:
        url = page.final_url or page.url
    return (
        page.id,
        page.raw_bytes(),
        url,
        page.headers,
        page.status or 200,
        context.get("list_item"),
        page.cont_id,
        page.final_url or page.url,
    )


def _decoded(job: tuple) -> tuple:
    raw_id, body, compression, *rest = job
    return (raw_id, raw_body_bytes(body, compression, page_id=raw_id), *rest)


@pytest.fixture
def archive(mixed):  # noqa: F811 - the fixture imported above
    _, Session, _ = mixed
    with Session() as s:
        for url, final_url, status, kind, cont_id, context in EXTRA:
            archive_raw(
                s,
                url=url,
                final_url=final_url,
                status=status,
                headers={"Content-Type": "text/html; charset=gbk"},
                body=f"<html>{url}</html>".encode(),
                fetched_at=T0,
                kind=kind,
                cont_id=cont_id,
                context=context,
            )
        s.commit()
        ids = sorted(s.scalars(sa.select(RawPage.id)))
    return Session, ids


SELECTIONS = {
    "all": lambda ids: ids,
    "reversed": lambda ids: ids[::-1],
    "every third, repeated": lambda ids: ids[::3] * 2,
    "with unknown ids": lambda ids: [-1, *ids[5:9], max(ids) + 1000],
    "the extra pages": lambda ids: ids[-len(EXTRA) :],
    "one": lambda ids: ids[40:41],
    "unknown only": lambda ids: [max(ids) + 1, max(ids) + 2],
    "none": lambda ids: [],
}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_a_piece_reads_as_the_pages_one_by_one(archive, selection):
    Session, ids = archive
    asked = SELECTIONS[selection](ids)
    pages, jobs = reprocess._read_chunk(Session, asked)
    with Session() as s:
        rows = [p for p in (s.get(RawPage, i) for i in sorted(set(asked))) if p is not None]
        assert [_decoded(j) for j in jobs] == [_expected(p) for p in rows]  # in id order, each page once
        assert pages == {p.id: (p.url, p.fetched_at) for p in rows}
    # bodies with a dictionary are decoded in the read (a worker holds the dictionaries), the others
    # travel as stored and are decoded where they are cleaned
    assert all(compression in ("zlib", "zstd", "none") for _, _, compression, *_ in jobs)


def test_the_statement_is_built_once(archive):
    """Every piece runs the module's statement (the cache of compiled statements is keyed by it)."""
    Session, ids = archive
    seen = []
    with Session() as s:
        engine = s.get_bind()

    def before(conn, clauseelement, multiparams, params, execution_options):
        if isinstance(clauseelement, sa.Select) and RawPage.__table__ in clauseelement.get_final_froms():
            seen.append(clauseelement)

    sa.event.listen(engine, "before_execute", before)
    try:
        for start in range(0, len(ids), 7):
            reprocess._read_chunk(Session, ids[start : start + 7])
    finally:
        sa.event.remove(engine, "before_execute", before)
    assert len(seen) == -(-len(ids) // 7) and all(stmt is reprocess._READ_RAW for stmt in seen)
