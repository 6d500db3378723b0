"""A WARC round trip gives back every article (issue 27 item 18): the list pages travel in the
export as fetched, and an import restores the articles known only from list items (``external``
ones, and ones robots.txt withdrew before their page was fetched) as the crawl stores them.
Negatives: a WARC without the list pages, or without our metadata (another tool's), gives back
less, and exactly what it can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.columns import COLUMNS
from storage.db import make_engine
from storage.models import Article, RawPage
from tests.conftest import BACKENDS, fresh_db_url, run_cli

#: What the archive says of an article (the times it first and last saw it are the import's own).
SAME = ",".join(c for c in COLUMNS if c not in ("first_seen", "last_seen", "updated_at"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawl of a mock with external items and robots.txt-withdrawn articles, and its WARC export."""
    tmp = tmp_path_factory.mktemp("warc_lists")
    db = f"sqlite:///{tmp / 'crawl.sqlite3'}"
    with MockSite(generate_dataset(40, seed=2)) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", check=True)
    warc = tmp / "archive.warc.gz"
    run_cli("export", "--format", "warc", "--db", db, "-o", str(warc), check=True)
    return db, warc


def _export(db: str, out: Path) -> list[dict]:
    run_cli("export", "--db", db, "--columns", SAME, "-o", str(out), check=True)
    return sorted(
        (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()), key=lambda a: a["cont_id"]
    )


def _list_only(db: str) -> dict[int, tuple]:
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            rows = s.execute(
                sa.select(Article.cont_id, Article.content_type, Article.gone_reason).where(
                    Article.raw_page_id.is_(None)
                )
            )
            return {cid: (ctype, reason or None) for cid, ctype, reason in rows}
    finally:
        engine.dispose()


def _list_pages(db: str) -> list[tuple]:
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            pages = s.scalars(sa.select(RawPage).where(RawPage.kind == "list").order_by(RawPage.id))
            return [(p.url, p.status, p.fetched_at, p.raw_bytes(), p.cont_id) for p in pages]
    finally:
        engine.dispose()


def _warc_fields(warc: Path, name: str) -> list[str]:
    with open(warc, "rb") as fh:
        out = []
        for record in ArchiveIterator(fh):
            if record.rec_type == "metadata":
                for line in record.content_stream().read().decode("utf-8").splitlines():
                    if line.startswith(name + ": "):
                        out.append(line.split(": ", 1)[1])
        return out


def test_the_mock_archive_holds_both_kinds_of_list_only_articles(crawled):
    db, warc = crawled
    kinds = set(_list_only(db).values())
    assert ("external", None) in kinds and ("gone", "robots_disallowed") in kinds
    # the export names them in the metadata of the list pages that hold their items
    named = {cid for field in _warc_fields(warc, "list-only") for cid in json.loads(field)}
    assert named == {str(cid) for cid in _list_only(db)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_round_trip_gives_back_every_article_and_every_list_page(crawled, backend, tmp_path):
    db, warc = crawled
    other = fresh_db_url(backend, tmp_path, "warc_lists")
    proc = run_cli("import", "--warc", str(warc), "--db", other, check=True)
    original, imported = _export(db, tmp_path / "a.jsonl"), _export(other, tmp_path / "b.jsonl")
    assert len(imported) == len(original) == 40, proc.stderr
    assert imported == original
    assert _list_only(other) == _list_only(db)
    assert _list_pages(other) == _list_pages(db)
    pages = len(_list_pages(db))
    assert f", {pages} of them list pages" in proc.stderr
    # the re-imported archive exports the same list pages with the same list-only articles
    again = tmp_path / "again.warc.gz"
    run_cli("export", "--format", "warc", "--db", other, "-o", str(again), check=True)
    assert _warc_fields(again, "list-only") == _warc_fields(warc, "list-only")
    # the same file imported again: nothing new, nothing stored twice
    twice = run_cli("import", "--warc", str(warc), "--db", other, check=True)
    assert "new 0, updated 0" in twice.stderr and _list_pages(other) == _list_pages(db)


def _without(warc: Path, out: Path, drop) -> Path:
    """A copy of the export without the records ``drop(record_type, metadata fields, target URI)`` names
    (one gzip member per record: the members are copied as they are)."""
    data = warc.read_bytes()
    kept = []
    with open(warc, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            fields = record.content_stream().read().decode("utf-8", "replace") if record.rec_type == "metadata" else ""
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            iterator.read_to_end()
            start, length = iterator.get_record_offset(), iterator.get_record_length()
            if not drop(record.rec_type, fields, uri):
                kept.append(data[start : start + length])
    out.write_bytes(b"".join(kept))
    return out


@pytest.mark.parametrize(
    "case, drop, missing",
    [
        # another tool's WARC: no metadata records; external items are still list-only articles,
        # the withdrawn ones cannot be told from pages not fetched yet
        ("no_metadata", lambda kind, fields, uri: kind == "metadata", {"gone"}),
        # no list pages: nothing to restore the list-only articles from
        ("no_list_pages", lambda kind, fields, uri: "/contentapi/" in uri, {"gone", "external"}),
    ],
)
def test_what_a_warc_without_list_pages_or_metadata_gives_back(crawled, tmp_path, case, drop, missing):
    db, warc = crawled
    partial = _without(warc, tmp_path / f"{case}.warc.gz", drop)
    other = f"sqlite:///{tmp_path / 'partial.sqlite3'}"
    run_cli("import", "--warc", str(partial), "--db", other, check=True)
    expected = {cid: kind for cid, kind in _list_only(db).items() if kind[0] not in missing}
    assert _list_only(other) == expected
    lost = {cid for cid, kind in _list_only(db).items() if kind[0] in missing}
    assert lost
    assert {a["cont_id"] for a in _export(other, tmp_path / "p.jsonl")} == {
        a["cont_id"] for a in _export(db, tmp_path / "o.jsonl")
    } - lost
