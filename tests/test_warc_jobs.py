"""``import --warc`` with worker processes (``--jobs N``) leaves exactly the archive, run row and
failures that cleaning in the command's own process (``--jobs 1``) leaves: the same captures,
stored in the same batches, in the same order."""

from __future__ import annotations

import gzip
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from jobs.warc_in import import_warcs
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from storage.db import make_engine, open_archive
from storage.models import Article, CrawlRun, Failure, RawPage
from tests.conftest import run_cli

#: Captures whose cleaning fails, appended to the export: (URL, body, WARC-Truncated).
BROKEN = [
    ("https://www.thepaper.cn/newsDetail_forward_91000001", b"", None),  # empty: no layout
    ("https://www.thepaper.cn/newsDetail_forward_91000002", b"\x00\x01\x02binary\xff" * 40, None),
    ("https://www.thepaper.cn/newsDetail_forward_91000003", b"<html><body>cut", "length"),  # failed in the reader
    ("https://www.thepaper.cn/list_25950", b"<html>not an article</html>", None),  # skipped
]


def _with_broken_captures(warc: bytes) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, body, truncated in BROKEN:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        headers = {"WARC-Date": "2026-11-02T03:04:05Z"}
        if truncated:
            headers["WARC-Truncated"] = truncated
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers
            )
        )
    return warc + out.getvalue()


@pytest.fixture(scope="module")
def warc(tmp_path_factory):
    """Our own export of a 60-article crawl of the mock, with captures that fail appended."""
    tmp = tmp_path_factory.mktemp("warc_jobs")
    db = f"sqlite:///{tmp / 'crawl.sqlite3'}"
    with MockSite(generate_dataset(60, seed=11)) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", check=True)
    exported = tmp / "export.warc.gz"
    run_cli("export", "--format", "warc", "--db", db, "-o", str(exported), check=True)
    path = tmp / "archive.warc.gz"
    path.write_bytes(_with_broken_captures(exported.read_bytes()))
    gzip.decompress(path.read_bytes())  # a valid gzip file
    return path


def _archive(db: str) -> dict:
    """Everything an import writes, without surrogate keys and clock times."""
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            articles = {
                a.cont_id: (a.title, a.body_text, a.content_type, a.layout, a.content_hash, a.tag_names, a.raw_page_id)
                for a in s.scalars(sa.select(Article))
            }
            raw = [
                (p.id, p.url, p.sha256, p.kind, p.cont_id, p.fetched_at, p.note, p.context, p.raw_bytes())
                for p in s.scalars(sa.select(RawPage).order_by(RawPage.id))
            ]
            failures = sorted(
                (f.url, f.cont_id, f.reason, f.message, f.attempts) for f in s.scalars(sa.select(Failure))
            )
            runs = [
                (r.command, r.status, {k: v for k, v in r.counters.items() if k != "duration_s"})
                for r in s.scalars(sa.select(CrawlRun))
            ]
            return {"articles": articles, "raw": raw, "failures": failures, "runs": runs}
    finally:
        engine.dispose()


def test_pooled_import_is_the_import_in_one_process(warc, tmp_path):
    one, two = (f"sqlite:///{tmp_path / f'jobs{n}.sqlite3'}" for n in (1, 2))
    results = {}
    for db, jobs in ((one, "1"), (two, "2")):
        proc = run_cli("import", "--warc", str(warc), "--jobs", jobs, "--db", db)
        assert proc.returncode == 0, proc.stderr
        results[jobs] = proc.stderr.strip().splitlines()[-1]
    strip = [line.rsplit(" in ", 1)[0] for line in results.values()]  # the duration differs
    assert strip[0] == strip[1]
    assert "failed 3" in strip[0] and "not_an_article 1" in strip[0], strip[0]
    a, b = _archive(one), _archive(two)
    assert len(a["articles"]) >= 40 and len(a["failures"]) == 3
    assert {f[2] for f in a["failures"]} >= {"truncated_capture"}
    assert a == b


@pytest.mark.parametrize("batch", [1, 7])
def test_pooled_batches_store_in_order_as_read(warc, tmp_path, batch):
    """Many batches in flight (two per worker ahead of the one stored), the same archive and counts;
    the same file again is recognised capture by capture."""
    out = {}
    for jobs in (1, 3):
        db = f"sqlite:///{tmp_path / f'b{batch}_{jobs}.sqlite3'}"
        engine, factory = open_archive(db, create=True)
        try:
            first = import_warcs(factory, [str(warc)], batch=batch, jobs=jobs)
            again = import_warcs(factory, [str(warc)], batch=batch, jobs=jobs)
        finally:
            engine.dispose()
        out[jobs] = (first, again, _archive(db))
    assert out[1] == out[3]
    first, again, archive = out[1]
    assert first["new"] >= 40 and first["failed"] == 3 and again["new"] == 0
    assert again["skipped/already_archived"] == len(archive["raw"])


def test_jobs_zero_is_one_line(warc, tmp_path):
    proc = run_cli("import", "--warc", str(warc), "--jobs", "0", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error: argument --jobs: must be at least 1" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
