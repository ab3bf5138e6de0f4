"""admin jobs: background sync and recompute, one running at a time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_table(
        "adminjob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("done", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adminjob", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adminjob_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ux_adminjob_one_running",
            ["state"],
            unique=True,
            sqlite_where=ONE_RUNNING,
            postgresql_where=ONE_RUNNING,
        )


def downgrade() -> None:
    with op.batch_alter_table("adminjob", schema=None) as batch_op:
        batch_op.drop_index("ux_adminjob_one_running")
        batch_op.drop_index(batch_op.f("ix_adminjob_created_at"))
    op.drop_table("adminjob")
