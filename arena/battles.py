"""Issue a battle: matchmaking picks the pair, the store records it, the voter sees it blind."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session

from arena import store
from arena.catalog import Catalog
from arena.errors import Invalid
from arena.integrity.policy import IntegrityPolicy, RateLimit
from arena.matchmaking import choose, match_config
from arena.models import Battle, BattlePublic, ClipRef, PromptPublic
from arena.settings import TRACKS, Settings, track_has_audio


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
) -> tuple[Battle, BattlePublic]:
    """Choose and store a battle for ``voter_id`` on ``track``.

    The track's strategy is ``settings.strategy_for(track)``. Returns the stored row
    (server-side: it names the models) and what the voter may see. With a ``policy``, the
    voter's and the address's battle rate limits apply (429).
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
