"""Scheduled and one-off use against the mock: incremental runs, edits, crash resume,
the run lock, imports of every kind, reprocessing of the archive."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleVersion, CrawlRun, RawPage
from tests.conftest import ROOT, SAMPLES, cli_env, run_cli
from mocksite.dataset import generate_dataset
from mocksite.server import MockSite

STORED_KINDS = {"news", "pph", "video", "live", "paywalled", "external", "gone_404", "gone_null", "gone_offline"}


def crawl(site, db, *extra, timeout=300):
    return run_cli("crawl", "--base-url", site.base_url, "--db", db, "--quiet", *extra, timeout=timeout)


def stored_ids(db) -> list[int]:
    with Session(create_engine(db)) as s:
        return list(s.scalars(select(Article.cont_id)))


def _stored_so_far(db) -> list[int]:
    """What a killed crawl stored: nothing when it died before its archive (or its schema) existed."""
    from sqlalchemy.exc import OperationalError

    try:
        return stored_ids(db)
    except OperationalError:  # killed before (or while) the schema was created
        return []


def expected_ids(dataset) -> set[int]:
    # every listed article ends up as a row: content, external, gone (robots-disallowed ones too)
    return {a.cont_id for a in dataset.articles() if a.kind in STORED_KINDS}


def test_second_run_fetches_no_article_page_and_new_articles_are_picked_up(db_url):
    ds = generate_dataset(120, seed=11)
    with MockSite(ds) as site:
        first = crawl(site, db_url)
        assert first.returncode == 0, first.stderr[-3000:]
        assert site.hits_article_pages() > 0
        assert set(stored_ids(db_url)) == expected_ids(ds)

        site.reset_hits()
        second = crawl(site, db_url)
        assert second.returncode == 0, second.stderr[-3000:]
        assert site.hits_article_pages() == 0
        assert "new 0, updated 0" in second.stderr

        added = ds.add_articles(6)
        site.reset_hits()
        third = crawl(site, db_url)
        assert third.returncode == 0, third.stderr[-3000:]
        fetched = {p for p, n in site.hits.items() if p.startswith("/newsDetail_forward_")}
        fetchable = {
            f"/newsDetail_forward_{a.cont_id}" for a in added if a.kind != "external" and not a.robots_disallowed
        }
        assert fetched == fetchable
    ids = stored_ids(db_url)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids(ds)


def test_edited_article_creates_a_version(db_url):
    ds = generate_dataset(80, seed=5)
    with MockSite(ds) as site:
        assert crawl(site, db_url).returncode == 0
        newest = max(ds.articles(), key=lambda a: a.pub_time)
        art = max(
            (a for a in ds.articles() if a.kind in ("news", "pph") and a.layout == "nextjs"), key=lambda a: a.pub_time
        )
        hours = (newest.pub_time - art.pub_time).total_seconds() / 3600 + 1
        old_title = art.title
        edited = ds.edit(
            art.cont_id,
            title=old_title + "（更新）",
            paragraphs=art.expected_paragraphs[:-1] + ["编者注：本文已根据最新数据更新。"],
        )
        site.reset_hits()
        proc = crawl(site, db_url, "--overlap-hours", str(max(hours, 24)))
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert site.hits_article_pages() == 1
    with Session(create_engine(db_url)) as s:
        row = s.get(Article, art.cont_id)
        assert row.title == edited.title and row.version == 2
        assert row.paragraphs == edited.expected_paragraphs
        versions = s.scalars(select(ArticleVersion).where(ArticleVersion.cont_id == art.cont_id)).all()
        assert [v.title for v in versions] == [old_title]
        assert versions[0].content_hash != row.content_hash and versions[0].replaced_at is not None


def assert_search_in_step(db) -> None:
    """The full-text index holds exactly the stored articles' titles and bodies (FTS5's
    integrity check against its content table: nothing missing, nothing stale), and finds
    every article by a piece of its title."""
    import sqlite3

    from storage.search import search

    path = db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        titles = conn.execute("SELECT cont_id, title FROM articles WHERE length(title) >= 3").fetchall()
    with Session(create_engine(db)) as s:
        for cont_id, title in titles:
            assert cont_id in {h.cont_id for h in search(s, title[:3], limit=10_000)}, (cont_id, title)


def test_crawl_killed_at_random_points_resumes_to_the_exact_set(tmp_path):
    rng = random.Random(20261129)
    interrupted = 0
    for attempt in range(3):
        db = f"sqlite:///{tmp_path / f'kill{attempt}.sqlite3'}"
        ds = generate_dataset(220, seed=100 + attempt)
        # a little latency on article pages: some are in flight when the kill lands
        faults = [{"pattern": r"^/newsDetail_forward_", "kind": "slow", "delay": 0.15, "rate": 1.0, "scope": "request"}]
        with MockSite(ds, faults=faults, fault_seed=attempt) as site:
            proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db, "-q"],
                cwd=ROOT,
                env=cli_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # killed once the mock has served a random number of article pages: mid-crawl by state, not by time
            served = rng.randint(10, 180)
            deadline = time.monotonic() + 300
            while site.hits_article_pages() < served and proc.poll() is None:
                assert time.monotonic() < deadline, f"the crawl did not fetch {served} article pages"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=600)
            before = len(_stored_so_far(db))
            interrupted += before < len(expected_ids(ds))
            if before:
                assert_search_in_step(db)  # what the killed crawl committed is searchable, no more
            again = crawl(site, db)
            assert again.returncode == 0, again.stderr[-3000:]
        assert_search_in_step(db)
        ids = stored_ids(db)
        assert len(ids) == len(set(ids)) and set(ids) == expected_ids(ds), (attempt, before)
        with Session(create_engine(db)) as s:
            runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            assert [r.status for r in runs][-1] in ("ok", "partial")
            assert all(r.status != "running" for r in runs)
            # every article's raw page exists: nothing half-written
            missing = s.scalar(
                select(func.count())
                .select_from(Article)
                .where(
                    Article.raw_page_id.is_not(None),
                    ~select(RawPage.id).where(RawPage.id == Article.raw_page_id).exists(),
                )
            )
            assert missing == 0
    assert interrupted >= 2  # the kills really landed mid-crawl


def test_two_runs_started_together_one_refuses(db_url):
    ds = generate_dataset(150, seed=9)
    faults = [{"pattern": r"^/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0, "scope": "request"}]
    with MockSite(ds, faults=faults) as site:
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--base-url", site.base_url, "--db", db_url, "-q"]
        procs = [
            subprocess.Popen(cmd, cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 4], [o[1][-1500:] for o in outs]
    refused = outs[[p.returncode for p in procs].index(4)][1]
    assert "another run is in progress" in refused
    assert set(stored_ids(db_url)) == expected_ids(ds)


# --------------------------------------------------------------------------- imports
FORMS = [
    "{base}/newsDetail_forward_{id}",
    "https://www.thepaper.cn/newsDetail_forward_{id}",
    "https://thepaper.cn/newsDetail_forward_{id}",
    "http://www.thepaper.cn/newsDetail_forward_{id}",
    "https://www.thepaper.cn/newsDetail_forward_{id}?commTag=true",
    "https://m.thepaper.cn/newsDetail_forward_{id}",
    "https://m.thepaper.cn/detail/{id}",
    "https://m.thepaper.cn/baijiahao_{id}",
    "https://www.thepaper.cn/detail/{id}",
    "{id}",
]


def test_import_every_url_form(db_url):
    ds = generate_dataset(60, seed=4)
    arts = [a for a in ds.articles() if a.kind in ("news", "pph") and not a.robots_disallowed][: len(FORMS)]
    assert len(arts) == len(FORMS)
    with MockSite(ds) as site:
        targets = [form.format(base="https://www.thepaper.cn", id=a.cont_id) for form, a in zip(FORMS, arts)]
        proc = run_cli("import", "--base-url", site.base_url, "--db", db_url, "-q", *targets)
        assert proc.returncode == 0, proc.stderr[-3000:]
    with Session(create_engine(db_url)) as s:
        rows = {a.cont_id: a for a in s.scalars(select(Article))}
    assert set(rows) == {a.cont_id for a in arts}
    for a in arts:
        assert rows[a.cont_id].paragraphs == a.expected_paragraphs and rows[a.cont_id].mirror_host is None


def test_import_targets_from_a_file_and_stdin(db_url, tmp_path):
    ds = generate_dataset(40, seed=4)
    arts = [a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed][:4]
    listing = tmp_path / "list.txt"
    listing.write_text(f"# to import\n{arts[0].cont_id}\n\nhttps://www.thepaper.cn/detail/{arts[1].cont_id}\n")
    with MockSite(ds) as site:
        p1 = run_cli("import", "--base-url", site.base_url, "--db", db_url, "-q", "--file", str(listing))
        p2 = run_cli(
            "import",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "-q",
            "--file",
            "-",
            input=f"{arts[2].cont_id}\n{arts[3].cont_id}\n",
        )
    assert p1.returncode == 0 and p2.returncode == 0, (p1.stderr[-2000:], p2.stderr[-2000:])
    assert set(stored_ids(db_url)) == {a.cont_id for a in arts}


class _MirrorHandler(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"not found"
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror_server():
    sample = (SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes()
    _MirrorHandler.pages = {"/newsDetail_forward_32400625": sample}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MirrorHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_mirror_url_keeps_the_mirror_copy_when_the_original_is_gone(db_url, mirror_server):
    ds = generate_dataset(20, seed=4)  # 32400625 is not in it: the original answers 404
    mirror_url = f"{mirror_server}/newsDetail_forward_32400625"
    with MockSite(ds) as site:
        refused = run_cli("import", "--base-url", site.base_url, "--db", db_url, mirror_url)
        assert refused.returncode == 2 and "private or loopback" in refused.stderr
        proc = run_cli("import", "--base-url", site.base_url, "--db", db_url, "-q", "--allow-private", mirror_url)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert site.hits["/newsDetail_forward_32400625"] == 1  # the original was tried first
    with Session(create_engine(db_url)) as s:
        row = s.get(Article, 32400625)
        assert row is not None and row.mirror_host == "127.0.0.1" and row.content_type == "pph"
        assert row.url == "https://www.thepaper.cn/newsDetail_forward_32400625"
        assert any("作者|斗斗" in p for p in row.paragraphs)
        assert row.stripped  # what was removed is on the record
        kinds = set(s.scalars(select(RawPage.kind).where(RawPage.cont_id == 32400625)))
        assert {"article", "mirror"} <= kinds


def test_import_mirror_url_original_wins(db_url, mirror_server):
    ds = generate_dataset(30, seed=4)
    art = next(a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed)
    _MirrorHandler.pages = {f"/newsDetail_forward_{art.cont_id}": "镜像站的内容\n\n与原文无关的一段话。".encode()}
    with MockSite(ds) as site:
        proc = run_cli(
            "import",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "-q",
            "--allow-private",
            f"{mirror_server}/newsDetail_forward_{art.cont_id}",
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Session(create_engine(db_url)) as s:
        row = s.get(Article, art.cont_id)
        assert row.mirror_host is None and row.paragraphs == art.expected_paragraphs
        assert "mirror" in set(s.scalars(select(RawPage.kind).where(RawPage.cont_id == art.cont_id)))


def test_import_the_seed_sample_file(db_url):
    sample = SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt"
    proc = run_cli("import", "--db", db_url, str(sample), "--url", "http://www.nxos.com.cn/newsDetail_forward_32400625")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Session(create_engine(db_url)) as s:
        row = s.get(Article, 32400625)
        assert row.mirror_host == "www.nxos.com.cn" and row.source == "澎湃新闻·澎湃号·湃客"
        assert str(row.published_at) == "2026-01-18 10:59:00+08:00"
        raw = s.scalars(select(RawPage).where(RawPage.kind == "file")).one()
        assert raw.raw_bytes() == sample.read_bytes()


@pytest.mark.parametrize(
    "target, message",
    [
        ("file:///etc/passwd", "refused scheme 'file'"),
        ("ftp://www.thepaper.cn/newsDetail_forward_1", "refused scheme 'ftp'"),
        ("gopher://x/newsDetail_forward_1", "refused scheme 'gopher'"),
        ("https://example.org/detail/123", "neither thepaper.cn nor a recognisable mirror"),
        ("http://10.1.2.3/newsDetail_forward_123", "private or loopback"),
        ("http://localhost:8080/newsDetail_forward_123", "private or loopback"),
        ("https://www.thepaper.cn/list_25434", "not an article URL"),
    ],
)
def test_import_refuses_bad_targets(db_url, target, message):
    proc = run_cli("import", "--db", db_url, target)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]


def test_import_nothing_is_a_usage_error(db_url):
    proc = run_cli("import", "--db", db_url)
    assert proc.returncode == 2 and "nothing to import" in proc.stderr


# --------------------------------------------------------------------------- reprocess
def _snapshot(db):
    with Session(create_engine(db)) as s:
        return {
            a.cont_id: (a.title, a.content_hash, a.version, a.updated_at, a.last_seen)
            for a in s.scalars(select(Article))
        }


def test_reprocess_is_a_noop_when_the_cleaner_output_is_unchanged_and_updates_when_it_changes(
    db_url, monkeypatch, capsys
):
    from crawler import cli
    from cleaning import document as chain

    ds = generate_dataset(60, seed=8)
    with MockSite(ds) as site:
        assert crawl(site, db_url).returncode == 0
    # the mock is gone: reprocess needs no network
    before = _snapshot(db_url)
    assert cli.main(["reprocess", "--db", db_url, "-q"]) == 0
    assert "updated 0" in capsys.readouterr().err
    assert _snapshot(db_url) == before

    original = chain.clean_document

    def new_cleaner(*args, **kwargs):
        record = original(*args, **kwargs)
        if record.content_type != "gone":
            record.title = record.title + "·校订"
        return record

    monkeypatch.setattr(chain, "clean_document", new_cleaner)
    assert cli.main(["reprocess", "--db", db_url, "-q"]) == 0
    after = _snapshot(db_url)
    changed = [cid for cid in before if after[cid][0] != before[cid][0]]
    assert changed and all(after[cid][0].endswith("·校订") and after[cid][2] == before[cid][2] + 1 for cid in changed)
    assert all(after[cid][4] == before[cid][4] for cid in before)  # last_seen: not a fetch
    capsys.readouterr()
    assert cli.main(["reprocess", "--db", db_url, "--cont-id", str(changed[0]), "--jobs", "1"]) == 0
    lines = capsys.readouterr().err.splitlines()  # without -q: progress with its total, then the summary
    assert lines[0].startswith("[thepaper-archive] reprocessed ") and lines[-2].endswith(" raw pages (100%)")
    done, total = re.match(r"\[thepaper-archive\] reprocessed ([\d,]+) of ([\d,]+) ", lines[-2]).groups()
    assert done == total and int(total) >= 1 and lines[-1].startswith("reprocess: ")
    assert "updated 0, unchanged 1" in lines[-1]


def test_reprocess_retries_pages_whose_cleaning_failed(db_url):
    from crawler import cli

    ds = generate_dataset(30, seed=8)
    with MockSite(ds) as site:
        assert crawl(site, db_url).returncode == 0
    victim = next(a for a in ds.articles() if a.kind == "news")
    engine = create_engine(db_url)
    with Session(engine) as s:  # as if the first crawl's cleaner had failed on it
        s.execute(update(Article).where(Article.cont_id == victim.cont_id).values(raw_page_id=None))
        s.query(Article).filter(Article.cont_id == victim.cont_id).delete()
        s.commit()
    assert victim.cont_id not in stored_ids(db_url)
    assert cli.main(["reprocess", "--db", db_url, "-q"]) == 0
    with Session(engine) as s:
        assert s.get(Article, victim.cont_id).paragraphs == victim.expected_paragraphs
