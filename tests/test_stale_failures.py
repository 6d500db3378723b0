"""A failure row says what is still missing: once a later run stores it, the row is gone.

* a list page that failed (the API answered 500 for every list) is resolved by a later run that
  walks the same list to its end;
* a saved file whose import failed is resolved by a later import of the same file or URL.
"""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import generate_dataset
from mocksite.faults import FaultPlan
from mocksite.server import MockSite
from storage.models import Article, CrawlRun, Failure
from tests.conftest import SAMPLES, run_cli


def _failures(db_url) -> list[tuple[str, str]]:
    with Session(create_engine(db_url)) as s:
        return sorted((f.url, f.reason) for f in s.scalars(select(Failure)))


def test_a_list_failure_is_resolved_by_a_later_run_that_walks_the_list(db_url):
    ds = generate_dataset(30, seed=4)
    with MockSite(ds, faults=[{"pattern": "^/contentapi/", "kind": "500"}]) as site:
        first = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
        assert first.returncode == 0, first.stderr[-3000:]
        failed = _failures(db_url)
        # one row per list (a channel, six columns), each naming its list
        assert len(failed) == 7 and {reason for _, reason in failed} == {"http_500"}, failed
        assert all(
            f"{site.base_url}/contentapi/" in url and ("#channel=" in url or "#node=" in url) for url, _ in failed
        ), failed

        site.faults = FaultPlan.from_config([], 0)  # the API is back
        second = run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q")
    assert second.returncode == 0, second.stderr[-3000:]
    assert _failures(db_url) == []
    with Session(create_engine(db_url)) as s:
        assert [r.status for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))] == ["partial", "ok"]
        assert s.query(Article).count() > 0


def test_a_file_import_failure_is_resolved_by_a_later_import(tmp_path):
    db = f"sqlite:///{tmp_path / 'a.db'}"
    good = (SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes()
    url = "http://www.nxos.com.cn/newsDetail_forward_32400625"
    page = tmp_path / "page.html"

    # saved before the page had loaded; saved again later, under the same name
    page.write_bytes(b"<html><body></body></html>")
    assert run_cli("import", "--db", db, str(page), "-q").returncode == 0
    assert len(_failures(db)) == 1
    ds = generate_dataset(5, seed=4)
    news = next(a for a in ds.articles() if a.kind == "news")
    page.write_bytes(MockSite(ds).respond("GET", f"/newsDetail_forward_{news.cont_id}", {}).body)
    again = run_cli("import", "--db", db, str(page), "-q")
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[-1] == "import: 1 files: new 1, updated 0, unchanged 0, kept_original 0, failed 0"
    assert _failures(db) == []

    # the same with the URL it came from, and another file name
    page.write_bytes(b"<html><body></body></html>")
    assert run_cli("import", "--db", db, str(page), "--url", url, "-q").returncode == 0
    assert [u for u, _ in _failures(db)] == [url]
    other = tmp_path / "saved again.html"
    other.write_bytes(good)
    assert run_cli("import", "--db", db, str(other), "--url", url, "-q").returncode == 0
    assert _failures(db) == []
