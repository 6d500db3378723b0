"""A newcomer's first hour (issue 14), a crawl as a user runs it: a cron run while the site is down
says what happened in a few lines; signals give 130/143; the progress shows a total; --since and
--max-runtime do what they say; ``scrapy crawl -O`` exports clean records; the mock's dates end at
a given now and the reading commands' windows end at the newest article."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from mocksite.dataset import SHANGHAI, day_start, generate_dataset
from mocksite.server import MockSite
from storage.models import Article, CrawlRun, Failure
from tests.conftest import ROOT, SAMPLES, cli_env, run_cli
from tests.cli_helpers import PROG, _free_port, archive, err_lines


# --------------------------------------------------------------------------- item 5: noise
def test_a_quiet_cron_run_while_the_site_is_down_logs_at_most_five_lines(tmp_path):
    port = _free_port()  # nothing listens there
    proc = run_cli("crawl", "--quiet", "--base-url", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "a.db"))
    lines = err_lines(proc)
    assert proc.returncode == 3, proc.stderr
    assert 1 <= len(lines) <= 5, proc.stderr
    assert not any("Traceback" in ln or "Warning" in ln for ln in lines), proc.stderr
    assert (
        lines[0] == f"{PROG}: error: cannot reach 127.0.0.1:{port}: DownloadConnectionRefusedError: "
        "Connection was refused by other side: 111: Connection refused."
    )
    assert lines[-1].startswith("run 1 failed (cannot reach")
    default = run_cli("crawl", "--base-url", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "a.db"))
    assert default.returncode == 3 and len(err_lines(default)) <= 5, default.stderr


def test_default_output_is_progress_warnings_and_the_summary(archive):
    _, _, proc = archive
    assert "Overridden settings" not in proc.stderr and "INFO" not in proc.stderr, proc.stderr
    assert "ScrapyDeprecationWarning" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("run 1 ok: new ")


def test_verbose_shows_scrapys_detail(tmp_path):
    ds = generate_dataset(5, seed=2)
    with MockSite(ds) as site:
        proc = run_cli("crawl", "-v", "--base-url", site.base_url, "--db", str(tmp_path / "a.db"))
    assert proc.returncode == 0 and "Overridden settings" in proc.stderr


# --------------------------------------------------------------------------- item 6: exit codes
def _crawl_until_progress(site, db, *extra):
    """A slow crawl in a subprocess, returned once its first progress line is out."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            str(db),
            "-s",
            "CONCURRENT_REQUESTS=1",
            "-s",
            "THEPAPER_PROGRESS_INTERVAL=1",
            *extra,
        ],
        cwd=ROOT,
        env=cli_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("[thepaper-archive]"):
            return proc, lines
    raise AssertionError("".join(lines))


@pytest.mark.parametrize(
    "signum, code, words", [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGINT, 130, "interrupted by SIGINT")]
)
def test_signals_stop_a_crawl_with_130_or_143(tmp_path, signum, code, words):
    ds = generate_dataset(60, seed=6)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0}]
    db = tmp_path / "a.db"
    with MockSite(ds, faults=faults) as site:
        proc, lines = _crawl_until_progress(site, db)
        proc.send_signal(signum)
        rest = proc.stderr.read()
        assert proc.wait(timeout=600) == code, "".join(lines) + rest
    summary = rest.strip().splitlines()[-1]
    assert summary.startswith("run 1 aborted (" + words), rest
    with Session(create_engine(f"sqlite:///{db}")) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "aborted" and run.message.startswith(words)
    assert words in run_cli("stats", "--db", str(db)).stdout


def test_a_server_stopped_by_sigterm_exits_0_quietly(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "mock", "--port", str(port), "--articles", "5"],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "mock thepaper.cn" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=600)
    # stopped on request (kill %1): not an error (issue 27 item 9)
    assert proc.returncode == 0 and "error" not in stderr


def test_import_of_a_file_that_fails_is_recorded_and_exits_0(tmp_path):
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"<html><body></body></html>")
    db = tmp_path / "a.db"
    proc = run_cli(
        "import",
        "--db",
        str(db),
        str(bad),
        str(SAMPLES / "mirror_nxos_newsDetail_forward_32400625.txt"),
        "--url",
        "http://www.nxos.com.cn/newsDetail_forward_32400625",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "import: 2 files: new 1, updated 0, unchanged 0, kept_original 0, failed 1"
    with Session(create_engine(f"sqlite:///{db}")) as s:
        # the failure of that URL was resolved by the file of the same URL stored after it
        assert s.scalars(select(Failure)).all() == []
    alone = run_cli("import", "--db", str(db), str(bad))
    assert alone.returncode == 0, alone.stderr
    with Session(create_engine(f"sqlite:///{db}")) as s:
        assert [f.url for f in s.scalars(select(Failure))] == [f"file://{bad}"]


# --------------------------------------------------------------------------- item 7: progress
def test_progress_shows_a_total_once_the_lists_are_walked(tmp_path):
    # article pages answer slowly (list pages at once), so that the walk ends well before the
    # crawl does, even on a loaded machine, and a progress line with the total comes after it
    ds = generate_dataset(50, seed=7)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.3, "rate": 1.0}]
    with MockSite(ds, faults=faults) as site:
        proc = run_cli(
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            str(tmp_path / "a.db"),
            "-s",
            "CONCURRENT_REQUESTS=2",
            "-s",
            "THEPAPER_PROGRESS_INTERVAL=0.5",
        )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("[thepaper-archive]")]
    assert lines, proc.stderr
    walked = [ln for ln in lines if " walked " in ln]
    assert walked and "%" in walked[-1] and "ETA" in walked[-1], lines


def test_progress_line_and_bar():
    import io

    from crawler.progress import Display, Snapshot, progress_line

    counts = {"new": 3, "updated": 0, "unchanged": 1, "gone": 0, "failed": 1}
    walking = Snapshot(4.0, 5, 12, False, 3, counts)
    walked = Snapshot(10.0, 20, 80, True, 9, counts)
    assert progress_line(walking) == (
        "[thepaper-archive]     4s  lists 3  articles 5/12+  1.2/s  new 3  updated 0  unchanged 1  gone 0  failed 1"
    )
    assert progress_line(walked) == (
        "[thepaper-archive]    10s  lists 9 walked  articles 20/80 25%  2.0/s  ETA 30s  "
        "new 3  updated 0  unchanged 1  gone 0  failed 1"
    )
    tty = io.StringIO()
    display = Display(tty, bar=True)
    display.show(walking)
    display.show(walked)
    display.close()
    assert "25%" in tty.getvalue() and "20/80" in tty.getvalue() and "\r" in tty.getvalue()


# --------------------------------------------------------------------------- item 8: options
def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip().startswith(f"{PROG} ")


def test_since_stores_only_articles_at_or_after_the_date(tmp_path):
    ds = generate_dataset(120, seed=8)
    modern = [a for a in ds.articles() if a.layout == "nextjs"]
    cut = modern[len(modern) // 2].pub_time
    since = cut.astimezone(SHANGHAI).date() + timedelta(days=1)
    db = tmp_path / "a.db"
    with MockSite(ds) as site:
        proc = run_cli("crawl", "--base-url", site.base_url, "--db", str(db), "--since", since.isoformat())
    assert proc.returncode == 0, proc.stderr
    start = datetime.combine(since, datetime.min.time(), SHANGHAI)
    with Session(create_engine(f"sqlite:///{db}")) as s:
        stored = {a.cont_id: a.published_at for a in s.scalars(select(Article))}
    assert stored and all(when >= start for when in stored.values())
    wanted = {a.cont_id for a in ds.articles() if a.pub_time >= start and a.kind in ("news", "pph", "video")}
    assert wanted <= set(stored)


def test_a_run_cut_short_by_max_runtime_says_so(tmp_path):
    ds = generate_dataset(80, seed=9)
    faults = [{"pattern": r"/newsDetail_forward_", "kind": "slow", "delay": 0.5, "rate": 1.0}]
    db = tmp_path / "a.db"
    with MockSite(ds, faults=faults) as site:
        proc = run_cli(
            "crawl", "--base-url", site.base_url, "--db", str(db), "--max-runtime", "2", "-s", "CONCURRENT_REQUESTS=1"
        )
    assert proc.returncode == 0, proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("run 1 partial (stopped by --max-runtime after 2s; the next run resumes): "), summary
    assert "stopped by --max-runtime" in run_cli("stats", "--db", str(db)).stdout


# --------------------------------------------------------------------------- item 10: scrapy crawl -O
def test_scrapy_crawl_feed_export_writes_clean_records(tmp_path):
    ds = generate_dataset(30, seed=12)
    out = tmp_path / "items.jsonl"
    with MockSite(ds) as site:
        env = cli_env(
            THEPAPER_ARCHIVE_DB=str(tmp_path / "a.db"),
            DOWNLOAD_DELAY="0",
            AUTOTHROTTLE_ENABLED="0",
            CONCURRENT_REQUESTS_PER_DOMAIN="16",
            LOG_LEVEL="WARNING",
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "thepaper",
                "-O",
                str(out),
                "-s",
                f"THEPAPER_SITE_URL={site.base_url}",
                "-s",
                f"THEPAPER_API_URL={site.base_url}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_id = {r["cont_id"]: r for r in records}
    assert len(by_id) == len(records) and records
    for art in ds.articles():
        if art.kind in ("news", "pph") and not art.robots_disallowed:
            assert by_id[art.cont_id]["title"] == art.title
            assert by_id[art.cont_id]["paragraphs"] == art.expected_paragraphs
            assert by_id[art.cont_id]["outcome"] == "new"
    assert not any("body" in r for r in records)


# --------------------------------------------------------------------------- item 11: the mock's now
def test_mock_dates_end_at_its_now_and_are_deterministic():
    now = datetime(2027, 3, 4, 12, 0, tzinfo=timezone.utc)
    a, b = generate_dataset(50, seed=3, now=now), generate_dataset(50, seed=3, now=now)
    assert [x.pub_time for x in a.articles()] == [x.pub_time for x in b.articles()]
    newest = max(x.pub_time for x in a.articles())
    assert now - timedelta(hours=4) < newest < now
    assert generate_dataset(5).now == day_start()
    with pytest.raises(ValueError):
        generate_dataset(5, now=datetime(2019, 1, 1, tzinfo=timezone.utc))


def test_stats_and_report_windows_end_at_the_newest_article(archive, tmp_path):
    ds, db, _ = archive
    newest = max(a.pub_time for a in ds.articles()).astimezone(SHANGHAI).date()
    data = json.loads(run_cli("stats", "--db", str(db), "--json").stdout)
    assert data["window_end"] == newest.isoformat() and data["daily"]
    report = tmp_path / "r.html"
    assert run_cli("report", "--db", str(db), "-o", str(report)).returncode == 0
    assert f"days to {newest.isoformat()}" in report.read_text(encoding="utf-8")
    old = json.loads(run_cli("stats", "--db", str(db), "--json", "--end", "2001-01-01").stdout)
    assert old["daily"] == []


def test_a_crawl_stores_keywords_that_trends_and_keywords_read(archive):
    """End to end: the crawl of the mock stores each article's keywords as the cleaner computes
    them; ``keywords`` counts them and ``trends`` finds the top one."""
    import sqlalchemy as sa

    from cleaning.keywords import extract_keywords

    _, db, _ = archive
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT title, summary, body_text, keywords, content_type FROM articles")).all()
    engine.dispose()
    texts = [r for r in rows if r.content_type in ("news", "pph")]
    assert texts and all(json.loads(r.keywords) for r in texts)
    for r in texts:
        assert json.loads(r.keywords) == extract_keywords(r.title, r.summary, r.body_text.split("\n"))
    counts: dict[str, int] = {}
    for r in rows:
        for k in json.loads(r.keywords):
            counts[k] = counts.get(k, 0) + 1
    top = json.loads(run_cli("keywords", "--db", str(db), "--top", "3", "--format", "json", check=True).stdout)
    assert [(k["keyword"], k["articles"]) for k in top["keywords"]] == sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0])
    )[:3]
    word = top["keywords"][0]["keyword"]
    trend = json.loads(run_cli("trends", word, "--db", str(db), "--format", "json", check=True).stdout)
    assert sum(trend["series"][0]["counts"]) >= top["keywords"][0]["articles"]


def test_progress_percentage_stays_within_bounds():
    from hypothesis import given, settings as hsettings, strategies as st

    from crawler.progress import progress_line, snapshot

    @hsettings(max_examples=200, deadline=None)
    @given(
        st.integers(0, 500), st.integers(0, 500), st.integers(0, 50), st.booleans(), st.floats(0, 1e5, allow_nan=False)
    )
    def check(stored, failed, total, final, elapsed):
        s = snapshot({"thepaper/stored/new": stored, "thepaper/failed": failed}, elapsed, total, final)
        line = progress_line(s)
        assert s.done <= s.total
        if "%" in line:
            assert 0 <= int(line.split("%")[0].rsplit(" ", 1)[1]) <= 100

    check()
