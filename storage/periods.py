"""Periods of time for the analysis reads: a window of Asia/Shanghai days, its days grouped
into days, weeks (Monday to Sunday) or months, and the SQL that gives a row's Shanghai day.

Pure apart from :class:`shanghai_date` (an SQL expression, the same day on both backends as
the ``article_overview`` view's ``published_date``). ``report``, ``trends`` and ``keywords``
share them, so the same window and the same periods mean the same days everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from storage.types import SHANGHAI

UNITS = ("day", "week", "month")
#: Windows up to this many days are shown per day, up to :data:`WEEKS_UP_TO` per week, longer per month.
DAYS_UP_TO = 60
WEEKS_UP_TO = 730


@dataclass(frozen=True)
class Window:
    """Asia/Shanghai days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def since(self) -> datetime:
        """The window's first instant."""
        return datetime.combine(self.first, time.min, SHANGHAI)

    @property
    def until(self) -> datetime:
        """The instant after the window (exclusive end)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, SHANGHAI)


def make_window(*, last: date, days: int | None = None, first: date | None = None) -> Window:
    """The window ending on ``last``: from ``first`` if given, else the last ``days`` days."""
    if first is None:
        first = last - timedelta(days=max(days or 1, 1) - 1)
    if first > last:
        raise ValueError(f"the window starts ({first}) after it ends ({last})")
    return Window(first, last)


def choose_unit(days: int) -> str:
    """Days for short windows, weeks beyond :data:`DAYS_UP_TO` days, months beyond :data:`WEEKS_UP_TO`."""
    if days <= DAYS_UP_TO:
        return "day"
    return "week" if days <= WEEKS_UP_TO else "month"


def period_start(day: date, unit: str) -> date:
    """The first day of the period (``unit``) that holds ``day``; weeks start on Monday."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {unit!r} (day, week or month)")


def next_period(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def periods(window: Window, unit: str) -> list[date]:
    """The start of every period that overlaps ``window``, oldest first (the first and last may be partial)."""
    out, cur = [], period_start(window.first, unit)
    while cur <= window.last:
        out.append(cur)
        cur = next_period(cur, unit)
    return out


def label(start: date, unit: str) -> str:
    """A period's name, with its year: ``2026-11-28`` (day), ``2026-W48`` (ISO week), ``2026-11`` (month)."""
    if unit == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return start.isoformat()


def as_date(value) -> date:
    """A day as SQL returns it: a date (PostgreSQL) or ``'YYYY-MM-DD'`` text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def bucket(day_counts, window: Window, unit: str) -> list[tuple[date, int]]:
    """``(period start, total)`` for every period of ``window`` (zeros included), from
    ``(day, count)`` pairs; days outside the window are left out."""
    totals = {start: 0 for start in periods(window, unit)}
    for day, n in day_counts:
        d = as_date(day)
        if window.first <= d <= window.last:
            totals[period_start(d, unit)] += int(n)
    return sorted(totals.items())


class shanghai_date(sa.sql.functions.GenericFunction):
    """SQL: the Asia/Shanghai day of a stored instant (``'YYYY-MM-DD'`` on SQLite, a date on PostgreSQL)."""

    type = sa.Date()
    name = "thepaper_shanghai_date"
    inherit_cache = True


@compiles(shanghai_date, "sqlite")
def _shanghai_date_sqlite(element, compiler, **kw):  # UTC text; Shanghai has kept +08:00 since 1991
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_date)
def _shanghai_date_default(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
