"""Battles: issued to one voter (:func:`create_battle`), and, expired without a vote, found,
counted and deleted by id in batches.

An expired battle can no longer take a vote (``410``) and no count reads it; a voted battle is
the record its vote points at and is never deleted. Finding them scans the battle table
(there is no index on ``expires_at``), so that is a read, outside any write lock; the delete
then goes by primary key and checks both conditions again, in a short write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import exists
from sqlmodel import Session, col, delete

from arena.core.clock import utcnow
from arena.core.integrity.policy import RateLimit
from arena.store.driver import Sql, Tx, new_public_id
from arena.store.ratelimits import take_rate
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


class ClipLike(Protocol):
    """A clip row or a catalogue entry: anything with the clip's id and its model's id."""

    @property
    def id(self) -> int | None: ...

    @property
    def model_id(self) -> int: ...


_INSERT_BATTLE = Sql(
    'INSERT INTO battle ("id", "track", "prompt_id", "left_clip_id", "right_clip_id", '
    '"left_model_id", "right_model_id", "voter_id", "issued_at", "expires_at", "strategy", '
    '"pair_probability") VALUES (:id, :track, :prompt_id, :left_clip_id, :right_clip_id, '
    ":left_model_id, :right_model_id, :voter_id, :issued_at, :expires_at, :strategy, "
    ":pair_probability)"
)


def create_battle(
    session: Session,
    *,
    track: str,
    prompt_id: str,
    left: ClipLike,
    right: ClipLike,
    voter_id: str,
    ttl_seconds: int,
    strategy: str,
    probability: float,
    now: datetime | None = None,
    limits: Sequence[tuple[str, RateLimit]] = (),
) -> Battle:
    """Issue a battle to ``voter_id``: single use, expiring ``ttl_seconds`` from now.

    ``limits`` are ``(key, limit)`` rate limits this request counts against
    (:func:`arena.store.ratelimits.take_rate`); over one, :class:`RateLimited` is raised.
    """
    issued = now or utcnow()
    assert left.id is not None and right.id is not None
    tx = Tx(session)
    take_rate(tx, limits=limits, now=issued.timestamp(), what="battles")
    battle = Battle(
        id=new_public_id(),
        track=track,
        prompt_id=prompt_id,
        left_clip_id=left.id,
        right_clip_id=right.id,
        left_model_id=left.model_id,
        right_model_id=right.model_id,
        voter_id=voter_id,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=ttl_seconds),
        strategy=strategy,
        pair_probability=probability,
    )
    row = battle.model_dump()
    row["issued_at"], row["expires_at"] = tx.time(battle.issued_at), tx.time(battle.expires_at)
    tx.run(_INSERT_BATTLE, row)
    tx.commit()
    return battle
