"""Expired battles that never got a vote: found, counted, and deleted by id in batches.

Such a battle can no longer take a vote (``410``) and no count reads it; a voted battle is
the record its vote points at and is never deleted. Finding them scans the battle table
(there is no index on ``expires_at``), so that is a read, outside any write lock; the delete
then goes by primary key and checks both conditions again, in a short write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists
from sqlmodel import Session, col, delete

from arena.store.driver import Sql, Tx
from arena.store.tables import Battle, Vote

_UNVOTED_EXPIRED = (
    'FROM battle b WHERE b."expires_at" < :before '
    'AND NOT EXISTS (SELECT 1 FROM vote v WHERE v."battle_id" = b."id")'
)
_FIND = Sql(f'SELECT b."id" {_UNVOTED_EXPIRED} LIMIT :limit')
_COUNT = Sql(f"SELECT count(*) {_UNVOTED_EXPIRED}")


def expired_battle_ids(session: Session, *, before: datetime, limit: int) -> list[str]:
    """Up to ``limit`` ids of battles that expired before ``before`` without a vote (a read)."""
    tx = Tx(session)
    return [
        battle_id for (battle_id,) in tx.rows(_FIND, {"before": tx.time(before), "limit": limit})
    ]


def count_expired_battles(session: Session, *, before: datetime) -> int:
    """How many battles expired before ``before`` without a vote (a read)."""
    tx = Tx(session)
    row = tx.row(_COUNT, {"before": tx.time(before)})
    return int(row[0]) if row else 0


def delete_expired_battles(session: Session, *, ids: Sequence[str], before: datetime) -> int:
    """Delete those of ``ids`` that still expired before ``before`` and have no vote, in one
    transaction; the number deleted."""
    if not ids:
        return 0
    result = session.exec(
        delete(Battle)
        .where(
            col(Battle.id).in_(ids),
            col(Battle.expires_at) < before,
            ~exists().where(col(Vote.battle_id) == col(Battle.id)),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)
