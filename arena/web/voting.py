"""The voter's two writes, issue a battle and record a vote, and where they run.

On SQLite they run on the event loop itself when that cannot block it: SQLite writes are
serialized per database anyway (one writer at a time, queued in
:func:`arena.db.writer_queue`), each takes about a millisecond of local work, and handing it
to a thread-pool worker cost more than the work: the hop, and the GIL passed back and forth
between the loop and the worker. Measured with ``benchmarks/integrity/speed.py`` (one worker,
8 connections): 245 requests/s through the thread pool, 379-433 on the loop.

"Cannot block" means: the loop's write uses an engine of its own (``loop_engine``: one
connection, used by nothing else, so it is never out of connections), takes the writer queue
only if it is free (another thread writing, say an admin route, sends the write to the thread
pool instead, where it waits its turn), and the catalogue is already loaded (a first or
invalidated one is loaded in the thread pool). What can still hold up the loop is another
process holding SQLite's write lock (an ``arena models sync`` writing a batch): this worker's
requests then wait for it. On PostgreSQL, a network database, the writes always run in the
thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from arena import store
from arena.battles import new_battle
from arena.catalog import Catalog, CatalogCache
from arena.db import session_scope, writer_queue
from arena.integrity.policy import IntegrityPolicy
from arena.models import BattlePublic, VoteIn, VoteResult
from arena.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Voting:
    """The calling voter's side of the arena: issue them a battle, record their vote.

    Each call opens its own write transaction and ends it before returning, so SQLite's
    writer queue is held for the store's work alone, never across the response handling
    around a route. ``loop_engine``: the engine for writes on the event loop (SQLite), or
    None to write in the thread pool always.
    """

    engine: Engine
    loop_engine: Engine | None
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
            catalog = await run_in_threadpool(self.catalog.get)
        return await self._write(partial(self._issue_battle, catalog, track))

    async def vote(self, battle_id: str, body: VoteIn) -> VoteResult:
        """Record the voter's vote on ``battle_id`` (see :func:`arena.store.record_vote`)."""
        return await self._write(partial(self._vote, battle_id, body))

    async def _write(self, work: Callable[[Session], T]) -> T:
        engine = self.loop_engine
        queue = writer_queue(engine) if engine is not None else None
        if engine is not None and queue is not None and queue.acquire(blocking=False):
            try:
                with session_scope(engine, write=True, queued=True) as session:
                    return work(session)
            finally:
                queue.release()
        return await run_in_threadpool(self._write_in_thread, work)

    def _write_in_thread(self, work: Callable[[Session], T]) -> T:
        with session_scope(self.engine, write=True) as session:
            return work(session)

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
