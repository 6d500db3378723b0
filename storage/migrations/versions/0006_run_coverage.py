"""crawl_runs.coverage and crawl_runs.drift: field coverage per run and the layout-drift check;
the run status ``degraded``.

Revision ID: 0006_run_coverage
Revises: 0005_raw_zstd
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_run_coverage"
down_revision = "0005_raw_zstd"
branch_labels = None
depends_on = None

_STATUS_OLD = "running, ok, partial, failed or aborted"
_STATUS_NEW = "running, ok, partial, failed, aborted or degraded (the layout-drift alarm fired)"


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column(
            "coverage", sa.JSON(), nullable=True,
            comment="JSON object: field coverage of the run: article pages judged, extraction failures by "
                    "reason, per content type the articles and how many have each field, layouts and "
                    "front-end builds seen; NULL for runs that fetched no article page or predate it"))
        batch.add_column(sa.Column(
            "drift", sa.JSON(), nullable=True,
            comment="JSON object: the layout-drift check of the run against the trailing coverage: state "
                    "(alarm, ok, too_few, no_baseline), the alarm line, the findings, the baseline used"))
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps no comments
        op.alter_column("crawl_runs", "status", existing_type=sa.String(16), existing_nullable=False,
                        comment=_STATUS_NEW, existing_comment=_STATUS_OLD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("crawl_runs", "status", existing_type=sa.String(16), existing_nullable=False,
                        comment=_STATUS_OLD, existing_comment=_STATUS_NEW)
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("drift")
        batch.drop_column("coverage")
