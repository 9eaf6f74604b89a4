"""History stored small: each scan's report as a compressed skeleton whose large parts (models, lineages,
findings, nodes) are content-addressed blobs shared by every scan that has them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_blobs",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("refs", sa.Text, nullable=False),
    )
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("body", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("stored_bytes", sa.Integer, nullable=True))
    op.execute(sa.text("UPDATE licscan_schema SET version = 3 WHERE component = 'metadata'"))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("stored_bytes")
        batch.drop_column("body")
    op.drop_table("scan_blobs")
    op.execute(sa.text("UPDATE licscan_schema SET version = 2 WHERE component = 'metadata'"))
