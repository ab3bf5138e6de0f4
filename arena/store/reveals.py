"""Blindness per voter: which clips each voter's votes revealed (the ``reveal`` table).

Written in the vote's transaction (:func:`remember_reveals`, called by
:func:`arena.store.votes.record_vote`), read when a battle is issued to the voter
(:func:`revealed_clips`), so matchmaking keeps them off clips whose model they were told.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlmodel import Session

from arena.store.driver import Sql, Tx, as_tx

# One row, the ids joined by commas: parsed by numpy in C, several times faster at 10,000 ids
# than a row per id turned into Python tuples (benchmarks/matchmaking/bench_reveals.py).
_WHERE = 'FROM reveal WHERE "voter_id" = :v AND "track" = :t'
_REVEALED_SQLITE = Sql(f'SELECT group_concat("clip_id") {_WHERE}')
_REVEALED_POSTGRESQL = Sql(f"SELECT string_agg(\"clip_id\"::text, ',') {_WHERE}")
_REVEALED_AMONG = Sql(
    'SELECT "clip_id" FROM reveal WHERE "voter_id" = :v AND "track" = :t '
    'AND "clip_id" IN (:c0, :c1)'
)
# The clips of the voter's battles on the track still open for a vote: the next vote reveals
# them, so a battle issued meanwhile (the page fetches the next one ahead) keeps off them too.
_PENDING = Sql(
    'SELECT b."left_clip_id", b."right_clip_id" FROM battle b '
    'WHERE b."voter_id" = :v AND b."track" = :t AND b."expires_at" > :now '
    'AND NOT EXISTS (SELECT 1 FROM vote WHERE vote."battle_id" = b."id")'
)
_REMEMBER = Sql(
    'INSERT INTO reveal ("voter_id", "track", "clip_id", "vote_id", "created_at") '
    "VALUES (:v, :t, :c, :vote, :now) ON CONFLICT DO NOTHING"
)


def revealed_clips(db: Session | Tx, *, voter_id: str, track: str) -> np.ndarray:
    """(R,) int64 ids of the clips of ``track`` that ``voter_id``'s votes revealed (a read)."""
    tx = as_tx(db)
    sql = _REVEALED_SQLITE if tx.sqlite else _REVEALED_POSTGRESQL
    row = tx.row(sql, {"v": voter_id, "t": track})
    if row is None or not row[0]:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(row[0], dtype=np.int64, sep=",")


def pending_clips(db: Session | Tx, *, voter_id: str, track: str, now: datetime) -> np.ndarray:
    """(P,) int64 ids of the clips of ``voter_id``'s open battles on ``track`` (issued, not yet
    voted on, not expired): a vote on one of them is about to reveal them (a read)."""
    tx = as_tx(db)
    rows = tx.rows(_PENDING, {"v": voter_id, "t": track, "now": tx.time(now)})
    return np.array([c for row in rows for c in row if c is not None], dtype=np.int64)


def remember_reveals(
    tx: Tx,
    *,
    voter_id: str,
    track: str,
    clip_ids: Sequence[int | None],
    vote_id: int,
    now: datetime,
) -> list[int]:
    """Record that vote ``vote_id`` revealed ``clip_ids`` to ``voter_id``; those of them an
    earlier vote had already revealed (then this vote was not blind), ascending.

    Clip ids that are None (an imported battle has no clips) are skipped. Rows go in clip id
    order, so two votes of one voter never wait on each other's rows in opposite orders.
    """
    clips = sorted({c for c in clip_ids if c is not None})
    if not clips:
        return []
    known = tx.rows(_REVEALED_AMONG, {"v": voter_id, "t": track, "c0": clips[0], "c1": clips[-1]})
    stamp = tx.time(now)
    for clip in clips:
        tx.run(_REMEMBER, {"v": voter_id, "t": track, "c": clip, "vote": vote_id, "now": stamp})
    return sorted(clip for (clip,) in known)
