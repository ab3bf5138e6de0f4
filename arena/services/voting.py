"""The voter's two writes, issue a battle and record a vote, handed to the arena's writer.

Nothing here touches the database on the event loop: the writes run on the writer
(:mod:`arena.store.writer`: one thread per SQLite database, the thread pool on PostgreSQL), and
a first or invalidated catalogue is loaded in the thread pool. A worker whose writer waits for
another process's write lock keeps serving pages, clips and reads meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import anyio.to_thread
import numpy as np

from arena import store
from arena.core.integrity.policy import IntegrityPolicy
from arena.core.matchmaking import Catalog
from arena.core.schemas import BattlePublic, VoteIn, VoteResult
from arena.services.battles import new_battle
from arena.services.pools import CatalogCache
from arena.settings import Settings
from arena.store import Session
from arena.store.writer import Writes


@dataclass(frozen=True)
class Voting:
    """The calling voter's side of the arena: issue them a battle, record their vote.

    Each call is one write transaction on the writer, ended before the call returns, so the
    writer is held for the store's work alone, never across the response handling around a
    route.
    """

    writes: Writes
    settings: Settings
    catalog: CatalogCache
    rng: np.random.Generator
    policy: IntegrityPolicy
    voter: str
    address: str | None

    async def issue_battle(self, track: str) -> BattlePublic:
        """A new blind battle on ``track`` (rate limits apply: 429)."""
        catalog = self.catalog.current()
        if catalog is None:  # a first or invalidated catalogue: loaded off the loop
            catalog = await anyio.to_thread.run_sync(self.catalog.get)
        return await self.writes.run(partial(self._issue_battle, catalog, track))

    async def vote(self, battle_id: str, body: VoteIn) -> VoteResult:
        """Record the voter's vote on ``battle_id`` (see :func:`arena.store.record_vote`)."""
        return await self.writes.run(partial(self._vote, battle_id, body))

    def _issue_battle(self, catalog: Catalog, track: str, session: Session) -> BattlePublic:
        _, battle = new_battle(
            session,
            catalog=catalog,
            rng=self.rng,
            settings=self.settings,
            track=track,
            voter_id=self.voter,
            policy=self.policy,
            ip_hash=self.address,
        )
        return battle

    def _vote(self, battle_id: str, body: VoteIn, session: Session) -> VoteResult:
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
