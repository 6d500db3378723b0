"""``crawl --no-keywords`` stores articles without keywords; ``reprocess --keywords-only`` then
computes exactly the keywords a crawl with them stores. Real crawls of the mock over loopback
into SQLite files, the commands run as a user types them."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import messages, run_cli

N_ARTICLES = 60


def _keywords(db_file) -> dict[int, tuple[str, str]]:
    with sqlite3.connect(db_file) as conn:
        return {
            cid: (ctype, kw) for cid, ctype, kw in conn.execute("select cont_id, content_type, keywords from articles")
        }


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """The same mock crawled twice: with keywords (thread writer), without (worker process)."""
    tmp = tmp_path_factory.mktemp("kw")
    dataset = generate_dataset(N_ARTICLES, seed=5)
    with_kw, without = tmp / "with.sqlite3", tmp / "without.sqlite3"
    with MockSite(dataset) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", f"sqlite:///{with_kw}", "-q", timeout=600, check=True)
        run_cli(
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            f"sqlite:///{without}",
            "-q",
            "--no-keywords",
            "-s",
            "THEPAPER_PIPELINE_WORKER=1",
            timeout=600,
            check=True,
        )
    return with_kw, without


def test_no_keywords_crawl_stores_articles_without_keywords(archives):
    with_kw, without = archives
    stored, bare = _keywords(with_kw), _keywords(without)
    assert set(stored) == set(bare)
    assert sum(1 for _, kw in stored.values() if kw != "[]") > N_ARTICLES // 2
    assert all(kw == "[]" for _, kw in bare.values())


def test_keywords_only_computes_the_crawls_keywords(archives):
    with_kw, without = archives
    done = run_cli("reprocess", "--db", f"sqlite:///{without}", "--keywords-only", "-q", check=True)
    assert _keywords(without) == _keywords(with_kw)
    with sqlite3.connect(with_kw) as conn:
        judged, filled = conn.execute(
            "select count(*), sum(keywords <> '[]') from articles where content_type <> 'gone' and raw_page_id is not null"
        ).fetchone()
    assert messages(done.stderr)[-1] == f"reprocess --keywords-only: updated {filled}, unchanged {judged - filled}"
    again = run_cli("reprocess", "--db", f"sqlite:///{without}", "--keywords-only", "-q", check=True)
    assert messages(again.stderr)[-1] == f"reprocess --keywords-only: updated 0, unchanged {judged}"


def test_keywords_only_refuses_fetched_since(archives):
    _, without = archives
    proc = run_cli("reprocess", "--db", f"sqlite:///{without}", "--keywords-only", "--fetched-since", "2026-01-01")
    assert proc.returncode == 2
    lines = messages(proc.stderr)
    assert len(lines) == 1 and "--keywords-only" in lines[0], proc.stderr


def _bases(db_file) -> dict[int, tuple]:
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute(
            "select cont_id, content_type, raw_page_id, title, summary, content_hash, keywords, keywords_basis "
            "from articles"
        )
        return {r[0]: r[1:] for r in rows}


def test_a_crawl_stores_what_its_keywords_were_computed_from_and_keywords_only_the_same(archives, tmp_path):
    """The crawl's writer (a thread) stores each cleaned article's keyword basis, of its stored text by
    this code; none where no keywords were computed (a gone page, a list item alone); ``--no-keywords``
    (the worker process) stores none, and ``--keywords-only`` then writes the crawl's."""
    from cleaning.keywords import keywords_code
    from domain.record import keywords_basis

    with_kw, without = archives
    stored = _bases(with_kw)
    computed = {c: r for c, r in stored.items() if r[0] != "gone" and r[1] is not None}
    assert len(computed) > N_ARTICLES // 2
    for _, _, title, summary, content_hash, _, basis in computed.values():
        assert basis == keywords_basis(keywords_code(), False, title, summary, content_hash)
    assert all(r[-1] is None for c, r in stored.items() if c not in computed)
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(without, copy)  # the other test fills ``without`` itself
    with sqlite3.connect(copy) as conn:  # as the crawl left it
        conn.execute("update articles set keywords = '[]', keywords_basis = null")
    run_cli("reprocess", "--db", f"sqlite:///{copy}", "--keywords-only", "-q", check=True)
    assert {c: r[-2:] for c, r in _bases(copy).items()} == {c: r[-2:] for c, r in stored.items()}
    done = run_cli("reprocess", "--db", f"sqlite:///{copy}", "-q", check=True)
    assert messages(done.stderr)[-1].startswith("reprocess: run ") and "updated 0," in messages(done.stderr)[-1]
