"""``show`` and ``failures``: one article with its versions, tags and raw pages; the failures by
state — on both backends, in process and as a user types them."""

from __future__ import annotations

import json

import pytest

from crawler.cli import main
from storage.lookup import article_detail, declared_charset, failure_reasons, list_failures
from tests.conftest import run_cli
from tests.test_analysis_data import ARTICLES, GONE_ID, filled  # noqa: F401


@pytest.mark.parametrize(
    "headers,charset",
    [
        ({"Content-Type": "text/html; charset=UTF-8"}, "utf-8"),
        ({"content-type": 'text/html;charset="gbk"'}, "gbk"),
        ({"Content-Type": "text/html"}, None),  # unchanged: nothing declared
        ({"X-Charset": "charset=gbk"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_declared_charset(headers, charset):
    assert declared_charset(headers) == charset


def test_article_detail_has_versions_tags_raw_pages(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        d = article_detail(s, GONE_ID)
        assert article_detail(s, 1) is None
    assert d["content_type"] == "gone" and d["gone_reason"] == "http_404" and d["tags"] == ["芯片", "外贸"]
    assert [v["version"] for v in d["versions"]] == [1] and d["versions"][0]["content_type"] == "pph"
    assert d["version"] == 2 and d["published_at"].utcoffset().total_seconds() == 8 * 3600
    [page] = d["raw_pages"]
    assert page["status"] == 200 and page["kind"] == "article" and page["decoded_as"] == "utf-8"
    assert page["cleaned_into"] == [1, 2] and page["fetched_at"] is not None


@pytest.mark.parametrize("state,attempts", [("all", [1, 2, 5]), ("open", [1, 2]), ("dead", [5])])
def test_list_failures_by_state(filled, state, attempts):
    _, _, Session, _, _ = filled
    with Session() as s:
        rows = list_failures(s, state)
        reasons = failure_reasons(s, state)
    assert sorted(r["attempts"] for r in rows) == attempts
    assert all(r["dead"] == (r["attempts"] == 5) for r in rows)
    assert all((r["next_retry_at"] is None) == r["dead"] for r in rows)
    assert sum(reasons.values()) == len(attempts)
    if state == "open":  # the soonest retry first
        assert [r["next_retry_at"] for r in rows] == sorted(r["next_retry_at"] for r in rows)


def test_list_failures_by_reason_and_limit(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        assert {r["reason"] for r in list_failures(s, reason="http_503")} == {"http_503"}
        assert len(list_failures(s, limit=1)) == 1
        assert list_failures(s, reason="no_such_reason") == []
        assert failure_reasons(s) == {"http_503": 2, "timeout": 1}
        with pytest.raises(ValueError):
            list_failures(s, "later")


def test_cli_show_text_and_json(filled, capsys):
    url = filled[0]
    assert main(["show", "--db", url, "https://m.thepaper.cn/newsDetail_forward_31000001"]) == 0
    out = capsys.readouterr().out
    row = next(r for r in ARTICLES if r[0] == 31000001)
    assert out.startswith(f"31000001  {row[4]}\n") and "人工智能; 芯片" in out and row[5][1] in out
    assert "raw pages: 1" in out and "versions before this one: 0" in out
    assert main(["show", "--db", url, str(GONE_ID), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["cont_id"] == GONE_ID and d["published_at"].endswith("+08:00") and len(d["versions"]) == 1
    assert d["raw_pages"][0]["fetched_at"].endswith("+08:00")
    assert main(["show", "--db", url, "31000002", "--no-body"]) == 0
    assert next(r for r in ARTICLES if r[0] == 31000002)[5][0] not in capsys.readouterr().out


def test_cli_failures_text_and_json(filled, capsys):
    url = filled[0]
    assert main(["failures", "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 failures: http_503 2, timeout 1\n") and "dead" in out
    assert main(["failures", "--db", url, "--open", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["state"] == "open" and d["by_reason"] == {"http_503": 1, "timeout": 1}
    assert all(not f["dead"] and f["next_retry_at"].endswith("+08:00") for f in d["failures"])
    assert main(["failures", "--db", url, "--dead", "--limit", "1"]) == 0
    assert capsys.readouterr().out.startswith("1 dead failures: http_503 1\n")
    assert main(["failures", "--db", url, "--reason", "timeout", "--limit", "1"]) == 0
    assert "--limit for more" not in capsys.readouterr().out  # the one timeout is shown: nothing more
    assert main(["failures", "--db", url, "--limit", "1"]) == 0
    assert "(1 of 3 shown; --limit for more)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,code,line",
    [
        (["show", "999"], 2, "thepaper-archive: error: no article 999 in the archive"),
        (
            ["show", "https://example.com/about"],
            2,
            "thepaper-archive: error: 'https://example.com/about' is not an article URL (expected "
            "/newsDetail_forward_<id>, /detail/<id> or /baijiahao_<id>)",
        ),
        (
            ["failures", "--open", "--dead"],
            2,
            "thepaper-archive failures: error: argument --dead: not allowed with "
            "argument --open (see thepaper-archive failures --help)",
        ),
    ],
)
def test_cli_lookup_errors_are_one_line(empty_archive, args, code, line):
    proc = run_cli(*args, "--db", str(empty_archive))
    assert proc.returncode == code and proc.stderr.strip().splitlines() == [line]


@pytest.fixture(scope="module")
def empty_archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("lookup") / "a.sqlite3"
    run_cli("db", "upgrade", "--db", str(db), check=True)
    return db


def test_cli_failures_on_an_empty_archive_says_so(empty_archive):
    proc = run_cli("failures", "--dead", "--db", str(empty_archive))
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr.strip() == "no dead failures"


# ----------------------------------------------------------------------------- after a real crawl
def test_show_and_failures_after_a_crawl_of_the_mock(tmp_path):
    """A real crawl of the mock with one article answering HTTP 500: ``failures`` lists it with its
    reason and next retry, ``show`` gives a stored article's raw page as the crawl archived it."""
    from mocksite.dataset import generate_dataset
    from mocksite.server import MockSite

    ds = generate_dataset(12, seed=31)
    news = [a for a in ds.articles() if a.kind == "news" and not a.robots_disallowed]
    victim, shown = news[0], news[1]
    db = tmp_path / "a.sqlite3"
    with MockSite(ds, faults=[{"pattern": f"^/newsDetail_forward_{victim.cont_id}$", "kind": "500"}]) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    listed = json.loads(run_cli("failures", "--db", str(db), "--open", "--json", check=True).stdout)
    [failure] = listed["failures"]
    assert failure["cont_id"] == victim.cont_id and failure["reason"] == "http_500" and failure["attempts"] == 1
    assert failure["next_retry_at"] > failure["last_failed_at"] and listed["by_reason"] == {"http_500": 1}
    assert json.loads(run_cli("failures", "--db", str(db), "--dead", "--json", check=True).stdout)["failures"] == []
    d = json.loads(run_cli("show", "--db", str(db), str(shown.cont_id), "--json", check=True).stdout)
    assert d["title"] == shown.title and d["tags"] == shown.tags and d["versions"] == []
    pages = [p for p in d["raw_pages"] if p["kind"] == "article"]
    assert pages and all(p["status"] == 200 and p["fetched_at"].endswith("+08:00") for p in pages)
    assert pages[-1]["cleaned_into"] == [1] and pages[-1]["decoded_as"] == d["encoding"]
    assert pages[-1]["declared_charset"] in (None, d["encoding"])
    gone = run_cli("show", "--db", str(db), str(victim.cont_id))
    assert gone.returncode == 2
    assert gone.stderr.strip() == f"thepaper-archive: error: no article {victim.cont_id} in the archive"
