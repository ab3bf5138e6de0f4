"""The JSON API, mounted at ``/api/v1`` (and at ``/api`` as an alias of the current version)."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from arena import store
from arena.battles import new_battle
from arena.models import BattlePublic, VoteIn, VoteResult
from arena.settings import TRACKS
from arena.web.deps import (
    AddressDep,
    CatalogDep,
    PolicyDep,
    RngDep,
    SettingsDep,
    VoterDep,
    WriteSessionDep,
)

router = APIRouter()

TrackQuery = Query(
    default=TRACKS[0], description=f"One of: {', '.join(TRACKS)}", examples=[TRACKS[0]]
)


@router.post(
    "/battles",
    status_code=status.HTTP_201_CREATED,
    responses={
        422: {"description": "Unknown track"},
        429: {"description": "Too many battles from this voter or address (see Retry-After)"},
        503: {"description": "No battle available"},
    },
)
def create_battle(
    session: WriteSessionDep,
    catalog: CatalogDep,
    rng: RngDep,
    settings: SettingsDep,
    voter: VoterDep,
    policy: PolicyDep,
    address: AddressDep,
    track: str = TrackQuery,
) -> BattlePublic:
    """Issue a new blind battle on ``track`` to the calling voter (cookie ``arena_voter``)."""
    _, battle = new_battle(
        session,
        catalog=catalog.get(),
        rng=rng,
        settings=settings,
        track=track,
        voter_id=voter,
        policy=policy,
        ip_hash=address,
    )
    return battle


@router.post(
    "/battles/{battle_id}/vote",
    responses={
        403: {"description": "The battle was issued to another voter"},
        404: {"description": "No such battle"},
        409: {"description": "The battle already has a vote"},
        410: {"description": "The battle expired"},
        422: {"description": "Bad outcome or watch time"},
        429: {"description": "Too many votes from this voter or address (see Retry-After)"},
    },
)
def vote(
    battle_id: str,
    body: VoteIn,
    session: WriteSessionDep,
    settings: SettingsDep,
    voter: VoterDep,
    policy: PolicyDep,
    address: AddressDep,
) -> VoteResult:
    """Vote on a battle once; the response reveals both models and their new live ratings.

    A vote cast before the clips played long enough is stored but not counted: the answer
    then has ``counted: false`` and a ``note`` saying so.
    """
    return store.record_vote(
        session,
        battle_id=battle_id,
        voter_id=voter,
        outcome=body.outcome,
        watch_ms=body.watch_ms,
        k=settings.elo_k,
        initial=settings.elo_initial,
        policy=policy,
        ip_hash=address,
    )


@router.get(
    "/tracks",
    responses={200: {"content": {"application/json": {"example": list(TRACKS)}}}},
)
def tracks() -> list[str]:
    """The tracks this arena runs, in display order."""
    return list(TRACKS)
