"""Imported battles have no clips; one index serves the leaderboard's snapshot lookups.

``arena import votes`` stores each imported vote with a battle of its own (strategy
"imported") that no clip belongs to, so the battle's clip ids become nullable.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 17:39:55
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("left_clip_id", "right_clip_id")


def _sqlite_set_not_null(not_null: bool) -> None:
    """Add or drop NOT NULL on the clip ids by editing the stored table definition.

    Votes reference battles, and SQLite cannot rebuild a referenced table (Alembic's batch
    mode) while foreign keys are enforced, which they are inside the migration's transaction.
    Dropping a NOT NULL constraint leaves the file format unchanged, and SQLite documents
    editing ``sqlite_schema`` as the way to do it (lang_altertable.html, "Making Other Kinds Of
    Table Schema Changes"): the definition is replaced and the schema version bumped.
    """
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'battle'")
    ).scalar_one()
    for column in _COLUMNS:
        before, after = f"{column} INTEGER NOT NULL", f"{column} INTEGER"
        if not_null:
            before, after = after + ",", before + ","
        if before not in sql:
            raise RuntimeError(f"battle.{column}: unexpected definition in {sql!r}")
        sql = sql.replace(before, after, 1)
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'battle'"),
        {"sql": sql},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_set_not_null(False)
    else:
        for column in _COLUMNS:
            op.alter_column("battle", column, existing_type=sa.INTEGER(), nullable=True)
    op.create_index("ix_ratingsnapshot_slice", "ratingsnapshot", ["track", "category", "id"])


def downgrade() -> None:
    imported = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM battle WHERE left_clip_id IS NULL"))
        .scalar_one()
    )
    if imported:
        raise RuntimeError(
            f"cannot downgrade below 0004: {imported} imported battles have no clips"
        )
    op.drop_index("ix_ratingsnapshot_slice", table_name="ratingsnapshot")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_set_not_null(True)
    else:
        for column in _COLUMNS:
            op.alter_column("battle", column, existing_type=sa.INTEGER(), nullable=False)
