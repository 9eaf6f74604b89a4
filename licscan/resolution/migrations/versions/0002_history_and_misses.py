"""Scan history (each scan's report) and remembered not-found repos."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repo_misses",
        sa.Column("repo_id", sa.String(256), primary_key=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("checked_at", sa.Float, nullable=False),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(1024), nullable=False),
        sa.Column("label", sa.String(1024), nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.Column("generated_at", sa.String(32), nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("policy", sa.String(256), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("models", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("ix_scans_project_id", "scans", ["project", "id"])
    op.execute(sa.text("UPDATE licscan_schema SET version = 2 WHERE component = 'metadata'"))


def downgrade() -> None:
    op.drop_index("ix_scans_project_id", table_name="scans")
    op.drop_table("scans")
    op.drop_table("repo_misses")
    op.execute(sa.text("UPDATE licscan_schema SET version = 1 WHERE component = 'metadata'"))
