"""Writes of the full-text index (what ``storage.search`` and analysts' ``MATCH`` read).

SQLite: the FTS5 table ``articles_fts`` (external content ``articles``) gets the articles an
insert added in one statement per chunk, :func:`index_new_articles`, called by the one path
that inserts articles (:func:`storage.articles.save_articles`) right after its insert, in the
caller's transaction: the index commits with its articles or not at all. Updates of title or
body and deletions are followed by the triggers of revision 0003 (``articles_fts_au``/``_ad``).
PostgreSQL needs nothing here: its ``pg_trgm`` GIN indexes follow every write by themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.views import FTS_TABLE

IN_CHUNK = 500  # ids per statement
#: Whether the archive has the index, and the insert of articles ``ids`` into it: built once a process
#: (a crawl's writer runs both for every batch), the ids bound as one JSON array that SQLite's
#: ``json_each`` reads: an expanding parameter made SQLAlchemy render and bind one placeholder per id
#: on every call (~60 µs of Python a batch).
_HAS_INDEX = sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n").bindparams(n=FTS_TABLE)
_INDEX_NEW = sa.text(
    f"INSERT INTO {FTS_TABLE}(rowid, title, body_text) SELECT cont_id, title, body_text FROM articles "
    "WHERE cont_id IN (SELECT value FROM json_each(:ids))"
)


def index_new_articles(session: Session, cont_ids: Sequence[int]) -> None:
    """Add the articles ``cont_ids`` (just inserted, not yet indexed) to the full-text index
    (none before revision 0003 made it: its migration indexes what is there)."""
    if not cont_ids or session.get_bind().dialect.name != "sqlite":
        return
    if session.execute(_HAS_INDEX).first() is None:
        return
    for i in range(0, len(cont_ids), IN_CHUNK):
        session.execute(_INDEX_NEW, {"ids": json.dumps([int(c) for c in cont_ids[i : i + IN_CHUNK]])})
