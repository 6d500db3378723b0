"""Numbers about the archive at a glance: totals, recent articles per day per column,
failures by reason, the last runs, the last crawl's field coverage beside the trailing coverage. :func:`collect` returns plain JSON-ready data;
:func:`format_stats` turns it into aligned text tables."""

from __future__ import annotations

import unicodedata
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.coverage import DEFAULT_WINDOW_DAYS, FIELDS, last_judged_run, side_by_side, trailing_coverage
from storage.models import Article, CrawlRun, Failure, RawPage, Tag
from storage.periods import Window, make_window
from storage.types import SHANGHAI

RUN_COUNTERS = ("new", "updated", "unchanged", "gone", "failed")


def totals(session: Session) -> dict[str, Any]:
    by_type = dict(
        session.execute(
            sa.select(Article.content_type, sa.func.count())
            .group_by(Article.content_type)
            .order_by(Article.content_type)
        ).all()
    )
    pages, packed, unpacked = session.execute(
        sa.select(
            sa.func.count(RawPage.id),
            sa.func.coalesce(sa.func.sum(sa.func.length(RawPage.body)), 0),
            sa.func.coalesce(sa.func.sum(RawPage.body_size), 0),
        )
    ).one()
    dead = dict(session.execute(sa.select(Failure.dead, sa.func.count()).group_by(Failure.dead)).all())
    return {
        "articles": sum(by_type.values()),
        "articles_by_type": by_type,
        "tags": session.scalar(sa.select(sa.func.count(Tag.id))),
        "raw_pages": pages,
        "raw_bytes_compressed": int(packed),
        "raw_bytes_uncompressed": int(unpacked),
        "failures_open": dead.get(False, 0),
        "failures_dead": dead.get(True, 0),
    }


def first_day(days: int, now: datetime) -> date:
    """The first Asia/Shanghai day of the last ``days`` days ending today."""
    return now.astimezone(SHANGHAI).date() - timedelta(days=max(days, 1) - 1)


def daily_by_column(session: Session, days: int, now: datetime) -> list[dict[str, Any]]:
    """Rows of the ``daily_counts`` view for the last ``days`` Shanghai days up to today, newest first."""
    stmt = sa.text(
        "SELECT day, node_id, node_name, articles FROM daily_counts WHERE day >= :d AND day <= :t "
        "ORDER BY day DESC, articles DESC, node_name"
    ).bindparams(
        sa.bindparam("d", first_day(days, now), type_=sa.Date),
        sa.bindparam("t", now.astimezone(SHANGHAI).date(), type_=sa.Date),
    )
    return [
        {"day": str(day), "node_id": node_id, "node_name": name or "", "articles": int(n)}
        for day, node_id, name, n in session.execute(stmt)
    ]


def failures_by_reason(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(Failure.reason, Failure.dead, sa.func.count()).group_by(Failure.reason, Failure.dead)
    )
    out: dict[str, dict[str, Any]] = {}
    for reason, dead, n in rows:
        item = out.setdefault(reason, {"reason": reason, "open": 0, "dead": 0})
        item["dead" if dead else "open"] += n
    return sorted(out.values(), key=lambda r: (-(r["open"] + r["dead"]), r["reason"]))


def run_duration(run: CrawlRun) -> float | None:
    """Seconds the run took: its ``duration_s`` counter, else finished - started."""
    value = (run.counters or {}).get("duration_s")
    if isinstance(value, (int, float)):
        return float(value)
    if run.finished_at and run.started_at:
        return (run.finished_at - run.started_at).total_seconds()
    return None


def last_runs(session: Session, n: int = 10) -> list[dict[str, Any]]:
    runs = session.scalars(sa.select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(n))
    return [
        {
            "id": r.id,
            "command": r.command,
            "status": r.status,
            "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            **{k: int((r.counters or {}).get(k, 0) or 0) for k in RUN_COUNTERS},
            "duration_s": run_duration(r),
            "message": None if r.message in (None, "", "finished") else r.message,
        }
        for r in runs
    ]


def newest_published(session: Session) -> datetime | None:
    """When the archive's newest article was published (None for an empty archive)."""
    return session.scalar(sa.select(sa.func.max(Article.published_at)))


def window_end(session: Session, now: datetime, end: date | None = None) -> datetime:
    """The last moment of a "last N days" window: the given day's end, else the newest
    article's publication (an archive not crawled lately still shows its last days), else now."""
    if end is not None:
        return datetime.combine(end, datetime.max.time(), SHANGHAI)
    newest = newest_published(session)
    return newest.astimezone(SHANGHAI) if newest is not None else now


def oldest_published(session: Session) -> datetime | None:
    """When the archive's oldest article was published (None for an empty archive)."""
    return session.scalar(sa.select(sa.func.min(Article.published_at)))


def resolve_window(
    session: Session, *, now: datetime, since: date | None = None, until: date | None = None, days: int | None = None
) -> Window:
    """The Asia/Shanghai days an analysis covers: to ``until`` (default: the day of the newest
    article, :func:`window_end`), from ``since``, else the last ``days`` days, else the day of
    the oldest article. ValueError when it would start after it ends."""
    last = until if until is not None else window_end(session, now).date()
    if since is None and not days:
        oldest = oldest_published(session)
        since = min(oldest.astimezone(SHANGHAI).date(), last) if oldest is not None else last
    return make_window(last=last, first=since, days=days)


def coverage_summary(session: Session, now: datetime, days: float = DEFAULT_WINDOW_DAYS) -> dict[str, Any] | None:
    """The last crawl run's field coverage beside the archive's trailing coverage (that run
    excluded), with the run's layout-drift check; None before any run recorded coverage."""
    run = last_judged_run(session)
    if run is None:
        return None
    base, about = trailing_coverage(session, now=now, days=days, exclude_run_id=run.id)
    return {
        "run_id": run.id,
        "status": run.status,
        "drift": run.drift or {},
        "baseline": about,
        "figures": side_by_side(run.coverage, base),
    }


def collect(
    session: Session, *, days: int = 14, now: datetime, runs: int = 10, end: date | None = None
) -> dict[str, Any]:
    """Everything ``stats`` shows; the per-day window ends at :func:`window_end`."""
    last = window_end(session, now, end)
    return {
        "generated_at": now.astimezone(SHANGHAI).isoformat(),
        "days": days,
        "window_end": last.date().isoformat(),
        "totals": totals(session),
        "daily": daily_by_column(session, days, last),
        "failures_by_reason": failures_by_reason(session),
        "runs": last_runs(session, runs),
        "coverage": coverage_summary(session, now),
    }


# ----------------------------------------------------------------------------- text
def width(text: str) -> int:
    """Terminal columns taken by ``text`` (CJK wide characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[Any]], right: AbstractSet[int] = frozenset()) -> str:
    """An aligned text table; columns in ``right`` (indexes) are right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]

    def line(row):
        parts = []
        for i, v in enumerate(row):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if i in right else v + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def pivot_daily(daily: list[dict[str, Any]], max_columns: int = 8) -> tuple[list[str], list[list[Any]]]:
    """Days down, columns across (the busiest ``max_columns``, the rest summed as "other")."""
    per_col: dict[str, int] = {}
    for r in daily:
        name = r["node_name"] or "(none)"
        per_col[name] = per_col.get(name, 0) + r["articles"]
    cols = sorted(per_col, key=lambda c: (-per_col[c], c))
    shown, rest = cols[:max_columns], cols[max_columns:]
    headers = ["day", *shown] + (["other"] if rest else []) + ["total"]
    days: dict[str, dict[str, int]] = {}
    for r in daily:
        name = r["node_name"] or "(none)"
        key = name if name in shown else "other"
        bucket = days.setdefault(r["day"], {})
        bucket[key] = bucket.get(key, 0) + r["articles"]
    rows = []
    for day in sorted(days, reverse=True):
        b = days[day]
        rows.append([day, *(b.get(c, 0) for c in headers[1:-1]), sum(b.values())])
    return headers, rows


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def format_coverage(cov: dict[str, Any] | None) -> list[str]:
    """The coverage section of ``stats``: fields down, content types across, each cell the
    run's share / the trailing share; then the extraction failures' shares of the pages."""
    if not cov:
        return ["Field coverage", "(no crawl has recorded coverage yet)"]
    about, fig, drift = cov["baseline"], cov["figures"], cov["drift"]
    days = f"{about['days']:g}"
    runs = f"{about['runs']} run" + ("" if about["runs"] == 1 else "s")
    out = [f"Field coverage: run {cov['run_id']} ({cov['status']}) / trailing {days} days ({runs})"]
    types = sorted(fig["types"], key=lambda t: (-sum(fig["types"][t]["articles"].values()), t))
    if types:
        headers = ["field", *types]
        rows = [
            [
                "articles",
                *(f"{fig['types'][t]['articles']['run']} / {fig['types'][t]['articles']['baseline']}" for t in types),
            ]
        ]
        rows += [
            [
                name,
                *(
                    f"{_pct(fig['types'][t]['fields'][name]['run'])} / "
                    f"{_pct(fig['types'][t]['fields'][name]['baseline'])}"
                    for t in types
                ),
            ]
            for name in FIELDS
        ]
        out.append(table(headers, rows, right=set(range(1, len(headers)))))
    else:
        out.append("(no articles)")
    pages = fig["pages"]
    fails = [f"{reason} {_pct(f['run'])} / {_pct(f['baseline'])}" for reason, f in fig["failures"].items()]
    out.append(
        f"article pages {pages['run']} / {pages['baseline']}"
        + (f"; extraction failures: {', '.join(fails)}" if fails else "; no extraction failures")
    )
    if drift.get("line"):
        out.append(f"alarm: {drift['line']}")
    elif drift.get("note"):
        out.append(f"check: {drift['note']}")
    return out


def format_stats(data: dict[str, Any]) -> str:
    t = data["totals"]
    out = [
        "Totals",
        table(
            ["what", "count"],
            [
                ["articles", t["articles"]],
                *[[f"  {k}", v] for k, v in t["articles_by_type"].items()],
                ["tags", t["tags"]],
                ["raw pages", t["raw_pages"]],
                ["  stored (compressed)", human_bytes(t["raw_bytes_compressed"])],
                ["  uncompressed", human_bytes(t["raw_bytes_uncompressed"])],
                ["failures open", t["failures_open"]],
                ["failures dead", t["failures_dead"]],
            ],
            right={1},
        ),
    ]
    headers, rows = pivot_daily(data["daily"])
    out += [
        "",
        f"Articles per day per column (last {data['days']} days to {data.get('window_end', 'today')}, Asia/Shanghai)",
        table(headers, rows, right=set(range(1, len(headers)))) if rows else "(none)",
    ]
    fails = data["failures_by_reason"]
    out += [
        "",
        "Failures by reason",
        table(["reason", "open", "dead"], [[f["reason"], f["open"], f["dead"]] for f in fails], right={1, 2})
        if fails
        else "(none)",
    ]
    runs = data["runs"]
    out += [
        "",
        "Last runs",
        table(
            ["id", "command", "started (Shanghai)", "status", *RUN_COUNTERS, "duration", "why it ended"],
            [
                [
                    r["id"],
                    r["command"],
                    r["started_at"][:19].replace("T", " "),
                    r["status"],
                    *(r[k] for k in RUN_COUNTERS),
                    "" if r["duration_s"] is None else f"{r['duration_s']:.1f}s",
                    _short(r.get("message") or ""),
                ]
                for r in runs
            ],
            right={0, 4, 5, 6, 7, 8, 9},
        )
        if runs
        else "(none)",
    ]
    out += [""] + format_coverage(data.get("coverage"))
    return "\n".join(out)
