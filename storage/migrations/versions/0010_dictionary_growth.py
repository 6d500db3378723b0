"""Each zstd dictionary records how large the archive was when it was trained:
``raw_dictionaries.archive_pages``.

The retraining policy (:mod:`storage.dictionaries`) compares the archive's raw pages with this
count (a new dictionary once the archive has grown by ``RETRAIN_GROWTH`` since), not with the
pages a dictionary was trained on: a training's sample is capped by bytes, so its page count no
longer says how much of the archive it has seen. Dictionaries trained before this revision keep
NULL (not recorded; the policy counts them as their ``samples``, pages the archive held at
least). Nothing stored is touched, and a downgrade drops only this column.

Revision ID: 0010_dictionary_growth
Revises: 0009_repair_log
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_dictionary_growth"
down_revision = "0009_repair_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: in place on SQLite too (raw_pages names this table in a foreign key)
    op.add_column("raw_dictionaries", sa.Column(
        "archive_pages", sa.BigInteger(), nullable=True,
        comment="raw pages the archive held when it was trained; NULL for dictionaries trained "
                "before revision 0010 (not recorded)"))


def downgrade() -> None:
    op.drop_column("raw_dictionaries", "archive_pages")
