"""`report`: the HTML page's data, escaping, the periods and axes of its charts for any span,
and rendering in a real headless Chromium (Debian's `chromium` and a CJK font, installed here
when missing): at 30, 400 and 5,000 days the page fits the window, every chart is drawn, the
newest period is labelled and visible, and Chinese labels are drawn with a CJK font."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.cli import main
from domain.record import ArticleRecord
from cleaning.document import with_keywords
from storage.articles import save_article, save_articles
from storage.db import open_archive
from storage.report import (
    CHART_W,
    FONT_STACK,
    bar_chart,
    column_chart,
    line_chart,
    nice_ticks,
    render_html,
    report_data,
)
from storage.types import SHANGHAI
from tests.chromium import DevTools, cjk_fonts, dump_dom
from tests.conftest import messages, run_cli
from tests.test_analysis_data import filled  # noqa: F401

EVIL_COLUMN = "<script>document.title='pwned'</script>栏目"
EVIL_TAG = "<img src=x onerror=alert(1)>"


def bars(doc, chart_id):
    return [
        (r.get("data-label"), int(r.get("data-value")))
        for r in doc.xpath(
            f'//*[local-name()="svg"][@id="{chart_id}"]//*[local-name()="rect"]'
            '[contains(concat(" ", @class, " "), " bar ")]'
        )
    ]


def points(doc, chart_id):
    return [
        (c.get("data-series"), c.get("data-label"), int(c.get("data-value")))
        for c in doc.xpath(f'//*[local-name()="svg"][@id="{chart_id}"]//*[local-name()="circle"][@class="point"]')
    ]


# ----------------------------------------------------------------------------- pure rendering
@pytest.mark.parametrize("chart", [column_chart, bar_chart])
def test_charts_escape_labels_and_keep_values(chart):
    svg = chart("c", [('a<b&"c', 3), ("d", 0)])
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
        rec = ArticleRecord(
            cont_id=39000001,
            title="注入测试",
            paragraphs=["正文。"],
            published_at=now,
            node_id=1,
            node_name=EVIL_COLUMN,
            tags=[EVIL_TAG, "人工智能"],
        )
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
    per_day = bars(doc, "per-period")
    assert data["unit"] == "day" and per_day == list(data["per_period"]) and len(per_day) == 10
    assert [d for d, _ in per_day][-1] == data["window_end"] == now.astimezone(SHANGHAI).date().isoformat()
    assert sum(n for _, n in per_day) == sum(n for _, n in data["per_column"]) > 0
    assert bars(doc, "per-column") == data["per_column"]
    assert (EVIL_COLUMN, 1) in bars(doc, "per-column")
    tags = bars(doc, "top-tags")
    assert tags == data["top_tags"] and set(tags[:2]) == {("人工智能", 2), (EVIL_TAG, 2)}
    labels = [t.text for t in doc.xpath('//*[local-name()="svg"]//*[local-name()="text"][@class="label"]')]
    assert EVIL_TAG in labels and EVIL_COLUMN in labels
    keywords = bars(doc, "top-keywords")
    assert keywords == data["top_keywords"] and keywords[0] == ("人工智能", 2)  # 31000001 and 31000002
    trend = points(doc, "trends")  # the top 5 keywords, a point per day each
    assert len(trend) == 5 * 10 and {t for t, _, _ in trend} == {k for k, _ in keywords[:5]}
    assert sum(n for t, _, n in trend if t == "人工智能") == 2  # in the text of 31000001 and 31000002


def test_report_charts_the_terms_asked_for(filled, tmp_path):
    url, _, Session, now, _ = filled
    out = tmp_path / "r.html"
    assert main(["report", "--db", url, "-o", str(out), "--days", "10", "--trend", "芯片", "--trend", "ai"]) == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    got = points(doc, "trends")
    assert {t for t, _, _ in got} == {"芯片", "ai"} and len(got) == 2 * 10
    assert sum(n for t, _, n in got if t == "芯片") == 2  # 31000001 and the gone 31000006 (its title)
    assert sum(n for t, _, n in got if t == "ai") == 1  # 31000009 "AI绘画": A-Z fold as search does


def test_report_window_ends_at_the_newest_article_of_an_old_archive(filled):
    _, _, Session, now, _ = filled
    later = now + timedelta(days=400)  # nobody crawled for a year: the chart still shows the last days
    with Session() as s:
        data = report_data(s, days=30, now=later)
    assert data["window_end"] == now.astimezone(SHANGHAI).date().isoformat()
    assert sum(n for _, n in data["per_period"]) == 10  # all but the 40-day-old article


# ----------------------------------------------------------------------------- axes, for any span
@given(st.integers(min_value=0, max_value=10**7))
def test_nice_ticks_cover_the_peak_in_a_few_round_steps(peak):
    ticks = nice_ticks(peak)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= peak and 3 <= len(ticks) <= 9
    assert all(b - a == step for a, b in zip(ticks, ticks[1:]))
    assert re.fullmatch(r"[125]0*", str(step))
    assert ticks[-2] < max(peak, 2)  # no empty step above the peak (but at least 0, 1, 2)


@pytest.mark.parametrize("n", [1, 7, 30, 59, 165, 400, 5000])
def test_column_chart_keeps_its_width_and_labels_the_newest_period(n):
    start = date(2013, 1, 1)
    pts = [((start + timedelta(days=i)).isoformat(), i % 5) for i in range(n)]
    doc = lxml.html.fromstring(column_chart("c", pts, x_title="day", y_title="articles"))
    svg = doc.xpath('//*[local-name()="svg"]')[0]
    assert int(svg.get("width")) == CHART_W and svg.get("viewbox") == f"0 0 {CHART_W} {svg.get('height')}"
    rects = doc.xpath('//*[local-name()="rect"][@class="bar"]')
    assert len(rects) == n and all(float(r.get("x")) + float(r.get("width")) <= CHART_W for r in rects)
    assert [float(r.get("x")) for r in rects] == sorted(float(r.get("x")) for r in rects)  # oldest left
    xlabels = [t.text for t in doc.xpath('//*[local-name()="text"][contains(@class,"xlabel")]')]
    assert xlabels[-1] == pts[-1][0] and 1 <= len(xlabels) <= 12
    titles = [t.text for t in doc.xpath('//*[local-name()="text"][@class="axis-title"]')]
    assert titles == ["day", "articles"]


def test_line_chart_draws_a_point_per_period_and_series():
    labels = ["2026-01", "2026-02", "2026-03"]
    doc = lxml.html.fromstring(line_chart("t", labels, [("芯片", [1, 0, 4]), ("<b>", [2, 2, 2])]))
    assert points(doc, "t") == [
        ("芯片", "2026-01", 1),
        ("芯片", "2026-02", 0),
        ("芯片", "2026-03", 4),
        ("<b>", "2026-01", 2),
        ("<b>", "2026-02", 2),
        ("<b>", "2026-03", 2),
    ]
    assert len(doc.xpath('//*[local-name()="polyline"]')) == 2


def test_font_stack_reaches_the_usual_cjk_fonts():
    for family in (
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "PingFang SC",
        "Microsoft YaHei",
        "WenQuanYi Zen Hei",
        "Hiragino Sans GB",
    ):
        assert f'"{family}"' in FONT_STACK
    assert FONT_STACK.rstrip().endswith("sans-serif")


def test_report_usage_errors_are_one_line(filled, tmp_path):
    url = filled[0]
    cases = [
        (
            ["--since", "2026-12-05", "--end", "2026-12-01"],
            "thepaper-archive: error: the window starts (2026-12-05) after it ends (2026-12-01)",
        ),
        (
            ["--since", "2026-01-01", "--days", "3"],
            "thepaper-archive: error: --since and --days both choose the first day: give one of them",
        ),
        (["--trend", " "], "thepaper-archive: error: empty term"),
    ]
    for extra, line in cases:
        proc = run_cli("report", "--db", url, "-o", str(tmp_path / "r.html"), *extra)
        assert proc.returncode == 2 and messages(proc.stderr) == [line], proc.stderr
    assert not (tmp_path / "r.html").exists()


# ----------------------------------------------------------------------------- 30, 400, 5,000 days in Chromium
TERMS = ("人工智能", "芯片", "量子计算", "机器人")
SPANS = {30: (1, "day", 30), 400: (1, "week", None), 5000: (4, "month", None)}


def span_archive(path, days: int, every: int) -> tuple[str, date]:
    """A SQLite archive with an article every ``every`` days over ``days`` days, ending 2026-11-30."""
    url = f"sqlite:///{path}"
    engine, Session = open_archive(url, create=True)
    last = date(2026, 11, 30)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    records = []
    for i in range(0, days, every):
        day = last - timedelta(days=i)
        term = TERMS[(i // every) % len(TERMS)]
        records.append(
            (
                with_keywords(
                    ArticleRecord(
                        cont_id=40_000_000 + i,
                        title=f"{term}产业观察：第{i}期",
                        published_at=datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI),
                        node_id=25950 + i % 3,
                        node_name=("科技湃", "智能车", "未来2%_实验室")[i % 3],
                        tags=[term, "科技"],
                        paragraphs=[f"{term}领域的企业继续加大投入。", "业内人士认为，竞争仍将持续。"],
                    )
                ),
                None,
            )
        )
    with Session() as s:
        save_articles(s, records, now=now)
        s.commit()
    engine.dispose()
    return url, last


@pytest.mark.parametrize("days", sorted(SPANS))
def test_report_fits_the_window_and_draws_every_chart_in_chromium(days, tmp_path):
    every, unit, n_periods = SPANS[days]
    fonts = cjk_fonts()
    assert fonts, "no CJK font could be installed"
    url, last = span_archive(tmp_path / "a.sqlite3", days, every)
    out = tmp_path / "report.html"
    assert main(["report", "--db", url, "-o", str(out), "--days", str(days)]) == 0
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    per_period = bars(doc, "per-period")
    assert sum(n for _, n in per_period) == len(range(0, days, every))
    assert n_periods is None or len(per_period) == n_periods
    assert per_period[-1][0] == {"day": "2026-11-30", "week": "2026-W49", "month": "2026-11"}[unit]
    assert all(re.match(r"^(19|20)\d\d-", lab) for lab, _ in per_period)  # every period names its year
    trend_points = points(doc, "trends")
    partial = doc.xpath('//*[local-name()="svg"][@id="per-period"]//*[@class="bar partial"]/@data-label')
    # 400 days from Monday 2025-10-27 to Monday 2026-11-30; 5,000 days from 2013-03-24 to the end of November
    assert partial == {"day": [], "week": ["2026-W49"], "month": ["2013-03"]}[unit]
    series = {t for t, _, _ in trend_points}  # the top 5 keywords, a point per period each
    assert len(series) == 5 and len(trend_points) == len(per_period) * 5

    with DevTools(tmp_path / "profile") as browser:
        for width in (1280, 480):  # a desktop and a phone
            browser.open(out.as_uri(), width, 900)
            page = browser.evaluate("""(() => {
                const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height]; };
                return {
                  scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
                  charts: [...document.querySelectorAll('svg.chart')].map(svg => ({
                    id: svg.id, box: box(svg),
                    marks: [...svg.querySelectorAll('.bar, .point')].map(m => [+m.dataset.value, ...box(m)]),
                    ticks: svg.querySelectorAll('.tick').length,
                    titles: svg.querySelectorAll('.axis-title').length,
                    newest: (() => { const l = [...svg.querySelectorAll('.xlabel')].pop();
                                     return l ? [l.textContent, ...box(l)] : null; })(),
                  })),
                };
            })()""")
            assert page["scroll"] <= page["inner"], f"the page is wider than a {width}px window"
            charts = {c["id"]: c for c in page["charts"]}
            assert set(charts) == {"per-period", "per-column", "top-tags", "top-keywords", "trends"}
            for c in charts.values():
                left, right, w, h = c["box"]
                assert 0 <= left and right <= page["inner"] and w > 0 and h > 0, c["id"]
                assert c["marks"], c["id"]
                for value, m_left, m_right, m_w, m_h in c["marks"]:  # every mark drawn, inside its chart
                    assert left - 0.5 <= m_left and m_right <= right + 0.5, c["id"]
                    assert value == 0 or (m_w > 0 and m_h > 0), c["id"]
            for chart_id in ("per-period", "trends"):
                c = charts[chart_id]
                assert c["ticks"] >= 3 and c["titles"] == 2
                label_, l_left, l_right, _, _ = c["newest"]
                assert label_ == per_period[-1][0] and c["box"][0] <= l_left and l_right <= c["box"][1]
            # the period charts' text is legible at both widths (it was 4 px high at 480)
            heights = browser.evaluate("""[...document.querySelectorAll(
                '#per-period text, #trends text')].map(e => e.getBoundingClientRect().height)""")
            assert heights and min(heights) >= 9.5, (width, min(heights))
        used = browser.fonts_for("#top-keywords text.label")
        assert set(used) & set(fonts), f"Chinese labels drawn with {used}, not a CJK font ({fonts})"


def test_report_as_typed_names_hidden_series_and_the_whole_archive_totals(tmp_path):
    """Trend series that are identical are drawn on top of each other: the legend says which one
    each equals; the totals table says it counts the whole archive, not the days shown."""
    url, _ = span_archive(tmp_path / "a.sqlite3", 30, 1)  # every article holds the same keywords
    out = tmp_path / "report.html"
    proc = run_cli("report", "--db", url, "-o", str(out), "--days", "30")
    assert proc.returncode == 0 and proc.stderr.strip().splitlines() == [f"report written to {out}"]
    doc = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    legend = doc.xpath('//*[local-name()="svg"][@id="trends"]//*[@class="label"]/text()')
    first = legend[0]
    assert len(legend) == 5 and " = " not in first and all(x.endswith(f" = {first}") for x in legend[1:])
    dashed = doc.xpath('//*[local-name()="svg"][@id="trends"]//*[local-name()="polyline"]/@stroke-dasharray')
    assert len(dashed) == 4
    assert doc.xpath('//table[@id="totals"]/caption/text()') == [
        "The whole archive, every day (not only the days below)"
    ]


@pytest.mark.parametrize(
    "series,legend,dashed",
    [
        ([("x", [1, 2]), ("y", [2, 1])], ["x", "y"], 0),  # different series: each its own name, solid
        ([("x", [1, 2]), ("y", [2, 1]), ("z", [1, 2])], ["x", "y", "z = x"], 1),
        ([("x", [0, 0]), ("y", [0, 0]), ("z", [0, 0])], ["x", "y = x", "z = x"], 2),
    ],
)
def test_identical_trend_series_are_named_in_the_legend(series, legend, dashed):
    svg = lxml.html.fromstring(line_chart("t", ["a", "b"], series))
    assert svg.xpath('//*[@class="label"]/text()') == legend
    assert len(svg.xpath("//polyline[@stroke-dasharray]")) == dashed
