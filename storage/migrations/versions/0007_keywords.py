"""articles.keywords: the keywords of each article (jieba TF-IDF with a stop-word list), computed
when it is cleaned (jsonb on PostgreSQL); rows stored before it hold an empty list until ``reprocess``.

Revision ID: 0007_keywords
Revises: 0006_run_coverage
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_keywords"
down_revision = "0006_run_coverage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite supports it with a default): a batch copy of the table would
    # break the views and the full-text triggers that read it
    op.add_column("articles", sa.Column(
        "keywords", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False, server_default=sa.text("'[]'"),
        comment="JSON list of the article's keywords, best first: jieba TF-IDF of title, summary and body "
                "with a stop-word list (pipelines/keywords.py); empty for gone articles and for rows cleaned "
                "before cleaner version 3 until reprocess"))


def downgrade() -> None:
    op.drop_column("articles", "keywords")  # SQLite 3.35+: a plain DROP COLUMN, no table copy
