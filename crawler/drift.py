"""The layout-drift alarm: a run's field coverage against the archive's trailing coverage.

A new front-end build of the site (new CSS-module hashes, a renamed JSON field, a byline
moved) rarely breaks a crawl: the run "succeeds" while authors, times or whole bodies go
missing. Each monitor below is one function ``(run, baseline, thresholds) -> findings``
over two coverages (:mod:`storage.coverage`); :data:`MONITORS` lists them, and
:func:`judge` runs them all and says what the run is:

* ``alarm``: at least one finding; the run is marked ``degraded`` and the crawl exits 7;
* ``ok``: judged, nothing found;
* ``too_few``: too few articles or pages this run to judge any figure;
* ``no_baseline``: nothing comparable in the trailing window (a first crawl, a long pause).

A figure is judged only where both the run and the baseline have at least
``min_articles`` of it (articles of one content type, or judged pages), and it counts
as a finding only when the change is larger than the threshold *and* than ``z`` binomial
standard errors of the baseline share at the run's size (so that a 20-article run does
not alarm on chance). Everything is per content type: a video has no body.

This is spidermon's idea (field-coverage and error-count monitors, then actions) with
one difference it does not have: the rules compare a run with the archive's own
trailing figures, not with fixed shares.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from storage.coverage import FIELDS, articles, failure_share, share

#: Cleaning errors that mean the extractor no longer understands the page.
WATCHED_FAILURES = ("unknown_layout", "empty_article", "truncated_page")

#: A custom Scrapy signal, sent by the run recorder (:mod:`crawler.runrecorder`) when the alarm
#: fires: ``verdict`` (a :class:`Verdict`), ``report`` (the JSON-ready figures).
#: :class:`crawler.alerts.AlertCommand` runs the hook on it.
layout_drift_alarm = object()


@dataclass(frozen=True)
class Thresholds:
    """The alarm's thresholds: the ``THEPAPER_ALARM_*`` settings (their defaults and meaning are in
    crawler/settings.py, the one place for them) and the baseline's window."""

    field_drop: float  # a field's share falls by more than this (0.20 = 20 points)
    failure_rise: float  # a watched failure's share of the pages rises by more than this
    min_articles: int  # at least this many articles of a type (pages, for failures) to judge
    z: float  # and by more than this many standard errors of the baseline share
    window_days: float  # the trailing window of the baseline

    @classmethod
    def from_settings(cls, settings) -> Thresholds:
        return cls(
            field_drop=settings.getfloat("THEPAPER_ALARM_FIELD_DROP"),
            failure_rise=settings.getfloat("THEPAPER_ALARM_FAILURE_RISE"),
            min_articles=settings.getint("THEPAPER_ALARM_MIN_ARTICLES"),
            z=settings.getfloat("THEPAPER_ALARM_Z"),
            window_days=settings.getfloat("THEPAPER_COVERAGE_WINDOW_DAYS"),
        )


@dataclass(frozen=True)
class Finding:
    monitor: str  # "field_coverage" or "extraction_failures"
    subject: str  # the field, or the failure reason
    content_type: str | None  # None for failures (a share of pages)
    run_share: float
    baseline_share: float
    run_n: int
    baseline_n: int

    def text(self, days: float) -> str:
        change = f"{_pct(self.baseline_share)} → {_pct(self.run_share)}"
        if self.content_type is None:
            return f"{self.subject} {change} of {self.run_n} pages ({days:g}-day baseline: {self.baseline_n} pages)"
        return (
            f"{self.content_type} {self.subject} {change} of {self.run_n} articles "
            f"({days:g}-day baseline: {self.baseline_n} articles)"
        )


@dataclass
class Verdict:
    state: str  # "alarm", "ok", "too_few", "no_baseline"
    note: str = ""
    findings: list[Finding] = field(default_factory=list)
    line: str = ""  # the alarm's one line (empty unless state == "alarm")

    @property
    def alarm(self) -> bool:
        return self.state == "alarm"

    def to_json(self, about: Mapping | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state,
            "note": self.note,
            "line": self.line,
            "findings": [asdict(f) for f in self.findings],
        }
        if about is not None:
            out["baseline"] = dict(about)
        return out


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _significant(change: float, base: float, n: int, threshold: float, z: float) -> bool:
    """``change`` beyond ``threshold`` and beyond ``z`` standard errors of a share ``base`` over ``n``."""
    return change > threshold and change > z * math.sqrt(max(base * (1 - base), 0.0) / max(n, 1))


def field_coverage_drop(run: Mapping, base: Mapping, th: Thresholds) -> list[Finding]:
    """Fields that fewer of this run's articles have than the trailing articles of that type."""
    out = []
    for ctype in sorted(run.get("types") or {}):
        n, bn = articles(run, ctype), articles(base, ctype)
        if n < th.min_articles or bn < th.min_articles:
            continue
        for name in FIELDS:
            now, before = share(run, ctype, name), share(base, ctype, name)
            if now is None or before is None:  # no articles of the type on one side
                continue
            if _significant(before - now, before, n, th.field_drop, th.z):
                out.append(Finding("field_coverage", name, ctype, now, before, n, bn))
    return out


def extraction_failure_rise(run: Mapping, base: Mapping, th: Thresholds) -> list[Finding]:
    """Watched cleaning errors that end a larger share of this run's pages than of the trailing ones."""
    n, bn = int(run.get("pages") or 0), int(base.get("pages") or 0)
    if n < th.min_articles or bn < th.min_articles:
        return []
    out = []
    for reason in WATCHED_FAILURES:
        now, before = failure_share(run, reason), failure_share(base, reason)
        if now is None or before is None:  # no pages judged on one side
            continue
        if _significant(now - before, before, n, th.failure_rise, th.z):
            out.append(Finding("extraction_failures", reason, None, now, before, n, bn))
    return out


MONITORS: tuple[Callable[[Mapping, Mapping, Thresholds], list[Finding]], ...] = (
    field_coverage_drop,
    extraction_failure_rise,
)


def _judgeable(cov: Mapping, th: Thresholds) -> bool:
    return int(cov.get("pages") or 0) >= th.min_articles or any(
        articles(cov, t) >= th.min_articles for t in cov.get("types") or {}
    )


def _comparable(run: Mapping, base: Mapping, th: Thresholds) -> bool:
    if int(run.get("pages") or 0) >= th.min_articles and int(base.get("pages") or 0) >= th.min_articles:
        return True
    return any(
        articles(run, t) >= th.min_articles and articles(base, t) >= th.min_articles for t in run.get("types") or {}
    )


def layout_in_use(run: Mapping, base: Mapping) -> str:
    """``layout nextjs, front-end build X (new)``: what the run's pages were."""
    parts = []
    layouts = run.get("layouts") or {}
    if layouts:
        parts.append("layout " + ", ".join(sorted(layouts, key=lambda k: (-layouts[k], k))))
    builds = run.get("builds") or {}
    known = base.get("builds") or {}
    if builds:
        names = sorted(builds, key=lambda k: (-builds[k], k))[:3]
        parts.append("front-end build " + ", ".join(b + ("" if b in known else " (new)") for b in names))
    return "; ".join(parts) or "layout unknown"


def judge(run: Mapping | None, base: Mapping | None, th: Thresholds) -> Verdict:
    """Run every monitor of :data:`MONITORS` on a run's coverage against its baseline."""
    if not run or not _judgeable(run, th):
        n = articles(run) if run else 0
        pages = int((run or {}).get("pages") or 0)
        return Verdict(
            "too_few",
            f"too few articles to judge coverage ({n} articles, {pages} pages; {th.min_articles} of one kind needed)",
        )
    if not base or not _comparable(run, base, th):
        return Verdict(
            "no_baseline",
            f"no trailing coverage to compare with (no comparable crawl in the last {th.window_days:g} days)",
        )
    findings = [f for monitor in MONITORS for f in monitor(run, base, th)]
    if not findings:
        return Verdict("ok", "coverage as in the trailing figures")
    line = "layout drift: " + "; ".join(f.text(th.window_days) for f in findings) + f"; {layout_in_use(run, base)}"
    return Verdict("alarm", "", findings, line)
