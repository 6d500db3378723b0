"""WARC in and out: the export checked by warcio, an import of a WARC written by an
independent tool (Debian's wget through the mock as its HTTP proxy, so that the records
name thepaper.cn URLs), the round trip, older captures that become versions, and the
command line's errors."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from jobs.warc_in import original_url
from storage.db import make_engine
from storage.models import Article, ArticleVersion, RawPage
from tests.conftest import BACKENDS, fresh_db_url, run_cli

WARCIO = str(Path(sys.executable).parent / "warcio")
COMPARED = (
    "cont_id",
    "url",
    "title",
    "summary",
    "body_text",
    "paragraphs",
    "images",
    "author",
    "editor",
    "source",
    "node_id",
    "node_name",
    "channel_id",
    "channel_name",
    "content_type",
    "content_hash",
    "published_at",
    "layout",
    "mirror_host",
    "source_url",
    "word_count",
)


def _articles(db: str) -> dict[int, dict]:
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            stmt = sa.select(Article)
            return {a.cont_id: {**{c: getattr(a, c) for c in COMPARED}, "tags": a.tag_names} for a in s.scalars(stmt)}
    finally:
        engine.dispose()


def _raw_pages(db: str, kinds=None) -> list[RawPage]:
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            stmt = sa.select(RawPage).order_by(RawPage.id)
            if kinds:
                stmt = stmt.where(RawPage.kind.in_(kinds))
            pages = list(s.scalars(stmt))
            for p in pages:
                p.data = p.raw_bytes()
            return pages
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawl of the mock into SQLite and its WARC export: (db url, warc path, export's CompletedProcess)."""
    tmp = tmp_path_factory.mktemp("warc")
    db = f"sqlite:///{tmp / 'crawl.sqlite3'}"
    with MockSite(generate_dataset(40, seed=5)) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", check=True)
    warc = tmp / "archive.warc.gz"
    proc = run_cli("export", "--format", "warc", "--db", db, "-o", str(warc), check=True)
    return db, warc, proc


# --------------------------------------------------------------------------- out
def test_export_is_valid_for_warcio_check(crawled):
    _, warc, proc = crawled
    assert proc.stderr.strip().startswith("exported ") and "(warc)" in proc.stderr
    check = subprocess.run([WARCIO, "check", "-v", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    assert "digest pass" in check.stdout and "fail" not in check.stdout


def test_warcio_check_can_fail(crawled, tmp_path):
    """The check above is not vacuous: one flipped byte in a body fails it."""
    _, warc, _ = crawled
    data = bytearray(gzip.decompress(warc.read_bytes()))
    at = data.index(b"<html") + 20
    data[at] ^= 0x01
    bad = tmp_path / "bad.warc"
    bad.write_bytes(bytes(data))
    check = subprocess.run([WARCIO, "check", str(bad)], capture_output=True, text=True)
    assert check.returncode != 0 and "digest failed" in check.stdout


def test_export_holds_every_raw_page_exactly(crawled):
    db, warc, _ = crawled
    pages = _raw_pages(db)
    records = {}
    with open(warc, "rb") as fh:
        iterator = ArchiveIterator(fh)
        types = []
        for record in iterator:
            types.append(record.rec_type)
            h = record.rec_headers
            if record.rec_type == "response":
                records.setdefault("response", []).append(
                    (
                        h.get_header("WARC-Target-URI"),
                        h.get_header("WARC-Date"),
                        int(record.http_headers.get_statuscode()),
                        record.content_stream().read(),
                        record.http_headers.get_header("Content-Length"),
                    )
                )
            elif record.rec_type == "metadata":
                fields = dict(line.split(": ", 1) for line in record.content_stream().read().decode().splitlines())
                records.setdefault("metadata", []).append((h.get_header("WARC-Refers-To"), fields))
            elif record.rec_type == "request":
                records.setdefault("request", []).append(
                    (h.get_header("WARC-Target-URI"), record.http_headers.protocol, record.content_stream().read())
                )
    assert types[0] == "warcinfo"
    assert len(records["response"]) == len(pages)
    for page, (uri, date, status, body, length) in zip(pages, records["response"]):
        assert uri == (page.final_url or page.url)
        assert date == page.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert (status, body, int(length)) == (page.status, page.data, len(page.data))
    # every page was requested by the crawl: a request record each (the list API's with its POST body)
    assert len(records["request"]) == len(pages)
    assert {m for _, m, _ in records["request"]} == {"GET", "POST"}
    assert all(b.startswith(b"{") for _, m, b in records["request"] if m == "POST")
    by_id = {str(p.id): p for p in pages}
    linked = [f for _, f in records["metadata"] if "cont-id" in f]
    assert len(linked) == sum(1 for p in pages if p.cont_id is not None)
    for fields in linked:
        page = by_id[fields["raw-page-id"]]
        assert int(fields["cont-id"]) == page.cont_id and fields["sha256"] == page.sha256
        assert fields["canonical-url"] == f"https://www.thepaper.cn/newsDetail_forward_{page.cont_id}"


def test_export_since_until_select_by_fetch_time(crawled, tmp_path):
    db, _, _ = crawled
    out = tmp_path / "none.warc"
    proc = run_cli("export", "--format", "warc", "--db", db, "--until", "2000-01-01", "-o", str(out), check=True)
    assert "exported 0 raw pages" in proc.stderr
    with open(out, "rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(fh)] == ["warcinfo"]


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("backend", BACKENDS)
def test_round_trip_export_import_gives_the_same_articles_and_bytes(crawled, backend, tmp_path):
    db, warc, _ = crawled
    other = fresh_db_url(backend, tmp_path, "warc_rt")
    proc = run_cli("import", "--warc", str(warc), "--db", other, check=True)
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("run ") and " ok: new " in summary and "failed 0" in summary
    assert _articles(other) == _articles(db)  # those known only from list items too (jobs.warc_lists)
    kinds = ("article", "mirror", "list")
    original = {(p.sha256, p.fetched_at, p.kind): p.data for p in _raw_pages(db, kinds)}
    imported = {(p.sha256, p.fetched_at, p.kind): p.data for p in _raw_pages(other)}
    assert imported == original
    # the same file again: every capture is known, nothing is stored twice
    again = run_cli("import", "--warc", str(warc), "--db", other, check=True)
    assert f"already_archived {len(original)}" in again.stderr and "new 0, updated 0" in again.stderr
    assert len(_raw_pages(other)) == len(original)


# --------------------------------------------------------------------------- in: wget
def _wget(proxy: str, urls: list[str], warc_base: Path) -> Path:
    wget = shutil.which("wget")
    if wget is None:
        pytest.fail("wget is not installed (scripts/test.sh installs it)")
    subprocess.run(
        [
            wget,
            "-q",
            "-e",
            "robots=off",
            "-e",
            "use_proxy=yes",
            "-e",
            f"http_proxy={proxy}",
            "--no-warc-keep-log",
            f"--warc-file={warc_base}",
            "-O",
            "/dev/null",
            "--tries=1",
            *urls,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )  # exits 8 for the 404: that is a capture too
    path = Path(f"{warc_base}.warc.gz")
    assert path.exists()
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_import_of_a_warc_written_by_wget(backend, tmp_path):
    """wget fetches thepaper.cn URLs through the mock as its proxy; the import stores every
    article capture, skips the rest, and an older capture of an edited article becomes a version."""
    ds = generate_dataset(30, seed=11)
    news = [a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed][:3]
    gone = next(a for a in ds.articles() if a.kind == "gone_404")
    a, b, c = news
    urls = [
        f"http://www.thepaper.cn/newsDetail_forward_{a.cont_id}",
        f"http://m.thepaper.cn/detail/{b.cont_id}",
        f"http://www.nxos.com.cn/newsDetail_forward_{c.cont_id}",  # a mirror copy
        f"http://www.thepaper.cn/newsDetail_forward_{gone.cont_id}",
        "http://www.thepaper.cn/robots.txt",
    ]
    db = fresh_db_url(backend, tmp_path, "warc_wget")
    with MockSite(ds) as site:
        warc = _wget(f"http://127.0.0.1:{site.port}", urls, tmp_path / "wget")
        ds.edit(a.cont_id, title="改过的标题")  # the site edits A after the capture
        run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", check=True)
    before = _articles(db)
    assert before[a.cont_id]["title"] == "改过的标题"
    proc = run_cli("import", "--warc", str(warc), "--db", db)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = proc.stderr.strip().splitlines()[-1]
    # robots.txt and wget's own record of its arguments (a resource at metadata://gnu.org/...) are skipped
    assert (
        "unchanged 2, versioned 1, kept original 1, gone 0, failed 0; 6 captures" in line and "not_an_article 2" in line
    ), line
    after = _articles(db)
    assert after[a.cont_id] == before[a.cont_id]  # the newer crawl's text stays
    assert after[b.cont_id] == before[b.cont_id] and after[gone.cont_id] == before[gone.cont_id]
    engine = make_engine(db)
    try:
        with Session(engine) as s:
            art = s.get(Article, a.cont_id)
            versions = list(s.scalars(sa.select(ArticleVersion).where(ArticleVersion.cont_id == a.cont_id)))
            assert art.version == 2 and [v.version for v in versions] == [1]
            assert versions[0].title == a.title != art.title
            raw = s.get(RawPage, versions[0].raw_page_id)
            assert raw.kind == "import" and raw.url == urls[0] and raw.note.startswith("warc:wget.warc.gz#")
            assert raw.fetched_at < art.raw_page.fetched_at and versions[0].valid_from == raw.fetched_at
            mirror = s.scalars(sa.select(RawPage).where(RawPage.kind == "mirror", RawPage.cont_id == c.cont_id)).one()
            assert mirror.url == urls[2] and mirror.context["request"]["method"] == "GET"
            imported = s.scalars(sa.select(RawPage).where(RawPage.note.like("warc:%"))).all()
            assert {p.cont_id for p in imported} == {a.cont_id, b.cont_id, c.cont_id, gone.cont_id}
    finally:
        engine.dispose()


def test_import_of_wget_warc_into_an_empty_archive(tmp_path):
    """Without a crawl, the captures are the articles (the mirror copy too: no original is stored)."""
    ds = generate_dataset(30, seed=11)
    a, c = [x for x in ds.articles() if x.kind == "news" and not x.robots_disallowed][:2]
    with MockSite(ds) as site:
        warc = _wget(
            f"http://127.0.0.1:{site.port}",
            [
                f"http://thepaper.cn/newsDetail_forward_{a.cont_id}?commTag=true",
                f"http://www.nxos.com.cn/newsDetail_forward_{c.cont_id}",
            ],
            tmp_path / "w",
        )
    db = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    run_cli("import", "--warc", str(warc), "--db", db, check=True)
    stored = _articles(db)
    assert stored[a.cont_id]["title"] == a.title and stored[a.cont_id]["mirror_host"] is None
    assert stored[a.cont_id]["paragraphs"] == a.expected_paragraphs
    assert stored[c.cont_id]["mirror_host"] == "www.nxos.com.cn"


# --------------------------------------------------------------------------- replay URLs
@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://web.archive.org/web/20170102030405/http://www.thepaper.cn/newsDetail_forward_1",
            ("http://www.thepaper.cn/newsDetail_forward_1", datetime(2017, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ),
        (
            "http://web.archive.org/web/20200101000000id_/https://m.thepaper.cn/detail/2",
            ("https://m.thepaper.cn/detail/2", datetime(2020, 1, 1, tzinfo=timezone.utc)),
        ),
        (
            "http://localhost:8080/my-coll/20190505050505mp_/http:/www.thepaper.cn/newsDetail_forward_3",
            ("http://www.thepaper.cn/newsDetail_forward_3", datetime(2019, 5, 5, 5, 5, 5, tzinfo=timezone.utc)),
        ),
        # not replay URLs: unchanged
        ("https://www.thepaper.cn/newsDetail_forward_20170102030405", None),
        ("https://www.thepaper.cn/web/newsDetail_forward_4", None),
        ("http://www.nxos.com.cn/newsDetail_forward_5", None),
    ],
)
def test_replay_urls_name_their_original_and_capture_time(url, expected):
    assert original_url(url) == (expected or (url, None))


# --------------------------------------------------------------------------- errors, as typed
def test_missing_warc_file_is_one_line(tmp_path):
    proc = run_cli("import", "--warc", str(tmp_path / "nope.warc.gz"), "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"thepaper-archive: error: no such WARC file: {tmp_path / 'nope.warc.gz'}"
    ]


def test_not_a_warc_is_one_line(tmp_path):
    bad = tmp_path / "notes.warc"
    bad.write_text("hello\n")
    proc = run_cli("import", "--warc", str(bad), "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [  # refused before the archive is opened: nothing is created
        f"thepaper-archive: error: {bad} is not a WARC file: it does not begin with a WARC record (WARC/1.0 or "
        "WARC/1.1, plain or gzip-compressed); nothing was imported"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.warc"]


def _record_offsets(data: bytes) -> list[tuple[int, str, str]]:
    """(offset, WARC-Type, WARC-Target-URI) of every record, by warcio itself."""
    it = ArchiveIterator(io.BytesIO(data))
    return [(it.offset, r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in it]


# Where the file is cut: inside a response record two thirds in (its HTTP headers or its body) or in
# the metadata record after it, in its WARC header block, or (gzip) in the last 4 bytes of
# that record's member, where warcio sees nothing amiss.
_CUTS = [(True, w) for w in ("body", "metadata", "header", "member_end")] + [
    (False, w) for w in ("body", "metadata", "header")
]


@pytest.mark.parametrize(("compressed", "where"), _CUTS)
def test_truncated_warc_stores_what_came_before_then_one_line(crawled, tmp_path, compressed, where):
    _, warc, _ = crawled
    data = warc.read_bytes() if compressed else gzip.decompress(warc.read_bytes())
    records = _record_offsets(data)
    responses = [i for i, r in enumerate(records) if r[1] == "response"]
    i = responses[len(responses) * 2 // 3]
    start, kind, url = records[i]
    if where == "metadata":
        i = next(j for j in range(i + 1, len(records)) if records[j][1] == "metadata")
        start, kind, url = records[i]
    end = records[i + 1][0]
    at = {
        "body": (start + end) // 2,
        "metadata": (start + end) // 2,
        "header": start + (30 if compressed else 12),
        "member_end": end - 4,
    }[where]
    cut = tmp_path / ("cut.warc.gz" if compressed else "cut.warc")
    cut.write_bytes(data[:at])
    db = f"sqlite:///{tmp_path / 'a.db'}"
    proc = run_cli("import", "--warc", str(cut), "--db", db)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-2].startswith("run 1 failed: new ")
    captures = int(lines[-2].split("; ")[1].split(" captures")[0])
    head = f"thepaper-archive: error: {cut.name}: "
    assert lines[-1].startswith(head), lines[-1]
    message = lines[-1][len(head) :]
    assert message.endswith(f" (the {captures} captures read up to there are stored)")
    assert re.match(
        rf"(damaged or )?truncated WARC:? (at byte|the record at byte|the gzip member at byte) {start}\b", message
    ), message
    stored = _articles(db)
    assert len(stored) >= 5  # what came before the cut is there


def test_warc_export_refuses_columns(tmp_path):
    proc = run_cli("export", "--format", "warc", "--columns", "title", "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "thepaper-archive: error: --columns does not apply to --format warc (it writes whole raw pages)"
    ]


def test_sha256_of_export_pages_matches_archive(crawled):
    """Every response body in the export hashes to its raw page's sha256 (the metadata says which)."""
    db, warc, _ = crawled
    shas = {p.sha256 for p in _raw_pages(db)}
    with open(warc, "rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert {hashlib.sha256(b).hexdigest() for b in bodies} == shas


# --------------------------------------------------------------------------- property: out then in
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)


@settings(max_examples=80, deadline=None)
@given(
    body=st.binary(max_size=3000),
    status=st.sampled_from([200, 203, 404, 410, 301, 500]),
    encoding=st.sampled_from([None, "gzip", "br"]),
    chunked=st.booleans(),
    extra=st.dictionaries(st.sampled_from(["Server", "X-Cache", "Set-Cookie", "ETag"]), _HEADER_VALUE, max_size=3),
    plain=st.booleans(),
    micros=st.integers(0, 999_999),
)
def test_any_response_written_then_read_back_exactly(body, status, encoding, chunked, extra, plain, micros):
    """Whatever the stored headers say (gzip, chunked, a wrong length), the record holds the
    stored bytes, and reading it gives them back with the fetch time to the microsecond."""
    import io
    from collections import Counter

    from jobs.warc_in import read_captures
    from storage.warc_out import WarcOut

    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": "12345", **extra}
    if encoding:
        headers["Content-Encoding"] = encoding
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    moment = datetime(2021, 5, 6, 7, 8, 9, micros, tzinfo=timezone.utc)
    out = io.BytesIO()
    warc = WarcOut(out, gzip=not plain)
    warc.response(
        url="https://www.thepaper.cn/newsDetail_forward_1", status=status, headers=headers, body=body, moment=moment
    )
    counts = Counter()
    (capture,) = list(read_captures(io.BytesIO(out.getvalue()), counts))
    assert (capture.body, capture.status, capture.captured_at) == (body, status, moment)
    assert capture.headers["Content-Length"] == str(len(body)) and "Content-Encoding" not in capture.headers
    assert capture.headers.get("X-Crawler-Content-Encoding") == encoding and capture.truncated is None
    assert all(capture.headers[k] == v for k, v in extra.items())
