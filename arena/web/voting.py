"""The voter's two writes, issue a battle and record a vote, and where they run.

On SQLite they run on the event loop itself. SQLite writes are serialized per database
anyway (one writer at a time, queued in :func:`arena.db.session_scope`), each takes about a
millisecond of local work, and handing it to a thread-pool worker cost more than the work:
the hop, and the GIL passed back and forth between the loop and the worker. Measured with
``benchmarks/integrity/speed.py`` (one worker, 8 connections): 245 requests/s through the
thread pool, 379 on the loop. The price: while another process holds SQLite's write lock (an
``arena models sync`` or ``arena import`` writing a batch), this worker's requests wait for
it, clip requests included. On PostgreSQL, a network database, they run in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from arena import store
from arena.battles import new_battle
from arena.catalog import CatalogCache
from arena.db import session_scope
from arena.integrity.policy import IntegrityPolicy
from arena.models import BattlePublic, VoteIn, VoteResult
from arena.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Voting:
    """The calling voter's side of the arena: issue them a battle, record their vote.

    Each call opens its own write transaction (:func:`session_scope` with ``write=True``)
    and ends it before returning, so SQLite's writer queue is held for the store's work
    alone, never across the response handling around a route. ``inline``: run on the event
    loop (SQLite) rather than in the thread pool.
    """

    engine: Engine
    inline: bool
    settings: Settings
    catalog: CatalogCache
    rng: np.random.Generator
    policy: IntegrityPolicy
    voter: str
    address: str | None

    async def issue_battle(self, track: str) -> BattlePublic:
        """A new blind battle on ``track`` (rate limits apply: 429)."""
        return await self._run(self._issue_battle, track)

    async def vote(self, battle_id: str, body: VoteIn) -> VoteResult:
        """Record the voter's vote on ``battle_id`` (see :func:`arena.store.record_vote`)."""
        return await self._run(self._vote, battle_id, body)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        return work(*args) if self.inline else await run_in_threadpool(work, *args)

    def _issue_battle(self, track: str) -> BattlePublic:
        with session_scope(self.engine, write=True) as session:
            _, battle = new_battle(
                session,
                catalog=self.catalog.get(),
                rng=self.rng,
                settings=self.settings,
                track=track,
                voter_id=self.voter,
                policy=self.policy,
                ip_hash=self.address,
            )
        return battle

    def _vote(self, battle_id: str, body: VoteIn) -> VoteResult:
        with session_scope(self.engine, write=True) as session:
            return store.record_vote(
                session,
                battle_id=battle_id,
                voter_id=self.voter,
                outcome=body.outcome,
                watch_ms=body.watch_ms,
                k=self.settings.elo_k,
                initial=self.settings.elo_initial,
                policy=self.policy,
                ip_hash=self.address,
            )
