"""A self-contained HTML report: articles per day, per column, top tags.

Charts are inline SVG drawn here; no script, no external resource (a
Content-Security-Policy forbids both), and every stored string is HTML-escaped.
Each bar carries ``data-label``/``data-value`` so tools (and tests) can read it back.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Article, ArticleTag, Tag
from storage.stats import daily_by_column, first_day, totals, window_end
from storage.types import SHANGHAI

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def report_data(session: Session, *, days: int, now: datetime, top: int = 15,
                end: date | None = None) -> dict[str, Any]:
    """Per day (every day of the window, zeros included), per column and top tags; the window
    ends at :func:`storage.stats.window_end` (the newest article unless ``end`` says otherwise)."""
    last = window_end(session, now, end)
    daily = daily_by_column(session, days, last)
    start = first_day(days, last)
    per_day = {str(start + timedelta(days=i)): 0 for i in range(max(days, 1))}
    per_col: dict[str, int] = {}
    for r in daily:
        per_day[r["day"]] = per_day.get(r["day"], 0) + r["articles"]
        name = r["node_name"] or "(no column)"
        per_col[name] = per_col.get(name, 0) + r["articles"]
    since = datetime.combine(start, datetime.min.time(), SHANGHAI)
    until = since + timedelta(days=max(days, 1))
    tag_rows = session.execute(
        sa.select(Tag.name, sa.func.count().label("n")).join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .join(Article, Article.cont_id == ArticleTag.cont_id).where(Article.published_at >= since, Article.published_at < until)
        .group_by(Tag.name).order_by(sa.desc("n"), Tag.name).limit(top)).all()
    return {
        "generated_at": now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "days": days,
        "window_end": last.date().isoformat(),
        "totals": totals(session),
        "per_day": sorted(per_day.items()),
        "per_column": sorted(per_col.items(), key=lambda kv: (-kv[1], kv[0])),
        "top_tags": [(name, int(n)) for name, n in tag_rows],
    }


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def column_chart(chart_id: str, points: list[tuple[str, int]], *, height: int = 220) -> str:
    """Vertical bars, one per (label, value); labels under every n-th bar."""
    n = max(len(points), 1)
    bar_w, gap, left, bottom, top = 18, 4, 40, 50, 12
    w = left + n * (bar_w + gap) + 10
    peak = max([v for _, v in points] + [1])
    plot_h = height - bottom - top
    every = max(1, n // 15)
    parts = [f'<svg id="{chart_id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" '
             f'height="{height}" viewBox="0 0 {w} {height}" role="img">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{w - 5}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>']
    for i, (label, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * (bar_w + gap)
        y = top + plot_h - h
        lab, val = escape(str(label)), int(value)
        parts.append(f'<rect class="bar" x="{x}" y="{_fmt(y)}" width="{bar_w}" height="{_fmt(h)}" '
                     f'data-label="{lab}" data-value="{val}"><title>{lab}: {val}</title></rect>')
        if i % every == 0:
            parts.append(f'<text class="axis" transform="translate({x + bar_w / 2},{top + plot_h + 8}) '
                         f'rotate(60)">{escape(str(label)[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(chart_id: str, points: list[tuple[str, int]]) -> str:
    """Horizontal bars with their label and value, one row per (label, value)."""
    row_h, label_w, bar_max = 24, 200, 360
    w, h = label_w + bar_max + 60, max(len(points), 1) * row_h + 8
    peak = max([v for _, v in points] + [1])
    parts = [f'<svg id="{chart_id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" '
             f'height="{h}" viewBox="0 0 {w} {h}" role="img">']
    for i, (label, value) in enumerate(points):
        y = 4 + i * row_h
        bw = bar_max * value / peak
        lab, val = escape(str(label)), int(value)
        parts.append(f'<text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">{lab}</text>'
                     f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{_fmt(bw)}" height="{row_h - 6}" '
                     f'data-label="{lab}" data-value="{val}"><title>{lab}: {val}</title></rect>'
                     f'<text class="value" x="{_fmt(label_w + bw + 6)}" y="{y + 16}">{val}</text>')
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
.chart .bar{fill:#3b6ea8}.chart .axis,.chart .label,.chart .value{font-size:11px;fill:#444}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}
td:first-child,th:first-child{text-align:left}.empty{color:#888}
"""


def render_html(data: dict[str, Any]) -> str:
    t = data["totals"]
    rows = [("articles", t["articles"]), *((f"– {k}", v) for k, v in t["articles_by_type"].items()),
            ("tags", t["tags"]), ("raw pages", t["raw_pages"]),
            ("failures open / dead", f'{t["failures_open"]} / {t["failures_dead"]}')]
    table = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)

    def section(title: str, chart: str, points) -> str:
        body = chart if points else '<p class="empty">no data</p>'
        return f"<h2>{escape(title)}</h2>\n{body}\n"

    days = data["days"]
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        "<title>thepaper archive report</title>",
        f"<style>{_STYLE}</style></head><body>\n",
        f"<h1>thepaper.cn archive report</h1>\n<p>Generated {escape(data['generated_at'])} "
        f"(Asia/Shanghai); the {int(days)} days to {escape(data.get('window_end', ''))}.</p>\n",
        f'<table id="totals"><tr><th>total</th><th>count</th></tr>{table}</table>\n',
        section(f"Articles per day (last {days} days)", column_chart("per-day", data["per_day"]),
                data["per_day"]),
        section("Articles per column", bar_chart("per-column", data["per_column"]), data["per_column"]),
        section("Top tags", bar_chart("top-tags", data["top_tags"]), data["top_tags"]),
        "</body></html>\n",
    ])
