"""Every repair explained: ``articles.repair_log``.

A JSON list, one object per change the cleaner's repair made to the stored text (field, offset,
rule, before, after, by: ``bytes``, ``model`` or ``rule``, margin): what ``show`` prints, ``export
--columns ...,repair_log`` writes and ``docs/analysis.md`` queries (articles holding a character
the word model chose). Rows stored before it get an empty list (cleaner version 3: ``reprocess``
fills it); nothing stored is touched, and a downgrade drops only this column.

Revision ID: 0009_repair_log
Revises: 0008_smaller_articles
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_repair_log"
down_revision = "0008_smaller_articles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no batch copy of the table: the views and full-text triggers read it)
    op.add_column("articles", sa.Column(
        "repair_log", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False, server_default=sa.text("'[]'"),
        comment="JSON list: every repair of the text explained, one object per change: field (body, title, "
                "summary...), offset (characters into that field's stored text; for body, into body_text), "
                "rule, before, after, by (bytes: the surviving bytes decided; model: the word model chose "
                "among candidates the bytes left open, above its measured 99.5 % margin; rule: a fixed rule), "
                "margin (model only); empty for rows cleaned before cleaner version 4 until reprocess"))


def downgrade() -> None:
    op.drop_column("articles", "repair_log")
