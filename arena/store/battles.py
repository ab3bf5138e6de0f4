"""Expired battles that never got a vote: counted, and deleted in bounded batches.

Such a battle can no longer take a vote (``410``) and no count reads it; a voted battle is
the record its vote points at and is never deleted. Both statements scan the battle table
(there is no index on ``expires_at``): they run on a schedule and on an admin's request, not
on the vote path.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from arena.store.tx import Sql, Tx

_UNVOTED_EXPIRED = (
    'FROM battle b WHERE b."expires_at" < :before '
    'AND NOT EXISTS (SELECT 1 FROM vote v WHERE v."battle_id" = b."id")'
)
_PURGE = Sql(
    f'DELETE FROM battle WHERE "id" IN (SELECT b."id" {_UNVOTED_EXPIRED} LIMIT :limit) '
    'RETURNING "id"'
)
_COUNT = Sql(f"SELECT count(*) {_UNVOTED_EXPIRED}")


def purge_expired_battles(session: Session, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` battles that expired before ``before`` and have no vote, in one
    transaction; the number deleted. Call it again until it deletes fewer than ``limit``."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    tx = Tx(session)
    deleted = len(tx.rows(_PURGE, {"before": tx.time(before), "limit": limit}))
    tx.commit()
    return deleted


def count_expired_battles(session: Session, *, before: datetime) -> int:
    """How many battles expired before ``before`` without a vote (what a purge would delete)."""
    tx = Tx(session)
    row = tx.row(_COUNT, {"before": tx.time(before)})
    return int(row[0]) if row else 0
