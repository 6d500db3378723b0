"""Issue 27: what analysts and operators hit in their first week. Each item runs the command as
a user types it and checks its output and exit code."""

from __future__ import annotations

import gzip
import json
import os
import pty
import urllib.parse
import subprocess
import sys

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import ROOT, cli_env, run_cli
from tests.cli_helpers import one_line

PROG = "thepaper-archive"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("firstweek")
    ds = generate_dataset(40, seed=27)
    db = tmp / "a.db"
    with MockSite(ds) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", check=True)
    return ds, db


# --------------------------------------------------------------------------- 1: scrapy crawl reads the layers
@pytest.mark.parametrize("layer", ["environment", "config file"])
def test_scrapy_crawl_takes_the_endpoints_from_the_environment_or_the_config_file(tmp_path, layer):
    ds = generate_dataset(20, seed=11)
    out = tmp_path / "items.jsonl"
    with MockSite(ds) as site:
        settings = {"THEPAPER_SITE_URL": site.base_url, "THEPAPER_API_URL": site.base_url}
        env = cli_env(
            THEPAPER_ARCHIVE_DB=str(tmp_path / "a.db"),
            DOWNLOAD_DELAY="0",
            AUTOTHROTTLE_ENABLED="0",
            LOG_LEVEL="WARNING",
        )
        if layer == "environment":
            env.update(settings)
        else:
            config = tmp_path / "crawl.toml"
            config.write_text("".join(f'{k} = "{v}"\n' for k, v in settings.items()), encoding="utf-8")
            env["THEPAPER_CONFIG"] = str(config)
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "thepaper", "-O", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        hits = site.hits_article_pages()
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    fetched = [r["source_url"] for r in records if r.get("source_url")]
    assert fetched and all(u.startswith(site.base_url + "/") for u in fetched)  # the mock's pages, not the site's
    assert hits > 0 and all(r["outcome"] == "new" for r in records)


# --------------------------------------------------------------------------- 2: the format from -o's name
@pytest.mark.parametrize(
    "name, magic",
    [
        ("out.csv", b"cont_id,"),
        ("out.xlsx", b"PK\x03\x04"),
        ("out.parquet", b"PAR1"),
        ("out.jsonl", b'{"cont_id"'),
        ("out.warc.gz", b"\x1f\x8b"),
        ("out.txt", b'{"cont_id"'),
    ],
)
def test_export_infers_the_format_from_the_extension(archive, tmp_path, name, magic):
    proc = run_cli("export", "--db", str(archive[1]), "-o", str(tmp_path / name))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / name).read_bytes().startswith(magic)
    if name == "out.warc.gz":
        assert gzip.decompress((tmp_path / name).read_bytes()).startswith(b"WARC/1.1")


def test_export_refuses_a_format_that_contradicts_the_extension(archive, tmp_path):
    line = one_line(run_cli("export", "--db", str(archive[1]), "--format", "jsonl", "-o", str(tmp_path / "x.xlsx")), 2)
    assert line == (
        f"{PROG}: error: --format jsonl contradicts -o {tmp_path}/x.xlsx, whose extension means xlsx: "
        "give one of them, or a matching name"
    )
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- 11: binary formats to a terminal
@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "warc"])
def test_a_binary_format_to_a_terminal_is_refused(archive, fmt):
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "export", "--db", str(archive[1]), "--format", fmt],
            cwd=ROOT,
            env=cli_env(),
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"{PROG}: error: --format {fmt} is binary and stdout is a terminal: give -o FILE or redirect stdout to a file"
    )


# --------------------------------------------------------------------------- 3: Traditional terms in trends
def _search_count(db, word: str) -> int:
    proc = run_cli("search", "--db", str(db), "--json", "--limit", "10000", word)
    assert proc.returncode == 0, proc.stderr
    return len(json.loads(proc.stdout or "[]"))


def _trend_total(db, *argv: str) -> int:
    proc = run_cli("trends", "--db", str(db), "--since", "2000-01-01", "--format", "json", *argv)
    assert proc.returncode == 0, proc.stderr
    return sum(sum(s["counts"]) for s in json.loads(proc.stdout)["series"])


def test_trends_and_the_report_look_traditional_terms_up_as_search_does(archive, tmp_path):
    import re

    db = archive[1]
    simplified = _search_count(db, "芯片")
    assert simplified > 0
    assert _search_count(db, "晶片") == simplified  # Taiwan's word for chip: search finds 芯片
    assert _trend_total(db, "晶片") == simplified == _trend_total(db, "芯片")
    assert _trend_total(db, "晶片", "--as-typed") == 0  # the archive is Simplified
    out = tmp_path / "r.html"
    proc = run_cli("report", "--db", str(db), "--since", "2000-01-01", "--trend", "晶片", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    values = re.findall(r'data-series="晶片" data-label="[^"]*" data-value="(\d+)"', out.read_text(encoding="utf-8"))
    assert sum(map(int, values)) == simplified


# --------------------------------------------------------------------------- 4: drift recovery by fetch time
def test_the_drift_alarm_names_the_reprocess_that_re_cleans_the_drifted_pages(tmp_path):
    import re

    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from storage.models import CrawlRun, RawPage

    db = tmp_path / "a.db"
    ds = generate_dataset(80, seed=4)
    with MockSite(ds) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", check=True)
        ds.add_articles(40)
        site.drift = True
        proc = run_cli(
            "crawl", "--base-url", site.base_url, "--db", str(db), "-q", "-s", "THEPAPER_ALARM_MIN_ARTICLES=3"
        )
    assert proc.returncode == 7, proc.stderr[-3000:]
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith(f"{PROG}: error: layout drift: "))
    hint = re.search(
        r"; once the cleaner is fixed, re-clean this run's pages with: (thepaper-archive reprocess "
        r"--db (\S+) --fetched-since (\S+))$",
        line,
    )
    assert hint and hint.group(2) == str(db), line
    # item 10: one warning per reason, with the first 3 URLs, not one per page
    warned = [ln for ln in proc.stderr.splitlines() if "not stored" in ln]
    empty = next(ln for ln in warned if ": empty_article (" in ln)
    n = int(re.match(rf"{PROG}: warning: (\d+) pages not stored: empty_article \(first: ", empty).group(1))
    assert n > 3 and empty.count("/newsDetail_forward_") == 3
    assert empty.endswith(f"; {PROG} failures --reason empty_article lists them)")
    assert len(warned) == len({ln.split(" (first:")[0].rsplit(": ", 1)[1] for ln in warned})  # one per reason
    with Session(create_engine(f"sqlite:///{db}")) as s:
        drifted = s.scalar(select(CrawlRun.id).order_by(CrawlRun.id.desc()).limit(1))
        pages = s.scalar(
            select(func.count(func.distinct(RawPage.cont_id))).where(
                RawPage.run_id == drifted, RawPage.kind == "article"
            )
        )
    assert pages > 0
    # the command as the line gives it re-cleans exactly the drifted run's pages, failed ones included
    again = run_cli(*hint.group(1).split()[1:], "-q")
    assert again.returncode == 0, again.stderr
    counts = dict(
        re.findall(r"(\w+) (\d+)", re.sub(r"^reprocess: run \d+: ", "", again.stderr.strip().splitlines()[-1]))
    )
    assert sum(int(n) for n in counts.values()) == pages, again.stderr
    assert int(counts["failed"]) > 0  # the pages the drift broke are among them (the cleaner is not fixed here)
    # item 7: failures names what a --reason that matches nothing could have been, and counts by the reason
    nothing = run_cli("failures", "--db", str(db), "--reason", "no_such_reason")
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert nothing.stderr.startswith("no failures with reason no_such_reason (reasons: empty_article")
    some = run_cli("failures", "--db", str(db), "--reason", "empty_article", "--limit", "1")
    n = int(re.search(r"empty_article (\d+)", some.stdout).group(1))
    assert some.returncode == 0 and some.stdout.rstrip().endswith(f"(1 of {n} shown; --limit for more)")
    # --since chooses by publication, --fetched-since by fetch: one of them
    line = one_line(run_cli("reprocess", "--db", str(db), "--since", "2020-01-01", "--fetched-since", hint.group(3)), 2)
    assert line.endswith("--since (publication) and --fetched-since (fetch) both choose the pages: give one")


# --------------------------------------------------------------------------- 5: gone articles keep their title
def test_gone_articles_are_stored_with_the_title_of_their_list_item(archive, tmp_path):
    from mocksite.dataset import GONE_KINDS

    ds, db = archive
    out = tmp_path / "gone.jsonl"
    run_cli(
        "export", "--db", str(db), "--columns", "cont_id,title,content_type,gone_reason", "-o", str(out), check=True
    )
    stored = {r["cont_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    gone = [a for a in ds.articles() if a.kind in GONE_KINDS and a.cont_id in stored]
    assert {a.kind for a in gone} >= {"gone_404", "gone_null"}
    for art in gone:
        assert stored[art.cont_id]["content_type"] == "gone" and stored[art.cont_id]["gone_reason"]
        assert stored[art.cont_id]["title"] == art.title, art.kind


# --------------------------------------------------------------------------- 7 and 9: the servers
def test_browse_on_a_busy_port_is_one_line_exit_2(archive):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line(run_cli("browse", "--db", str(archive[1]), "--port", str(port)), 2)
    assert line == f"{PROG}: error: cannot listen on 127.0.0.1:{port}: the port is in use"


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_mock_stopped_on_request_exits_0_quietly(signum):
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "mock", "--port", "0", "--articles", "5"],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().startswith("mock thepaper.cn (5 articles")  # it serves
    finally:
        proc.send_signal(getattr(signal, signum))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == "", err


# --------------------------------------------------------------------------- 11: how many hits there are
@pytest.mark.parametrize("query", ["的", "人工智慧", "科技 的"])
def test_search_says_how_many_hits_there_are_beyond_those_shown(archive, query):
    db = archive[1]
    total = _search_count(db, query)
    assert total > 2
    proc = run_cli("search", "--db", str(db), "--limit", "2", query)
    assert proc.returncode == 0 and proc.stdout.count(" · score ") == 2
    assert proc.stderr.strip() == f"2 of {total} hits shown; --limit for more"
    everything = run_cli("search", "--db", str(db), "--limit", str(total), query)
    assert everything.returncode == 0 and everything.stderr == ""  # all shown: nothing to add


# --------------------------------------------------------------------------- 15: query and export --where
def test_query_runs_one_read_only_statement_in_three_forms(db_url):
    import csv
    import io

    ds = generate_dataset(25, seed=15)
    with MockSite(ds) as site:
        run_cli("crawl", "--base-url", site.base_url, "--db", db_url, "-q", check=True)
    sql = "select content_type, count(*) as n from articles group by content_type order by content_type"
    as_json = run_cli("query", "--db", db_url, "--json", sql)
    assert as_json.returncode == 0, as_json.stderr
    counts = {r["content_type"]: r["n"] for r in json.loads(as_json.stdout)}
    assert sum(counts.values()) == len(ds.articles()) and counts["news"] > 0
    assert as_json.stderr.strip() == f"{len(counts)} rows"
    as_csv = run_cli("query", "--db", db_url, "--csv", sql)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["content_type", "n"],
        *([k, str(v)] for k, v in counts.items()),
    ]
    as_table = run_cli("query", "--db", db_url, sql)
    assert as_table.stdout.splitlines()[0].split() == ["content_type", "n"]
    assert [ln.split() for ln in as_table.stdout.splitlines()[2:]] == [[k, str(v)] for k, v in counts.items()]
    # writing, several statements, bad SQL: one line each, exit 2, the archive untouched
    refused = {
        "delete from articles": ("readonly database", "read-only transaction"),
        "select 1; delete from articles": ("one statement at a time", "multiple commands"),
        "selec 1": ("syntax error",),
    }
    for statement, words in refused.items():
        line = one_line(run_cli("query", "--db", db_url, statement), 2)
        assert line.startswith(f"{PROG}: error: the statement failed: ") and any(w in line for w in words), line
    again = run_cli("query", "--db", db_url, "--json", sql)
    assert {r["content_type"]: r["n"] for r in json.loads(again.stdout)} == counts


def test_export_where_selects_by_an_sql_condition_read_only(archive, tmp_path):
    import csv
    import io

    ds, db = archive
    news = sorted(a.cont_id for a in ds.articles() if a.kind == "news")
    proc = run_cli(
        "export",
        "--db",
        str(db),
        "--format",
        "csv",
        "--columns",
        "cont_id",
        "--where",
        "content_type = 'news' and cont_id > 0",
    )
    assert proc.returncode == 0, proc.stderr
    got = sorted(int(r[0]) for r in list(csv.reader(io.StringIO(proc.stdout)))[1:])
    assert got == news and proc.stderr.strip() == f"exported {len(news)} articles (csv)"
    cases = {
        "1=1; delete from articles": "--where takes one SQL condition on the articles table (no ';')",
        "no_such_column = 1": "--where 'no_such_column = 1': the statement failed: no such column: no_such_column",
    }
    for condition, message in cases.items():
        out = tmp_path / "x.jsonl"
        line = one_line(run_cli("export", "--db", str(db), "--where", condition, "-o", str(out)), 2)
        assert line.startswith(f"{PROG}: error: {message}"), line
        assert not out.exists()


# --------------------------------------------------------------------------- 16: crawl -O
def test_crawl_with_O_exports_the_runs_new_and_updated_articles(tmp_path):
    import csv
    import io
    import re

    db = tmp_path / "a.db"
    ds = generate_dataset(30, seed=16)
    with MockSite(ds) as site:
        first = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", "-O", str(tmp_path / "run1.jsonl"))
        assert first.returncode == 0, first.stderr
        stored = {
            json.loads(ln)["cont_id"] for ln in (tmp_path / "run1.jsonl").read_text(encoding="utf-8").splitlines()
        }
        summary = first.stderr.strip().splitlines()[-2]
        new, gone = (int(re.search(rf"{w} (\d+)", summary).group(1)) for w in ("new", "gone"))
        assert len(stored) == new + gone > 0
        assert first.stderr.strip().splitlines()[-1] == (
            f"exported the run's {len(stored)} new and updated articles to {tmp_path / 'run1.jsonl'} (jsonl)"
        )
        added = ds.add_articles(4)
        second = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "-q", "-O", str(tmp_path / "run2.csv"))
    assert second.returncode == 0, second.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "run2.csv").read_text(encoding="utf-8"))))
    assert {int(r["cont_id"]) for r in rows} == {a.cont_id for a in added if not a.robots_disallowed}
    # a name that cannot be written: one line before any crawling
    line = one_line(run_cli("crawl", "--base-url", "http://127.0.0.1:9", "--db", str(db), "-O", str(db)), 2)
    assert line.startswith(f"{PROG}: error: cannot write {db}: it is the archive ({db})")


# --------------------------------------------------------------------------- 14: clean - and clean DIR, three formats
def test_clean_reads_stdin_and_directories_in_text_markdown_and_json(tmp_path):
    from tests.conftest import SAMPLES

    page = SAMPLES / "m_thepaper_2017_newsDetail_forward_1787647.html"
    with open(page, "rb") as stdin:
        piped = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "clean", "--format", "markdown", "-"],
            cwd=ROOT,
            env=cli_env(),
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert piped.returncode == 0, piped.stderr
    record = json.loads(run_cli("clean", "--json", str(page), check=True).stdout)
    lines = piped.stdout.split("\n\n")
    assert lines[0] == f"# {record['title']}"
    assert lines[1].startswith("*2017-09-08T10:30+08:00 · ") and record["author"] in lines[1]
    assert lines[2:] == [*record["paragraphs"][:-1], record["paragraphs"][-1] + "\n"]
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.html").write_bytes(page.read_bytes())
    (folder / "b.txt").write_bytes((SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt").read_bytes())
    (folder / "c.html").write_bytes(b"<html><body></body></html>")
    proc = run_cli("clean", "--format", "json", str(folder))
    assert proc.returncode == 0
    objects = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert [o["path"] for o in objects] == [str(folder / "a.html"), str(folder / "b.txt")]
    assert objects[0]["paragraphs"] == record["paragraphs"]
    assert proc.stderr.splitlines()[0].startswith(f"{PROG}: error: {folder / 'c.html'}: ")
    assert proc.stderr.splitlines()[-1] == "clean: 3 files: cleaned 2, failed 1"
    text = run_cli("clean", str(folder), check=True).stdout
    assert text.startswith(f"==> {folder / 'a.html'} <==\ntitle: {record['title']}\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert one_line(run_cli("clean", str(empty)), 2) == f"{PROG}: error: no files in the directory {empty}"


# --------------------------------------------------------------------------- 12: keywords without fragments
@pytest.mark.parametrize(
    "page, noise, kept",
    [
        # the real pages of tests/data/samples and the layouts of tests/data/extract: column prefixes, numerals' leftovers
        ("samples/m_thepaper_2017_newsDetail_forward_1787647.html", {"一周", "讲座"}, {"书店"}),
        ("samples/api_list_item_32126241.json", {"言短", "意长"}, {"舆论监督"}),
        ("extract/nextjs_dom_only.html", {"特稿", "一千万"}, {"芯片", "晶圆厂"}),
        ("extract/nextjs_news.html", {"千次", "次连续"}, {"量子", "超导"}),
        ("extract/api_detail.json", set(), {"嫦娥", "样品"}),
    ],
)
def test_keywords_leave_out_column_prefixes_and_numeral_fragments(page, noise, kept):
    from tests.conftest import SAMPLES

    record = json.loads(run_cli("clean", "--json", str(SAMPLES.parent / page), check=True).stdout)
    assert not noise & set(record["keywords"]), record["keywords"]
    assert kept <= set(record["keywords"]), record["keywords"]


def test_keywords_leave_out_measure_word_compounds_and_reporting_verbs():
    from cleaning.keywords import extract_keywords

    words = extract_keywords(
        "长征火箭再次发射",
        "",
        [
            "火箭将36颗卫星送入预定轨道，450余家企业参与研制。",
            "工厂每天生产12片晶圆。",
            "航天局回应称，卫星运行正常；据悉，下一次发射在年底。",
        ],
        top=30,
    )
    assert not {"颗卫星", "余家", "片晶", "回应", "据悉"} & set(words), words
    assert {"卫星", "火箭", "发射", "企业", "工厂"} <= set(words), words


# --------------------------------------------------------------------------- 18: a failed WARC import quotes no binary
@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 12,  # no WARC at all: warcio quotes its "first line"
        b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 900\r\n\r\n" + bytes(range(128, 256)) * 8,
        b"\x1f\x8b\x08\x00" + bytes(range(200, 256)) * 40,  # a gzip header, then garbage
    ],
)
def test_a_failed_warc_import_is_one_readable_line(tmp_path, content):
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(content)
    proc = run_cli("import", "--db", str(tmp_path / "a.db"), "--warc", str(bad))
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"{PROG}: error: ")]
    assert proc.returncode != 0 and len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"{PROG}: error: ") and "bad.warc.gz" in errors[0], errors[0]
    assert "unexpected" not in errors[0], errors[0]  # a damaged file, not a bug
    assert errors[0].isprintable() and len(errors[0]) < 300, errors[0]
    assert all(ord(c) < 0x80 for c in errors[0].replace("…", "")), errors[0]


# --------------------------------------------------------------------------- 13: the report's series and totals
def test_report_shows_identical_series_and_says_the_totals_are_archive_wide(archive, tmp_path):
    import re

    out = tmp_path / "r.html"
    proc = run_cli(
        "report",
        "--db",
        str(archive[1]),
        "--since",
        "2000-01-01",
        "--trend",
        "芯片",
        "--trend",
        "晶片",
        "--trend",
        "的",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    legends = re.findall(r'<rect class="legend"[^>]*/><text class="label"[^>]*>([^<]*)</text>', html)
    assert legends == ["芯片", "晶片 = 芯片", "的"]  # 晶片 is counted as 芯片: the same line, not hidden
    assert html.count('stroke-dasharray="8 6"') == 1
    assert "<caption>The whole archive, every day (not only the days below)</caption>" in html
