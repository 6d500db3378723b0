"""What each article's keywords were computed from: ``articles.keywords_basis``.

A digest of the keyword code's identity, the title, the summary and ``content_hash``
(:func:`domain.record.keywords_basis`), written with the keywords. ``reprocess`` takes an
article's stored keywords where the text it cleaned has the stored basis, instead of computing
them again (the same code and the same input give the same words). Rows stored before this
revision keep NULL: their keywords are computed again by the next reprocess, which writes the
basis without counting the article as updated or moving its ``updated_at`` (the keywords of a
crawl with ``--no-keywords`` have none either). Nothing stored is touched, and a downgrade drops
only this column.

Revision ID: 0011_keywords_basis
Revises: 0010_dictionary_growth
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_keywords_basis"
down_revision = "0010_dictionary_growth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: in place on SQLite too
    op.add_column("articles", sa.Column(
        "keywords_basis", sa.String(32), nullable=True,
        comment="what keywords were computed from: a digest of the keyword code, title, summary and "
                "content_hash (domain.record.keywords_basis); reprocess takes the stored keywords where the "
                "text it cleans has the same basis; NULL when none were computed (crawl --no-keywords, a list "
                "item alone, a gone article) and for rows stored before revision 0011"))


def downgrade() -> None:
    op.drop_column("articles", "keywords_basis")
