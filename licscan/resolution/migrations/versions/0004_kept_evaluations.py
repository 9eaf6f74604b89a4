"""Evaluation results kept across scans: one row per lineage, keyed by a digest of everything its evaluation
reads (the lineage's facts, the rules, the policy, the deployment context, licscan's code)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_evaluations",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("used_at", sa.Float, nullable=False),
    )
    op.execute(sa.text("UPDATE licscan_schema SET version = 4 WHERE component = 'metadata'"))


def downgrade() -> None:
    op.drop_table("kept_evaluations")
    op.execute(sa.text("UPDATE licscan_schema SET version = 3 WHERE component = 'metadata'"))
