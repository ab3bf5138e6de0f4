"""reveals: the clips each voter's votes revealed, so their later battles stay blind

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reveal",
        sa.Column("voter_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("voter_id", "track", "clip_id"),
    )


def downgrade() -> None:
    op.drop_table("reveal")
