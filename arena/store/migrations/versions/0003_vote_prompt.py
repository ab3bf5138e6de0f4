"""Votes carry their prompt, and one index covers the recompute's GROUP BY.

Existing votes get the prompt of their battle (a battle's prompt never changes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prompt_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    op.execute(
        "UPDATE vote SET prompt_id = "
        "(SELECT battle.prompt_id FROM battle WHERE battle.id = vote.battle_id)"
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.alter_column(
            "prompt_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        )
        batch_op.create_foreign_key("fk_vote_prompt_id_prompt", "prompt", ["prompt_id"], ["id"])
        batch_op.drop_index("ix_vote_track_models")
        batch_op.create_index(
            "ix_vote_aggregate",
            ["track", "prompt_id", "model_a_id", "model_b_id", "outcome"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index("ix_vote_aggregate")
        batch_op.create_index(
            "ix_vote_track_models", ["track", "model_a_id", "model_b_id", "outcome"], unique=False
        )
        batch_op.drop_constraint("fk_vote_prompt_id_prompt", type_="foreignkey")
        batch_op.drop_column("prompt_id")
