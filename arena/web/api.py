"""The JSON API, mounted at ``/api/v1`` (and at ``/api`` as an alias of the current version)."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from arena.core.schemas import BattlePublic, VoteIn, VoteResult
from arena.core.vocabulary import TRACKS
from arena.web.deps import VotingDep

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
async def create_battle(voting: VotingDep, track: str = TrackQuery) -> BattlePublic:
    """Issue a new blind battle on ``track`` to the calling voter (cookie ``arena_voter``)."""
    return await voting.issue_battle(track)


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
async def vote(battle_id: str, body: VoteIn, voting: VotingDep) -> VoteResult:
    """Vote on a battle once; the response reveals both models and their new live ratings.

    A vote cast before the clips played long enough is stored but not counted: the answer
    then has ``counted: false`` and a ``note`` saying so.
    """
    return await voting.vote(battle_id, body)


@router.get(
    "/tracks",
    responses={200: {"content": {"application/json": {"example": list(TRACKS)}}}},
)
def tracks() -> list[str]:
    """The tracks this arena runs, in display order."""
    return list(TRACKS)
