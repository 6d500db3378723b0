"""`report`: the HTML page's data, escaping, and rendering in a real headless Chromium
(Debian's `chromium` package, installed here when missing)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, timezone

import lxml.html
import pytest

from crawler.cli import main
from domain.record import ArticleRecord
from storage.articles import save_article
from storage.report import bar_chart, column_chart, render_html, report_data
from tests.test_analysis_data import filled  # noqa: F401

EVIL_COLUMN = "<script>document.title='pwned'</script>栏目"
EVIL_TAG = "<img src=x onerror=alert(1)>"


def chromium() -> str:
    """Path of Debian's chromium, installing the package if it is missing (tests run as root)."""
    path = shutil.which("chromium")
    if not path:
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, timeout=1200)
        path = shutil.which("chromium")
    assert path, "chromium is not installed"
    return path


def dump_dom(html_path, profile_dir) -> str:
    proc = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile_dir}", "--dump-dom", html_path.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def bars(doc, chart_id):
    return [(r.get("data-label"), int(r.get("data-value")))
            for r in doc.xpath(f'//*[local-name()="svg"][@id="{chart_id}"]//*[local-name()="rect"][@class="bar"]')]


# ----------------------------------------------------------------------------- pure rendering
@pytest.mark.parametrize("chart", [column_chart, bar_chart])
def test_charts_escape_labels_and_keep_values(chart):
    svg = chart("c", [("a<b&\"c", 3), ("d", 0)])
    doc = lxml.html.fromstring(f"<div>{svg}</div>")
    assert bars(doc, "c") == [('a<b&"c', 3), ("d", 0)]
    assert "<b&" not in svg


def test_bar_lengths_are_proportional():
    doc = lxml.html.fromstring(bar_chart("c", [("a", 4), ("b", 2), ("z", 0)]))
    widths = [float(r.get("width")) for r in doc.xpath('//*[local-name()="rect"]')]
    assert widths[0] == 2 * widths[1] and widths[2] == 0


def test_empty_report_renders(filled):
    _, _, Session, _, _ = filled
    with Session() as s:
        data = report_data(s, days=1, now=datetime(2001, 1, 1, tzinfo=timezone.utc), end=date(2001, 1, 1))
    html = render_html(data)
    assert "no data" in html and "<script" not in html


# ----------------------------------------------------------------------------- in Chromium
def test_report_renders_in_chromium_with_charts(filled, tmp_path, capsys):
    url, _, Session, now, _ = filled
    with Session() as s:  # hostile text in a column name and a tag: must stay text
        rec = ArticleRecord(cont_id=39000001, title="注入测试", paragraphs=["正文。"], published_at=now,
                            node_id=1, node_name=EVIL_COLUMN, tags=[EVIL_TAG, "人工智能"])
        save_article(s, rec, raw_page_id=None, now=now)
        s.commit()
        data = report_data(s, days=10, now=now)
    out = tmp_path / "report.html"
    assert main(["report", "--db", url, "-o", str(out), "--days", "10"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html

    doc = lxml.html.fromstring(dump_dom(out, tmp_path / "profile"))
    assert doc.xpath("//title")[0].text == "thepaper archive report"  # no script ran
    assert not doc.xpath("//script") and not doc.xpath("//img")
    per_day = bars(doc, "per-day")
    assert per_day == [(d, n) for d, n in data["per_day"]] and len(per_day) == 10
    assert sum(n for _, n in per_day) == sum(n for _, n in data["per_column"]) > 0
    assert bars(doc, "per-column") == data["per_column"]
    assert (EVIL_COLUMN, 1) in bars(doc, "per-column")
    tags = bars(doc, "top-tags")
    assert tags == data["top_tags"] and set(tags[:2]) == {("人工智能", 2), (EVIL_TAG, 2)}
    labels = [t.text for t in doc.xpath('//*[local-name()="svg"]//*[local-name()="text"][@class="label"]')]
    assert EVIL_TAG in labels and EVIL_COLUMN in labels
