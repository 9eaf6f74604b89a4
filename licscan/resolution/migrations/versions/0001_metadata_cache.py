"""The metadata cache as licscan 0.1 created it: snapshots by (repo, sha), aliases, heads."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Caches made before migrations existed already hold these tables: adopt them as they are.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "licscan_schema" not in existing:
        op.create_table(
            "licscan_schema",
            sa.Column("component", sa.String(64), primary_key=True),
            sa.Column("version", sa.Integer, nullable=False),
        )
        op.bulk_insert(sa.table("licscan_schema", sa.column("component", sa.String), sa.column("version", sa.Integer)),
                       [{"component": "metadata", "version": 1}])
    if "metadata_snapshots" not in existing:
        op.create_table(
            "metadata_snapshots",
            sa.Column("repo_id", sa.String(256), primary_key=True),
            sa.Column("sha", sa.String(64), primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
            sa.Column("fetched_at", sa.Float, nullable=False),
        )
    if "repo_aliases" not in existing:
        op.create_table(
            "repo_aliases",
            sa.Column("requested_id", sa.String(256), primary_key=True),
            sa.Column("canonical_id", sa.String(256), nullable=False),
            sa.Column("seen_at", sa.Float, nullable=False),
        )
    if "repo_heads" not in existing:
        op.create_table(
            "repo_heads",
            sa.Column("repo_id", sa.String(256), primary_key=True),
            sa.Column("sha", sa.String(64), nullable=False),
            sa.Column("checked_at", sa.Float, nullable=False),
        )


def downgrade() -> None:
    for name in ("repo_heads", "repo_aliases", "metadata_snapshots", "licscan_schema"):
        op.drop_table(name)
