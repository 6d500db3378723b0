"""A self-contained HTML report over any span of days: articles per day, week or month,
per column, top tags, top keywords and the trends of a few terms.

Charts are inline SVG drawn here; no script, no external resource (a
Content-Security-Policy forbids both), and every stored string is HTML-escaped.
Every chart has a fixed drawing width that scales down to the window (``viewBox``,
``max-width: 100%``), so 30 days and 5,000 days fit alike: the periods are days up to
60 days, weeks up to 730, months beyond (:func:`storage.periods.choose_unit`), labelled
with their year, newest at the right; the y axis has a few round ticks and every axis a
title. The text uses a CSS font stack that reaches the usual CJK fonts of Windows, macOS,
Android and Linux (Noto/Source Han, WenQuanYi, Microsoft YaHei, PingFang...).
Each mark carries ``data-label``/``data-value`` (and ``data-series`` on trend points) so
tools (and tests) can read it back.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.keywords import keyword_coverage, top_keywords
from storage.models import Article, ArticleTag, Tag
from storage.periods import Window, bucket, choose_unit, label, next_period
from storage.stats import daily_by_column, resolve_window, totals
from storage.trends import term_trends
from storage.types import SHANGHAI

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: Terms charted when none are asked for: the window's top keywords.
DEFAULT_TREND_TERMS = 5
#: The axis title of each period.
UNIT_TITLES = {
    "day": "day (Asia/Shanghai)",
    "week": "ISO week, Monday to Sunday (Asia/Shanghai)",
    "month": "month (Asia/Shanghai)",
}


def report_data(
    session: Session,
    *,
    days: int | None = 30,
    now: datetime,
    top: int = 15,
    end: date | None = None,
    since: date | None = None,
    trend_terms: list[str] | None = None,
    forms=None,
) -> dict[str, Any]:
    """Everything the page shows, for the window that ends on ``end`` (default: the day of
    the newest article, :func:`storage.stats.window_end`) and starts on ``since`` (else
    ``days`` before): articles per period (every period, zeros included), per column, the
    top tags and keywords, and per period the articles that mention each of
    ``trend_terms`` (default: the window's top keywords), each in any of its ``forms``
    (the Simplified forms of a Traditional term, from the caller)."""
    window = resolve_window(session, now=now, since=since, until=end, days=None if since else days)
    unit = choose_unit(window.days)
    daily = daily_by_column(session, window.days, datetime.combine(window.last, datetime.min.time(), SHANGHAI))
    per_col: dict[str, int] = {}
    for r in daily:
        name = r["node_name"] or "(no column)"
        per_col[name] = per_col.get(name, 0) + r["articles"]
    per_period = bucket([(r["day"], r["articles"]) for r in daily], window, unit)
    tag_rows = session.execute(
        sa.select(Tag.name, sa.func.count().label("n"))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .join(Article, Article.cont_id == ArticleTag.cont_id)
        .where(Article.published_at >= window.since, Article.published_at < window.until)
        .group_by(Tag.name)
        .order_by(sa.desc("n"), Tag.name)
        .limit(top)
    ).all()
    keywords = top_keywords(session, window, top)
    terms = list(trend_terms) if trend_terms else [k for k, _ in keywords[:DEFAULT_TREND_TERMS]]
    trends = term_trends(session, terms, window, unit, forms=forms) if terms else None
    return {
        "generated_at": now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "days": window.days,
        "window_start": window.first.isoformat(),
        "window_end": window.last.isoformat(),
        "unit": unit,
        "totals": totals(session),
        "per_period": [(label(start, unit), n) for start, n in per_period],
        "partial_periods": [label(start, unit) for start, _ in per_period if is_partial(start, unit, window)],
        "per_column": sorted(per_col.items(), key=lambda kv: (-kv[1], kv[0])),
        "top_tags": [(name, int(n)) for name, n in tag_rows],
        "top_keywords": keywords,
        "keyword_coverage": keyword_coverage(session, window),
        "trends": trends,
    }


def is_partial(start: date, unit: str, window: Window) -> bool:
    """Whether the window holds only some days of the period that starts on ``start``."""
    return start < window.first or next_period(start, unit) - timedelta(days=1) > window.last


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(peak: float, target: int = 4) -> list[int]:
    """Round y ticks from 0 to at least ``peak``: about ``target`` steps of 1, 2 or 5 × 10^k
    (at least two)."""
    peak = max(float(peak), 1.0)
    raw = peak / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(1, int(round(step)))
    return list(range(0, max(int(math.ceil(peak / step)), 2) * step + 1, step))


#: The drawing size of the period charts; the page scales them down to the window.
CHART_W, CHART_H = 960, 300
_LEFT, _RIGHT, _BOTTOM = 84, 64, 64
_LABEL_PX = 130  # room one x label needs, at the larger size a narrow window draws it (NARROW_FONT)
#: On a window of at most NARROW_PX, the period charts' text is drawn NARROW_FONT drawing units
#: high: about 10 px on a 480 px phone, where the 960-unit drawing is scaled to ~450 px.
NARROW_PX, NARROW_FONT = 640, 22
PALETTE = ("#3b6ea8", "#d9822b", "#3f9c5a", "#c23b3b", "#7d5ba6", "#8c6d3f", "#d65fa6", "#6f7f8f")


class _Axes:
    """The frame shared by the period charts: x slots for ``n`` periods, y ticks to ``peak``."""

    def __init__(self, n: int, peak: float, top: int):
        self.n, self.top = max(n, 1), top
        self.ticks = nice_ticks(peak)
        self.ymax = self.ticks[-1]
        self.plot_w = CHART_W - _LEFT - _RIGHT
        self.plot_h = CHART_H - _BOTTOM - top
        self.slot = self.plot_w / self.n

    def x(self, i: int) -> float:
        """The centre of slot ``i``."""
        return _LEFT + (i + 0.5) * self.slot

    def y(self, value: float) -> float:
        return self.top + self.plot_h * (1 - value / self.ymax)

    def frame(self, labels: list[str], x_title: str, y_title: str) -> list[str]:
        """Grid lines and y ticks, x labels (every k-th, the newest always), both axis titles."""
        base = self.top + self.plot_h
        out = []
        for t in self.ticks:
            y = _fmt(self.y(t))
            out.append(
                f'<line class="grid" x1="{_LEFT}" y1="{y}" x2="{_LEFT + self.plot_w}" y2="{y}"/>'
                f'<text class="axis tick" x="{_LEFT - 6}" y="{_fmt(self.y(t) + 4)}" text-anchor="end">{t}</text>'
            )
        out.append(f'<line class="axis-line" x1="{_LEFT}" y1="{base}" x2="{_LEFT + self.plot_w}" y2="{base}"/>')
        every = max(1, math.ceil(len(labels) * _LABEL_PX / self.plot_w))
        last = len(labels) - 1
        for i, text in enumerate(labels):
            if (last - i) % every == 0:
                out.append(
                    f'<line class="axis-line" x1="{_fmt(self.x(i))}" y1="{base}" x2="{_fmt(self.x(i))}" '
                    f'y2="{base + 4}"/><text class="axis xlabel" x="{_fmt(self.x(i))}" y="{base + 24}" '
                    f'text-anchor="middle">{escape(text)}</text>'
                )
        out.append(
            f'<text class="axis-title" x="{_LEFT + self.plot_w / 2}" y="{CHART_H - 10}" '
            f'text-anchor="middle">{escape(x_title)}</text>'
            f'<text class="axis-title" transform="translate(24,{self.top + self.plot_h / 2}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_title)}</text>'
        )
        return out


def _svg_open(chart_id: str, w: int, h: int, cls: str = "chart") -> str:
    return (
        f'<svg id="{chart_id}" class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}" role="img">'
    )


def column_chart(
    chart_id: str,
    points: list[tuple[str, int]],
    *,
    x_title: str = "day",
    y_title: str = "articles",
    partial: frozenset[str] | set[str] = frozenset(),
) -> str:
    """Vertical bars, one per (period label, value), oldest at the left, in a fixed drawing width;
    the periods in ``partial`` (only partly inside the window) lighter."""
    axes = _Axes(len(points), max([v for _, v in points] + [1]), top=14)
    bar_w = max(axes.slot * 0.8, 0.5)
    parts = [
        _svg_open(chart_id, CHART_W, CHART_H, "chart period"),
        *axes.frame([p for p, _ in points], x_title, y_title),
    ]
    for i, (lab, value) in enumerate(points):
        val = int(value)
        y = axes.y(val)
        cls, note = ("bar partial", " (part of the period)") if lab in partial else ("bar", "")
        lab = escape(str(lab))
        parts.append(
            f'<rect class="{cls}" x="{_fmt(axes.x(i) - bar_w / 2)}" y="{_fmt(y)}" width="{_fmt(bar_w)}" '
            f'height="{_fmt(axes.top + axes.plot_h - y)}" data-label="{lab}" data-value="{val}">'
            f"<title>{lab}: {val}{note}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    chart_id: str,
    labels: list[str],
    series: list[tuple[str, list[int]]],
    *,
    x_title: str = "day",
    y_title: str = "articles",
) -> str:
    """One line per (name, values over ``labels``), a point per period, a legend above. A series
    identical to an earlier one is drawn dashed over it, and its legend says which it equals
    (``B = A``): a line hidden under another is named."""
    peak = max([v for _, values in series for v in values] + [1])
    axes = _Axes(len(labels), peak, top=44)
    parts = [_svg_open(chart_id, CHART_W, CHART_H, "chart period"), *axes.frame(labels, x_title, y_title)]
    lx = _LEFT
    first_of: dict[tuple[int, ...], str] = {}
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        name_e = escape(str(name))
        same = first_of.setdefault(tuple(values), str(name))
        shown = name_e if same == str(name) else f"{name_e} = {escape(same)}"
        dash = "" if same == str(name) else ' stroke-dasharray="8 6"'
        parts.append(
            f'<rect class="legend" x="{lx}" y="10" width="14" height="14" fill="{color}"/>'
            f'<text class="label" x="{lx + 18}" y="24">{shown}</text>'
        )
        lx += 36 + 24 * len(shown)
        coords = " ".join(f"{_fmt(axes.x(i))},{_fmt(axes.y(v))}" for i, v in enumerate(values))
        parts.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2"{dash} points="{coords}"/>')
        r = 2.5 if axes.slot >= 4 else 1.5
        for i, v in enumerate(values):
            lab = escape(str(labels[i]))
            parts.append(
                f'<circle class="point" cx="{_fmt(axes.x(i))}" cy="{_fmt(axes.y(v))}" r="{r}" '
                f'fill="{color}" data-series="{name_e}" data-label="{lab}" data-value="{int(v)}">'
                f"<title>{name_e} {lab}: {int(v)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(chart_id: str, points: list[tuple[str, int]]) -> str:
    """Horizontal bars with their label and value, one row per (label, value)."""
    row_h, label_w, bar_max = 24, 200, 360
    w, h = label_w + bar_max + 60, max(len(points), 1) * row_h + 8
    peak = max([v for _, v in points] + [1])
    parts = [_svg_open(chart_id, w, h)]
    for i, (label_, value) in enumerate(points):
        y = 4 + i * row_h
        bw = bar_max * value / peak
        lab, val = escape(str(label_)), int(value)
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">{lab}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{_fmt(bw)}" height="{row_h - 6}" '
            f'data-label="{lab}" data-value="{val}"><title>{lab}: {val}</title></rect>'
            f'<text class="value" x="{_fmt(label_w + bw + 6)}" y="{y + 16}">{val}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


#: Chinese text first finds a CJK font: Noto/Source Han (Linux, Android), WenQuanYi (Debian's
#: fonts-wqy-*), PingFang and Hiragino (macOS, iOS), Microsoft YaHei and SimHei (Windows).
FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "Noto Sans SC", '
    '"Source Han Sans SC", "Source Han Sans CN", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", '
    'SimHei, "Heiti SC", sans-serif'
)

_STYLE = """
body{font-family:%s;margin:2em auto;padding:0 1em;max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
svg.chart{display:block;max-width:100%%;height:auto;font-family:inherit}
.chart .bar{fill:#3b6ea8}.chart .bar.partial{fill:#a9c1dd}.chart .axis,.chart .label,.chart .value{font-size:11px;fill:#444}
.chart .axis-title{font-size:12px;fill:#222}.chart .grid{stroke:#e3e3e3}.chart .axis-line{stroke:#888}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}
td:first-child,th:first-child{text-align:left}.empty,.note{color:#888}caption{text-align:left;color:#444}
.chart.period .label{font-size:13px}
@media (max-width:%dpx){.chart.period .axis,.chart.period .axis-title,.chart.period .label{font-size:%dpx}}
""" % (FONT_STACK, NARROW_PX, NARROW_FONT)


def render_html(data: dict[str, Any]) -> str:
    t = data["totals"]
    rows = [
        ("articles", t["articles"]),
        *((f"– {k}", v) for k, v in t["articles_by_type"].items()),
        ("tags", t["tags"]),
        ("raw pages", t["raw_pages"]),
        ("failures open / dead", f"{t['failures_open']} / {t['failures_dead']}"),
    ]
    table = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)

    def section(title: str, chart: str, points, note: str = "") -> str:
        body = chart if points and any(v for _, v in points) else '<p class="empty">no data</p>'
        return f"<h2>{escape(title)}</h2>\n{body}\n" + (f'<p class="note">{escape(note)}</p>\n' if note else "")

    unit, x_title = data["unit"], UNIT_TITLES[data["unit"]]
    span = f"{data['window_start']} to {data['window_end']}"
    trends = data.get("trends")
    if trends:
        labels = [p["period"] for p in trends["periods"]]
        series = [(s["term"], s["counts"]) for s in trends["series"]]
        trend_html = section(
            f"Articles per {unit} mentioning each term ({span})",
            line_chart("trends", labels, series, x_title=x_title, y_title="articles"),
            [(name, sum(values)) for name, values in series],
        )
    else:
        trend_html = section(f"Articles per {unit} mentioning each term ({span})", "", [])
    missing = data.get("keyword_coverage", {}).get("not_yet_reprocessed", 0)
    kw_note = (
        f"{missing} articles of the window were stored by an older cleaner and have no keywords yet "
        "(thepaper-archive reprocess fills them)."
        if missing
        else ""
    )
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>thepaper archive report</title>",
            f"<style>{_STYLE}</style></head><body>\n",
            f"<h1>thepaper.cn archive report</h1>\n<p>Generated {escape(data['generated_at'])} "
            f"(Asia/Shanghai); the {int(data['days'])} days to {escape(data['window_end'])}, from "
            f"{escape(data['window_start'])}, per {escape(unit)}.</p>\n",
            f'<table id="totals"><caption>The whole archive, every day (not only the days below)</caption>'
            f"<tr><th>whole archive</th><th>count</th></tr>{table}</table>\n",
            section(
                f"Articles per {unit} ({span})",
                column_chart(
                    "per-period",
                    data["per_period"],
                    x_title=x_title,
                    y_title="articles",
                    partial=frozenset(data.get("partial_periods", ())),
                ),
                data["per_period"],
                f"Lighter bars: {unit}s the window holds only in part ({', '.join(data['partial_periods'])})."
                if data.get("partial_periods")
                else "",
            ),
            section("Articles per column", bar_chart("per-column", data["per_column"]), data["per_column"]),
            section("Top tags", bar_chart("top-tags", data["top_tags"]), data["top_tags"]),
            section("Top keywords", bar_chart("top-keywords", data["top_keywords"]), data["top_keywords"], kw_note),
            trend_html,
            "</body></html>\n",
        ]
    )
