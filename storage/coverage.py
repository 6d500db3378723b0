"""Field coverage of crawl runs (``crawl_runs.coverage``): its shape, sums and shares, and the
archive's trailing coverage that a run is compared with.

A run's coverage is counts, never shares, so that runs add up exactly::

    {"pages": 58,                                   # article pages judged (first fetches this run)
     "failures": {"empty_article": 44},             # of those, how many ended as each cleaning error
     "types": {"news": {"articles": 9, "fields": {"title": 9, "body": 9, "author": 7, ...}}, ...},
     "layouts": {"nextjs": 14},                     # layout of the stored articles
     "builds": {"9Kq2xTzB3sW1pY7dR0vLm": 58}}        # Next.js front-end build of the pages

:func:`record_fields` says which of :data:`FIELDS` a record has; :func:`merge` adds
coverages; :func:`share` reads one figure; :func:`trailing_coverage` sums the crawl runs
of the last days that were not themselves degraded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import CrawlRun

#: The fields whose coverage is measured, in display order.
FIELDS = ("title", "body", "published_at", "author", "source", "tags", "column", "images")

#: Whether a record has each field (a record is a :class:`domain.record.ArticleRecord`).
_PRESENT = {
    "title": lambda r: bool(r.title),
    "body": lambda r: any(p for p in r.paragraphs),
    "published_at": lambda r: r.published_at is not None,
    "author": lambda r: bool(r.author),
    "source": lambda r: bool(r.source),
    "tags": lambda r: bool(r.tags),
    "column": lambda r: r.node_id is not None or bool(r.node_name),
    "images": lambda r: bool(r.images),
}

#: The trailing window ``stats`` shows (the crawl's is ``THEPAPER_COVERAGE_WINDOW_DAYS``, the same default).
DEFAULT_WINDOW_DAYS = 30.0

#: Runs whose figures make the baseline: those that ended, and were not themselves alarms.
BASELINE_STATUSES = ("ok", "partial")


def record_fields(record) -> list[str]:
    """The names in :data:`FIELDS` that ``record`` has."""
    return [name for name in FIELDS if _PRESENT[name](record)]


class StoredSummary(NamedTuple):
    """What a run's counters need of a stored record: its type, layout and the fields it has
    (small enough to travel back from the writer process instead of the record)."""

    content_type: str
    layout: str | None
    fields: tuple[str, ...]


def summarize(record) -> StoredSummary:
    return StoredSummary(record.content_type, record.layout, tuple(record_fields(record)))


def empty() -> dict[str, Any]:
    return {"pages": 0, "failures": {}, "types": {}, "layouts": {}, "builds": {}}


def _add_counts(into: dict, counts: Mapping | None) -> None:
    for key, n in (counts or {}).items():
        if isinstance(n, (int, float)):
            into[key] = into.get(key, 0) + int(n)


def merge(coverages: Iterable[Mapping | None]) -> dict[str, Any]:
    """The sum of several coverages (``None`` entries are skipped)."""
    out = empty()
    for cov in coverages:
        if not cov:
            continue
        out["pages"] += int(cov.get("pages") or 0)
        for key in ("failures", "layouts", "builds"):
            _add_counts(out[key], cov.get(key))
        for ctype, figures in (cov.get("types") or {}).items():
            mine = out["types"].setdefault(ctype, {"articles": 0, "fields": {}})
            mine["articles"] += int(figures.get("articles") or 0)
            _add_counts(mine["fields"], figures.get("fields"))
    return out


def articles(cov: Mapping | None, ctype: str | None = None) -> int:
    """Articles counted in ``cov`` (of one content type, or of all)."""
    types = (cov or {}).get("types") or {}
    if ctype is not None:
        return int((types.get(ctype) or {}).get("articles") or 0)
    return sum(int(t.get("articles") or 0) for t in types.values())


def share(cov: Mapping | None, ctype: str, field: str) -> float | None:
    """Share of the ``ctype`` articles that have ``field`` (None when there are none)."""
    figures = ((cov or {}).get("types") or {}).get(ctype) or {}
    n = int(figures.get("articles") or 0)
    return (figures.get("fields") or {}).get(field, 0) / n if n else None


def failure_share(cov: Mapping | None, reason: str) -> float | None:
    """Share of the judged article pages that ended as ``reason`` (None when none were judged)."""
    pages = int((cov or {}).get("pages") or 0)
    return ((cov or {}).get("failures") or {}).get(reason, 0) / pages if pages else None


def side_by_side(run: Mapping | None, base: Mapping | None) -> dict[str, Any]:
    """Shares of a run beside its baseline, JSON-ready: per content type the articles and each
    field's share, and each failure reason's share of the pages (None where there is nothing)."""
    types = sorted(set((run or {}).get("types") or {}) | set((base or {}).get("types") or {}))
    reasons = sorted(set((run or {}).get("failures") or {}) | set((base or {}).get("failures") or {}))
    return {
        "pages": {"run": int((run or {}).get("pages") or 0), "baseline": int((base or {}).get("pages") or 0)},
        "types": {
            t: {
                "articles": {"run": articles(run, t), "baseline": articles(base, t)},
                "fields": {f: {"run": share(run, t, f), "baseline": share(base, t, f)} for f in FIELDS},
            }
            for t in types
        },
        "failures": {r: {"run": failure_share(run, r), "baseline": failure_share(base, r)} for r in reasons},
    }


def trailing_coverage(
    session: Session, *, now: datetime, days: float, exclude_run_id: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(coverage, about)``: the summed coverage of the crawl runs that finished in the
    ``days`` before ``now`` as ``ok`` or ``partial`` (a degraded run is never its own
    baseline, nor the next run's), and ``about`` = ``{"days", "runs", "since"}``."""
    since = now - timedelta(days=days)
    stmt = sa.select(CrawlRun.coverage).where(
        CrawlRun.command == "crawl",
        CrawlRun.status.in_(BASELINE_STATUSES),
        CrawlRun.finished_at >= since,
        CrawlRun.finished_at <= now,
        CrawlRun.coverage.is_not(None),
    )
    if exclude_run_id is not None:
        stmt = stmt.where(CrawlRun.id != exclude_run_id)
    covs = [c for c in session.scalars(stmt) if c]
    return merge(covs), {"days": days, "runs": len(covs), "since": since.isoformat()}


def last_judged_run(session: Session) -> CrawlRun | None:
    """The newest finished crawl run that recorded coverage."""
    stmt = (
        sa.select(CrawlRun)
        .where(CrawlRun.command == "crawl", CrawlRun.coverage.is_not(None), CrawlRun.finished_at.is_not(None))
        .order_by(CrawlRun.finished_at.desc(), CrawlRun.id.desc())
        .limit(20)
    )
    return next((run for run in session.scalars(stmt) if run.coverage), None)  # JSON null is not coverage
