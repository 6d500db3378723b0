"""`stats`: numbers computed independently from the sample data, the text layout,
JSON output, and the views behind it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crawler.cli import main
from storage.stats import collect, format_stats, human_bytes, pivot_daily, table, width
from storage.types import SHANGHAI
from tests.test_analysis_data import ARTICLES, COLUMNS, GONE_ID, filled, make_record  # noqa: F401


@pytest.mark.parametrize("text,cols", [("abc", 3), ("科技湃", 6), ("未来2%", 6), ("", 0), ("ＡＢ", 4)])
def test_width(text, cols):
    assert width(text) == cols


def test_table_aligns_wide_characters():
    out = table(["name", "n"], [["科技湃", 12], ["AI", 3]], right={1})
    lines = out.splitlines()
    assert [width(ln) for ln in lines[:1] + lines[2:]] == [width(lines[1])] * 3
    assert lines[2].endswith("12") and lines[3].endswith(" 3")


@pytest.mark.parametrize("n,out", [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (5 * 1024**2, "5.0 MiB")])
def test_human_bytes(n, out):
    assert human_bytes(n) == out


def test_pivot_daily_keeps_busiest_columns_and_sums_the_rest():
    daily = [
        {"day": "2026-01-02", "node_name": "a", "articles": 5},
        {"day": "2026-01-02", "node_name": "b", "articles": 1},
        {"day": "2026-01-01", "node_name": "c", "articles": 2},
        {"day": "2026-01-01", "node_name": "", "articles": 1},
    ]
    headers, rows = pivot_daily(daily, max_columns=2)
    assert headers == ["day", "a", "c", "other", "total"]
    assert rows == [["2026-01-02", 5, 0, 1, 6], ["2026-01-01", 0, 2, 1, 3]]


def _expected_daily(now, days):
    first = now.astimezone(SHANGHAI).date() - timedelta(days=days - 1)
    c = Counter()
    for row in ARTICLES:
        rec = make_record(row, now)
        d = rec.published_at.date()
        if d >= first:
            c[(str(d), rec.node_id)] += 1
    return c


@pytest.mark.parametrize("days", [1, 3, 14])
def test_collect_numbers(filled, days):
    _, _, Session, now, info = filled
    with Session() as s:
        data = collect(s, days=days, now=now)
    t = data["totals"]
    types = Counter("gone" if r[0] == GONE_ID else r[7] for r in ARTICLES)
    assert t["articles"] == len(ARTICLES) and t["articles_by_type"] == dict(types)
    assert t["tags"] == len({tag for r in ARTICLES for tag in r[6]})
    assert t["raw_pages"] == len(ARTICLES)
    assert t["raw_bytes_uncompressed"] == sum(info["raw_sizes"])
    assert t["raw_bytes_compressed"] == sum(info["raw_compressed"]) < t["raw_bytes_uncompressed"]
    assert (t["failures_open"], t["failures_dead"]) == (2, 1)
    got = Counter({(r["day"], r["node_id"]): r["articles"] for r in data["daily"]})
    assert got == _expected_daily(now, days)
    for r in data["daily"]:
        assert r["node_name"] == COLUMNS.get(r["node_id"], "")
    assert data["failures_by_reason"] == [
        {"reason": "http_503", "open": 1, "dead": 1},
        {"reason": "timeout", "open": 1, "dead": 0},
    ]
    runs = data["runs"]
    assert [r["status"] for r in runs] == ["failed", "partial", "ok"]  # newest first
    assert runs[2]["duration_s"] == 61.5 and runs[1]["duration_s"] == 12 * 60
    assert (runs[1]["new"], runs[1]["updated"], runs[1]["unchanged"], runs[1]["gone"], runs[1]["failed"]) == (
        2,
        1,
        7,
        1,
        1,
    )


def test_daily_counts_view_matches_articles(filled):
    _, engine, _, now, _ = filled
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT day, node_id, articles, gone FROM daily_counts")).all()
    got = Counter({(str(d), n): a for d, n, a, _ in rows})
    assert got == _expected_daily(now, 10_000)
    assert sum(g for *_, g in rows) == 1


def test_cli_stats_text_and_json(filled, capsys):
    url, _, _, now, _ = filled
    assert main(["stats", "--db", url, "--days", "7"]) == 0
    out = capsys.readouterr().out
    for heading in ("Totals", "Articles per day per column (last 7 days", "Failures by reason", "Last runs"):
        assert heading in out
    assert "科技湃" in out and "http_503" in out and "61.5s" in out
    today = str(now.astimezone(SHANGHAI).date())
    today_line = next(ln for ln in out.splitlines() if ln.startswith(today))
    assert today_line.split()[-1] == str(sum(n for (d, _), n in _expected_daily(now, 1).items() if d == today))
    assert main(["stats", "--db", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == 14 and data["totals"]["articles"] == len(ARTICLES)
    assert format_stats(data).splitlines()[0] == "Totals"


def test_cli_stats_rejects_bad_days(filled, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stats", "--db", filled[0], "--days", "0"])
    assert exc.value.code == 2
