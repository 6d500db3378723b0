"""The SQLite full-text index is filled in bulk, not by a trigger per inserted article.

Revision 0003 indexed every new article with the trigger ``articles_fts_ai`` (0.30 ms of
the crawl's writer per article, measured in bench/README). Storage now indexes the articles
an insert statement adds with one ``INSERT INTO articles_fts ... SELECT`` right after it,
in the same transaction (:mod:`storage.fulltext`: 0.12 ms per article in batches of 200), so
the index commits with its articles or not at all: after a crash, nothing is missing and
nothing is stale. Updates of title or body and deletions keep their triggers (rare, one row
each). PostgreSQL is unchanged: its ``pg_trgm`` GIN indexes already defer their work to a
pending list (``fastupdate``, on by default) merged in bulk.

Revision ID: 0004_fts_deferred
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004_fts_deferred"
down_revision = "0003"
branch_labels = None
depends_on = None

_INSERT_TRIGGER = (
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body_text) VALUES (new.cont_id, new.title, new.body_text); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS articles_fts_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_INSERT_TRIGGER)
