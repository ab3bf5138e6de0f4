"""Work the server does on a schedule, and what the admin's health view reports about it.

The lifespan runs :func:`periodic_purge`: every :func:`arena.services.battles.purge_interval`
seconds (derived from ``ARENA_BATTLE_TTL``) it deletes the expired battles nobody voted on, in the
thread pool, so a GET never has to (see :mod:`arena.web.pages`). Each worker process runs its own;
they delete the same rows at most once. ``GET /api/v1/admin/health`` reads :func:`health`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from arena.core.clock import utcnow
from arena.services.battles import (
    pending_expired_battles,
    purge_expired_battles,
    purge_grace,
    purge_interval,
)
from arena.services.database import Engine, Writes
from arena.settings import Settings
from arena.web.client import ProxyWatch

log = logging.getLogger(__name__)


@dataclass
class PurgeStats:
    """What this process's scheduled purge has done since it started."""

    interval_seconds: float
    purged: int = 0
    runs: int = 0
    last_run_at: datetime | None = None
    last_error: str | None = None


@asynccontextmanager
async def periodic_purge(
    engine: Engine, writes: Writes, settings: Settings
) -> AsyncIterator[PurgeStats]:
    """Purge on a schedule while the context is open; the first run is one interval in. The
    deletes go through ``writes``, the process's writer, like every other write."""
    stats = PurgeStats(interval_seconds=purge_interval(settings))
    task = asyncio.create_task(
        _purge_forever(engine, writes, stats, purge_grace(settings)), name="arena-battle-purge"
    )
    try:
        yield stats
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _purge_forever(
    engine: Engine, writes: Writes, stats: PurgeStats, grace: timedelta
) -> None:
    while True:
        await asyncio.sleep(stats.interval_seconds)
        try:
            stats.purged += await run_in_threadpool(
                partial(purge_expired_battles, engine, grace=grace, write=writes.call)
            )
            stats.last_error = None
        except Exception as exc:  # the database is down, say: try again next time
            stats.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("purging expired battles failed: %s", stats.last_error)
        stats.runs += 1
        stats.last_run_at = utcnow()


class BattleHousekeeping(BaseModel):
    expired_unvoted: int = Field(
        description="Battles that expired without a vote and wait for the next purge"
    )
    purged: int = Field(description="Expired unvoted battles this server process has purged")
    purge_runs: int
    purge_interval_seconds: float
    last_purge_at: datetime | None
    last_purge_error: str | None


class ProxyCheck(BaseModel):
    trusted_proxies: list[str] = Field(description="ARENA_TRUSTED_PROXIES, parsed")
    untrusted_proxy_seen: bool = Field(
        description="A request with X-Forwarded-For, X-Forwarded-Proto or Forwarded came from "
        "a peer not in ARENA_TRUSTED_PROXIES (since this process started)"
    )
    peer: str | None = Field(description="The first such peer")
    header: str | None = Field(description="The forwarding header it sent")
    seen_at: datetime | None
    warning: str | None = Field(description="What it means, in words; null when all is well")


class Health(BaseModel):
    """Housekeeping and deployment checks of the answering server process."""

    battles: BattleHousekeeping
    proxy: ProxyCheck


def health(engine: Engine, purge: PurgeStats, watch: ProxyWatch) -> Health:
    """The health view: the battle purge's counts and whether an untrusted proxy was seen."""
    return Health(
        battles=BattleHousekeeping(
            expired_unvoted=pending_expired_battles(engine),
            purged=purge.purged,
            purge_runs=purge.runs,
            purge_interval_seconds=purge.interval_seconds,
            last_purge_at=purge.last_run_at,
            last_purge_error=purge.last_error,
        ),
        proxy=ProxyCheck(
            trusted_proxies=[str(net) for net in watch.trusted],
            untrusted_proxy_seen=watch.peer is not None,
            peer=watch.peer,
            header=watch.header,
            seen_at=watch.seen_at,
            warning=watch.warning(),
        ),
    )
