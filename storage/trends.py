"""Trends: how many articles per period mention each term (title or body, as ``search``
matches a term: a substring, A-Z folded to a-z, any of its ``forms`` — the caller gives the
Simplified forms of a Traditional term, as for ``search``), beside all the articles of each period.

:func:`term_trends` returns plain JSON-ready data; one query per term groups the window's
matching articles by Asia/Shanghai day (:class:`storage.periods.shanghai_date`), and the
days are summed into days, weeks or months in Python (:func:`storage.periods.bucket`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.columns import MAX_TERMS  # noqa: F401  (this module's name too)
from storage.models import Article
from storage.periods import Window, bucket, label, shanghai_date
from storage.search import _contains


def _day_counts(session: Session, window: Window, *conditions) -> list[tuple[Any, int]]:
    day = shanghai_date(Article.published_at)
    stmt = (
        sa.select(day, sa.func.count())
        .where(Article.published_at >= window.since, Article.published_at < window.until, *conditions)
        .group_by(day)
    )
    return [(d, int(n)) for d, n in session.execute(stmt)]


def mentions(term: str, dialect: str, forms: Callable[[str], list[str]] | None = None):
    """SQL: the article mentions ``term`` (or one of its ``forms``) in its title or body (as
    ``search`` matches it)."""
    every = dict.fromkeys([term, *(forms(term) if forms else ())])
    return sa.or_(*(_contains(col, f, dialect) for f in every for col in (Article.title, Article.body_text)))


def term_trends(
    session: Session,
    terms: list[str],
    window: Window,
    unit: str,
    node_ids: list[int] | None = None,
    forms: Callable[[str], list[str]] | None = None,
) -> dict[str, Any]:
    """Per period of ``window``: the articles (of the columns ``node_ids``, or all) and, for
    each term, how many of them mention it (in any of its ``forms``, if given)."""
    if not terms:
        raise ValueError("no term to count")
    dialect = session.get_bind().dialect.name
    where = [Article.node_id.in_(node_ids)] if node_ids else []
    starts = [start for start, _ in bucket([], window, unit)]
    series = []
    for term in terms:
        counts = bucket(_day_counts(session, window, mentions(term, dialect, forms), *where), window, unit)
        series.append({"term": term, "counts": [n for _, n in counts]})
    totals = bucket(_day_counts(session, window, *where), window, unit)
    return {
        "unit": unit,
        "first": window.first.isoformat(),
        "last": window.last.isoformat(),
        "columns": list(node_ids or []),
        "periods": [{"period": label(s, unit), "start": s.isoformat()} for s in starts],
        "articles": [n for _, n in totals],
        "series": series,
    }


def trend_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The trends as one table: a row per period (its name, the articles, a count per term)."""
    headers = ["period", "articles", *(s["term"] for s in data["series"])]
    rows = [
        [p["period"], data["articles"][i], *(s["counts"][i] for s in data["series"])]
        for i, p in enumerate(data["periods"])
    ]
    return headers, rows
