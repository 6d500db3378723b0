"""Field coverage and the layout-drift monitors, without a crawl: counting records into stats,
the coverage's sums, every monitor's verdict (with its negatives), the alert hook, the exit code."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.alerts import run_alert_command
from crawler.cli.errors import EXIT_DEGRADED, EXIT_OK
from crawler.cli.spider_run import exit_code_for, summary_line
from domain.record import ArticleRecord, Image
from pipelines.coverage import count_page, coverage_from_stats, front_end_build
from crawler.drift import Thresholds
from crawler.drift import judge as judge_with
from pipelines.run_state import RunState
from storage.coverage import FIELDS, merge, record_fields, share, side_by_side

SH = timezone.utc


def project_settings():
    from scrapy.settings import Settings

    import crawler.settings as project

    out = Settings()
    out.setmodule(project, priority="project")
    return out


#: The alarm's thresholds as crawler/settings.py sets them (Thresholds has no defaults of its own).
DEFAULT_THRESHOLDS = Thresholds.from_settings(project_settings())


def judge(run, base, th: Thresholds = DEFAULT_THRESHOLDS):
    return judge_with(run, base, th)


class Stats(Counter):
    """The part of Scrapy's stats collector that the counting uses."""

    def inc_value(self, key, count=1):
        self[key] += count


def record(
    ctype="news",
    *,
    title="标题",
    body=True,
    time=True,
    author="朱轩",
    source="澎湃新闻",
    tags=("芯片",),
    node=27234,
    images=1,
    layout="nextjs",
) -> ArticleRecord:
    return ArticleRecord(
        cont_id=1,
        content_type=ctype,
        title=title,
        paragraphs=["正文。"] if body else [],
        published_at=datetime(2026, 1, 1, tzinfo=SH) if time else None,
        author=author,
        source=source,
        tags=list(tags),
        node_id=node,
        node_name="科学湃" if node else "",
        images=[Image(src=f"https://imgpai.thepaper.cn/{k}.jpg") for k in range(images)],
        layout=layout,
    )


def coverage(*groups, failures: dict | None = None, extra_pages: int = 0, build="B1") -> dict:
    """A run's coverage from ``(count, record)`` groups plus failed pages."""
    stats = Stats()
    page = f'<script id="__NEXT_DATA__">{{"buildId":"{build}"}}</script>'.encode()
    for n, rec in groups:
        for _ in range(n):
            count_page(stats, body=page, record=rec, outcome="new")
    for reason, n in (failures or {}).items():
        for _ in range(n):
            count_page(stats, body=page, failure_reason=reason)
    for _ in range(extra_pages):
        count_page(stats, body=b"", record=record("gone"), outcome="new")
    return coverage_from_stats(stats)


# ------------------------------------------------------------------ counting
@pytest.mark.parametrize(
    "rec, present",
    [
        (record(), set(FIELDS)),
        (record(body=False, images=0), set(FIELDS) - {"body", "images"}),
        (record(author="", source="", tags=()), set(FIELDS) - {"author", "source", "tags"}),
        (record(node=None, time=False, title=""), set(FIELDS) - {"column", "published_at", "title"}),
        (ArticleRecord(cont_id=1, paragraphs=["", ""]), set()),  # blank paragraphs are no body
    ],
)
def test_record_fields(rec, present):
    assert set(record_fields(rec)) == present


def test_counting_skips_gone_external_kept_mirrors_and_counts_failures_and_builds():
    stats = Stats()
    page = b'<html>..."buildId":"a4Hn8QwE2rT6yU1iO9pAs","isFallback":false</html>'
    count_page(stats, body=page, record=record(), outcome="new")
    count_page(stats, body=page, record=record("video", body=False), outcome="unchanged")
    count_page(stats, body=page, record=record("gone"), outcome="new")
    count_page(stats, body=page, record=record("external"), outcome="new")
    count_page(stats, body=page, record=record(), outcome="kept_original")
    count_page(stats, body=b"<html>old layout</html>", failure_reason="unknown_layout")
    cov = coverage_from_stats(stats)
    assert cov["pages"] == 6
    assert cov["failures"] == {"unknown_layout": 1}
    assert cov["types"]["news"] == {"articles": 1, "fields": {f: 1 for f in FIELDS}}
    assert cov["types"]["video"]["articles"] == 1 and "body" not in cov["types"]["video"]["fields"]
    assert set(cov["types"]) == {"news", "video"}
    assert cov["layouts"] == {"nextjs": 2}
    assert cov["builds"] == {"a4Hn8QwE2rT6yU1iO9pAs": 5}
    assert coverage_from_stats(Stats({"thepaper/list_pages": 3})) is None  # no article page judged


@pytest.mark.parametrize(
    "body, build",
    [
        (b'{"props":{},"buildId":"9Kq2xTzB3sW1pY7dR0vLm","isFallback":false}', "9Kq2xTzB3sW1pY7dR0vLm"),
        (b'"buildId":"old" ... "buildId":"new-build_2"', "new-build_2"),  # the last one: __NEXT_DATA__ ends the page
        (b"<html><p>no Next.js here</p></html>", None),
        (b'"buildId":"', None),
        (b'"buildId":"<script>alert(1)</script>"', None),
        (b'"buildId":"' + b"x" * 100 + b'"', None),
    ],
)
def test_front_end_build(body, build):
    assert front_end_build(body) == build


records_st = st.lists(
    st.builds(
        record,
        ctype=st.sampled_from(["news", "pph", "video"]),
        body=st.booleans(),
        time=st.booleans(),
        author=st.sampled_from(["", "朱轩"]),
        source=st.sampled_from(["", "澎湃新闻"]),
        tags=st.sampled_from([(), ("芯片",)]),
        images=st.integers(0, 2),
    ),
    max_size=30,
)


@given(records_st, records_st, st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_coverage_of_two_runs_adds_up_to_the_coverage_of_both(a, b, failed):
    one = coverage(*[(1, r) for r in a], failures={"empty_article": failed})
    two = coverage(*[(1, r) for r in b])
    both = coverage(*[(1, r) for r in a + b], failures={"empty_article": failed})
    assert merge([one, None, two]) == merge([both])


@given(records_st, st.integers(0, 40))
@settings(max_examples=60, deadline=None)
def test_a_run_like_its_baseline_never_alarms(recs, failed):
    cov = coverage(*[(1, r) for r in recs], failures={"unknown_layout": failed})
    assert judge(cov, merge([cov, cov, cov])).state != "alarm"


# ------------------------------------------------------------------ the monitors
BASE = coverage(
    (200, record()),
    (60, record("pph", author="")),
    (30, record("video", body=False, images=0)),
    failures={"empty_article": 2, "unknown_layout": 3},
)


def findings(verdict):
    return {(f.monitor, f.content_type, f.subject) for f in verdict.findings}


@pytest.mark.parametrize(
    "run, state, expected",
    [
        # a field that most articles lose, on enough articles: the alarm
        (
            coverage((30, record(author="")), (10, record("pph", author=""))),
            "alarm",
            {("field_coverage", "news", "author")},
        ),
        (
            coverage((30, record(source="", images=0))),
            "alarm",
            {("field_coverage", "news", "source"), ("field_coverage", "news", "images")},
        ),
        # whole bodies lost: the failure share jumps
        (
            coverage((5, record()), failures={"empty_article": 25}),
            "alarm",
            {("extraction_failures", None, "empty_article")},
        ),
        (
            coverage((25, record()), failures={"unknown_layout": 6}),
            "alarm",
            {("extraction_failures", None, "unknown_layout")},
        ),
        # negatives: the same shares; a drop of under 20 points; a video without body
        (coverage((40, record())), "ok", set()),
        (coverage((34, record()), (6, record(author=""))), "ok", set()),  # author 100% -> 85%
        (coverage((40, record()), (25, record("video", body=False, images=0))), "ok", set()),
        (coverage((40, record()), failures={"unknown_layout": 2}), "ok", set()),  # 1% -> 5%: under 10 points
        # too few articles of every kind: said, not alarmed
        (coverage((19, record(author="", source=""))), "too_few", set()),
        (coverage((3, record()), failures={"unknown_layout": 10}), "too_few", set()),
    ],
)
def test_judge(run, state, expected):
    verdict = judge(run, BASE)
    assert verdict.state == state, verdict
    assert findings(verdict) == expected
    assert bool(verdict.line) == (state == "alarm")
    if state == "too_few":
        assert "too few articles" in verdict.note


def test_a_drop_the_run_size_explains_by_chance_is_no_alarm():
    base = coverage((100, record()), (100, record(images=0)))  # images on half the news
    chance = coverage((7, record()), (13, record(images=0)))  # 35 % of 20: 15 points, 2.1 standard errors
    assert judge(chance, base).state == "ok"
    chance = coverage((5, record()), (15, record(images=0)))  # 25 %: 25 points, but 2.2 standard errors
    assert judge(chance, base).state == "ok"
    real = coverage((4, record()), (56, record(images=0)))  # 7 % of 60: 43 points, 6.6 standard errors
    assert findings(judge(real, base)) == {("field_coverage", "news", "images")}


def test_a_baseline_that_already_had_the_failures_does_not_alarm_again():
    base = coverage((300, record()), failures={"unknown_layout": 60})  # 17 % of the pages
    assert judge(coverage((40, record()), failures={"unknown_layout": 8}), base).state == "ok"


@pytest.mark.parametrize(
    "base, note",
    [
        (None, "no trailing coverage"),
        ({}, "no trailing coverage"),
        (coverage((5, record())), "no trailing coverage"),  # a baseline too small to compare with
    ],
)
def test_without_a_baseline_the_run_says_so(base, note):
    verdict = judge(coverage((40, record(author=""))), base)
    assert verdict.state == "no_baseline" and note in verdict.note


def test_thresholds_are_settings():
    settings = project_settings()
    settings.setdict(
        {
            "THEPAPER_ALARM_FIELD_DROP": "0.5",
            "THEPAPER_ALARM_MIN_ARTICLES": "5",
            "THEPAPER_ALARM_Z": "0",
            "THEPAPER_COVERAGE_WINDOW_DAYS": "7",
        },
        priority="cmdline",
    )
    th = Thresholds.from_settings(settings)
    assert th == Thresholds(field_drop=0.5, failure_rise=0.10, min_articles=5, z=0.0, window_days=7.0)
    run = coverage((10, record(author="")))
    assert judge(run, BASE).state == "too_few"
    verdict = judge(run, BASE, th)
    assert findings(verdict) == {("field_coverage", "news", "author")}
    assert "7-day baseline" in verdict.line


def test_the_alarm_line_names_fields_figures_and_layout():
    run = coverage((33, record(author="", source="")), build="Dr1ftN3wB0ild7qX5mK2p")
    base = coverage((300, record()), build="9Kq2xTzB3sW1pY7dR0vLm")
    line = judge(run, base).line
    assert line == (
        "layout drift: news author 100% → 0% of 33 articles (30-day baseline: 300 articles); "
        "news source 100% → 0% of 33 articles (30-day baseline: 300 articles); "
        "layout nextjs; front-end build Dr1ftN3wB0ild7qX5mK2p (new)"
    )
    assert "\n" not in line
    same_build = judge(coverage((33, record(author="")), build="9Kq2xTzB3sW1pY7dR0vLm"), base).line
    assert same_build.endswith("front-end build 9Kq2xTzB3sW1pY7dR0vLm")


def test_side_by_side_is_json_ready():
    fig = side_by_side(coverage((10, record(author=""))), BASE)
    json.dumps(fig)
    assert fig["types"]["news"]["fields"]["author"] == {"run": 0.0, "baseline": 1.0}
    assert fig["types"]["pph"]["fields"]["author"] == {"run": None, "baseline": 0.0}
    assert fig["failures"]["empty_article"]["run"] == 0.0
    assert share(BASE, "video", "body") == 0.0 and share(BASE, "live", "body") is None


# ------------------------------------------------------------------ exit code, summary, hook
def test_a_degraded_run_exits_7_and_says_so_in_its_summary():
    stats = {"finish_reason": "finished"}
    degraded = RunState(run_id=4, status="degraded", alarm="layout drift: …")
    assert exit_code_for(degraded, stats) == EXIT_DEGRADED == 7
    assert summary_line(degraded, stats).startswith("run 4 degraded:")
    ok = RunState(
        run_id=5,
        status="ok",
        drift_note="too few articles to judge coverage (3 articles, 3 pages; 20 of one kind needed)",
    )
    assert exit_code_for(ok, stats) == EXIT_OK
    assert summary_line(ok, stats).endswith(
        "; too few articles to judge coverage (3 articles, 3 pages; 20 of one kind needed)"
    )
    # the exit code is the state's, whatever the stats say
    shown = {"finish_reason": "finished", "thepaper/run_status": "degraded", "thepaper/stop_reason": "blocked"}
    assert exit_code_for(ok, shown) == EXIT_OK


def test_alert_command_gets_the_line_and_the_figures(tmp_path):
    out = tmp_path / "out"
    cmd = f'printf "%s\\n" "$1" "$THEPAPER_ALERT_TEXT" > {out}; cat "$2" >> {out}; echo "$2" >> {out}'
    report = {"line": "layout drift: news author 90% → 0%", "findings": [{"subject": "author"}]}
    assert run_alert_command(cmd, report["line"], report) is None
    first, second, *rest = out.read_text(encoding="utf-8").splitlines()
    assert first == second == "layout drift: news author 90% → 0%"
    assert json.loads("\n".join(rest[:-1])) == report
    assert not Path(rest[-1]).exists()  # the figures' file is removed once the command returns


@pytest.mark.parametrize(
    "cmd, timeout, problem",
    [
        ("echo broken >&2; exit 3", 60, "the alert command exited with 3: broken"),
        # a command that cannot end within the limit, however busy the machine (exec: the kill reaches sleep)
        ("exec sleep 600", 1, "the alert command did not finish within 1 s"),
        ("/nonexistent/alert-tool", 60, "the alert command exited with 127"),
    ],
)
def test_a_failing_alert_command_is_reported_in_one_line(cmd, timeout, problem):
    got = run_alert_command(cmd, "layout drift: x", {"line": "x"}, timeout=timeout)
    assert got is not None and got.startswith(problem) and "\n" not in got


def test_stats_shows_the_run_beside_the_trailing_coverage():
    from storage.stats import format_coverage

    assert format_coverage(None) == ["Field coverage", "(no crawl has recorded coverage yet)"]
    cov = {
        "run_id": 3,
        "status": "ok",
        "baseline": {"days": 30.0, "runs": 2},
        "drift": {"state": "too_few", "note": "too few articles to judge coverage (5 articles, 5 pages; …)"},
        "figures": side_by_side(coverage((5, record(author=""))), BASE),
    }
    lines = "\n".join(format_coverage(cov)).splitlines()
    assert lines[0] == "Field coverage: run 3 (ok) / trailing 30 days (2 runs)"
    author = next(ln for ln in lines if ln.startswith("author"))
    assert author.split()[1:4] == ["0%", "/", "100%"]  # news first: the most articles
    assert lines[-2].startswith("article pages 5 / 295; extraction failures: empty_article 0% / 1%")
    assert lines[-1] == "check: too few articles to judge coverage (5 articles, 5 pages; …)"
