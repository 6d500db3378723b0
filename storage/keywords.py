"""The reads of ``articles.keywords`` (computed when an article is cleaned, see
``cleaning/keywords.py``): the top keywords of a window, counted in articles.

One query on each backend expands the JSON lists (``json_each`` on SQLite,
``jsonb_array_elements_text`` on PostgreSQL) and groups them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domain.record import CLEANER_VERSION
from storage.periods import Window
from storage.types import AwareDateTime

_EXPAND = {
    "sqlite": ("json_each(a.keywords) AS k", "json_array_length(a.keywords)"),
    "postgresql": ("jsonb_array_elements_text(a.keywords) AS k(value)", "jsonb_array_length(a.keywords)"),
}


def _window_params(window: Window) -> list[sa.BindParameter]:
    return [
        sa.bindparam("since", window.since, type_=AwareDateTime()),
        sa.bindparam("until", window.until, type_=AwareDateTime()),
    ]


def top_keywords(session: Session, window: Window, top: int = 50) -> list[tuple[str, int]]:
    """``(keyword, articles)`` of the ``top`` keywords of the articles published in ``window``,
    most articles first, ties by keyword."""
    expand, _ = _EXPAND[session.get_bind().dialect.name]
    stmt = sa.text(
        f"SELECT k.value AS keyword, count(*) AS n FROM articles a, {expand} "
        "WHERE a.published_at >= :since AND a.published_at < :until "
        "GROUP BY k.value ORDER BY n DESC, k.value LIMIT :top"
    ).bindparams(*_window_params(window), sa.bindparam("top", int(top)))
    return [(str(kw), int(n)) for kw, n in session.execute(stmt)]


def keyword_coverage(session: Session, window: Window) -> dict[str, Any]:
    """How many of the window's articles (gone ones aside) there are, and how many have no
    keywords yet because an older cleaner stored them (``reprocess`` fills them)."""
    _, length = _EXPAND[session.get_bind().dialect.name]
    stmt = sa.text(
        f"SELECT count(*), sum(CASE WHEN {length} = 0 AND a.cleaner_version <> :current THEN 1 ELSE 0 END) "
        "FROM articles a "
        "WHERE a.published_at >= :since AND a.published_at < :until AND a.content_type <> 'gone'"
    ).bindparams(*_window_params(window), sa.bindparam("current", CLEANER_VERSION))
    total, stale = session.execute(stmt).one()
    return {"articles": int(total or 0), "not_yet_reprocessed": int(stale or 0)}
