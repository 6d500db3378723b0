"""Issue 27: what analysts hit in their first week with outputs and SQL. The export's format follows
-o's extension and binary formats refuse a terminal; query and export --where run read-only SQL;
crawl -O exports the run's articles; clean reads stdin and directories; a failed WARC import is one
readable line; the report's series and totals say what they are. Each runs the command as a user
types it and checks its output and exit code."""

from __future__ import annotations

import gzip
import json
import os
import pty
import subprocess
import sys

import pytest

from mocksite.dataset import generate_dataset
from mocksite.server import MockSite
from tests.conftest import ROOT, cli_env, run_cli
from tests.cli_helpers import PROG, one_line
from tests.first_week_helpers import archive


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
            timeout=600,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"{PROG}: error: --format {fmt} is binary and stdout is a terminal: give -o FILE or redirect stdout to a file"
    )


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
            timeout=600,
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
