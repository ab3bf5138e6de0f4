"""Issue a battle: matchmaking picks the pair, the store records it, the voter sees it blind.

And purge the battles nobody voted on once they expired (:func:`purge_expired_battles`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import numpy as np

from arena import store
from arena.core.clock import utcnow
from arena.core.errors import Invalid
from arena.core.integrity.policy import IntegrityPolicy, RateLimit
from arena.core.matchmaking import Catalog, choose
from arena.core.schemas import BattlePublic, ClipRef, PromptPublic
from arena.core.vocabulary import TRACKS, track_has_audio
from arena.settings import Settings, match_config
from arena.store import Engine, Session
from arena.store.engine import session_scope
from arena.store.tables import Battle
from arena.store.writer import Write, direct


def check_track(track: str) -> str:
    if track not in TRACKS:
        raise Invalid(f"unknown track {track!r}; tracks: {', '.join(TRACKS)}")
    return track


def new_battle(
    session: Session,
    *,
    catalog: Catalog,
    rng: np.random.Generator,
    settings: Settings,
    track: str,
    voter_id: str,
    policy: IntegrityPolicy | None = None,
    ip_hash: str | None = None,
    per_voter: bool = True,
) -> tuple[Battle, BattlePublic]:
    """Choose and store a battle for ``voter_id`` on ``track``.

    The track's strategy is ``settings.strategy_for(track)``. The clips the voter's votes
    revealed, and those of the voter's battles still open for a vote (their vote is about to
    reveal them: the page fetches the next battle ahead), are read in the same transaction and
    kept out of the battle while the pool allows (:mod:`arena.core.matchmaking.blind`;
    ``per_voter=False`` skips that, for measuring it).
    Returns the stored row (server-side: it names the models) and what the voter may see.
    With a ``policy``, the voter's and the address's battle rate limits apply (429).
    """
    check_track(track)
    limits: list[tuple[str, RateLimit]] = []
    if policy is not None:
        limits = [(f"battle:v:{voter_id}", limit) for limit in policy.voter_battle_limits]
        if ip_hash:
            limits += [(f"battle:ip:{ip_hash}", limit) for limit in policy.ip_battle_limits]
    choice = choose(
        catalog.pool(track),
        rng,
        strategy=settings.strategy_for(track),
        config=match_config(settings),
        rotation=catalog.rotation,
        track=track,
        revealed=_kept_off(session, voter_id=voter_id, track=track) if per_voter else None,
    )
    battle = store.create_battle(
        session,
        track=track,
        prompt_id=choice.prompt_id,
        left=choice.left,
        right=choice.right,
        voter_id=voter_id,
        ttl_seconds=settings.battle_ttl_seconds,
        strategy=choice.strategy,
        probability=choice.probability,
        limits=limits,
    )
    prompt = catalog.prompts[choice.prompt_id]
    return battle, BattlePublic(
        id=battle.id,
        track=track,
        prompt=PromptPublic(
            text=prompt.text,
            image_url=f"/images/{prompt.image_file}" if prompt.image_file else None,
        ),
        left=ClipRef(url=f"/battles/{battle.id}/left"),
        right=ClipRef(url=f"/battles/{battle.id}/right"),
        has_audio=track_has_audio(track),
        expires_at=battle.expires_at,
        vote_url=f"/api/v1/battles/{battle.id}/vote",
    )


def _kept_off(session: Session, *, voter_id: str, track: str) -> np.ndarray:
    """The clips a battle for ``voter_id`` keeps off: revealed to them, or about to be."""
    revealed = store.revealed_clips(session, voter_id=voter_id, track=track)
    pending = store.pending_clips(session, voter_id=voter_id, track=track, now=utcnow())
    return np.union1d(revealed, pending) if len(pending) else revealed


PURGE_BATCH = 500
"""Battles deleted per transaction: SQLite's write lock is held for one batch at a time."""
PURGE_SCAN = 200
"""Batches' worth of ids found per read of the battle table (a scan, outside the lock)."""
PURGE_GRACE = timedelta(minutes=1)
"""A battle is purged at least this long after it expired: a vote checked against a clock a
little behind the purging worker's still finds its battle (and gets its ``410``)."""


def purge_grace(settings: Settings) -> timedelta:
    """How long after its expiry an unvoted battle is kept: :data:`PURGE_GRACE`, or longer
    while its clip URLs still play (``ARENA_CLIP_GRACE``), so a replay finds its battle."""
    return max(PURGE_GRACE, timedelta(seconds=settings.clip_grace_seconds))


def purge_interval(settings: Settings) -> float:
    """Seconds between two scheduled purges: the battle lifetime ``ARENA_BATTLE_TTL``, at
    most an hour. An unvoted battle is gone at most about two lifetimes after it was issued."""
    return float(min(settings.battle_ttl_seconds, 3600))


def purge_expired_battles(
    engine: Engine,
    *,
    now: datetime | None = None,
    batch: int = PURGE_BATCH,
    grace: timedelta = PURGE_GRACE,
    write: Write | None = None,
) -> int:
    """Delete every battle that expired (``grace`` ago, see :func:`purge_grace`) without a
    vote, ``batch`` per transaction; the number deleted. Voted battles are never touched.

    ``write`` runs each deleting transaction (a server passes its writer's
    :meth:`~arena.store.writer.Writes.call`); by default each opens its own write session."""
    before = (now or utcnow()) - grace
    total = 0
    while True:
        with session_scope(engine) as session:
            ids = store.expired_battle_ids(session, before=before, limit=batch * PURGE_SCAN)
        deleted = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            delete = partial(store.delete_expired_battles, ids=chunk, before=before)
            deleted += (write or direct(engine))(delete)
        total += deleted
        # A short read found them all; none deleted: another worker is purging the same rows.
        if len(ids) < batch * PURGE_SCAN or not deleted:
            return total


def pending_expired_battles(engine: Engine, *, now: datetime | None = None) -> int:
    """How many battles have expired without a vote and wait for the next purge."""
    with session_scope(engine) as session:
        return store.count_expired_battles(session, before=now or utcnow())
