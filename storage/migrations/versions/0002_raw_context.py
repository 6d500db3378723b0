"""raw_pages.context: the list item and channel an article page was reached from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_pages") as batch:
        batch.add_column(sa.Column(
            "context", sa.JSON(), nullable=True,
            comment="how the page was reached: JSON with the list API item (list_item) and channel_id, "
                    "so that reprocessing sees what the crawl saw"))


def downgrade() -> None:
    with op.batch_alter_table("raw_pages") as batch:
        batch.drop_column("context")
