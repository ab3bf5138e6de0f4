"""HTML pages: the battle page and the leaderboard page, rendered with Jinja2."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from arena.battles import check_track, new_battle
from arena.leaderboard import build_leaderboard
from arena.settings import TRACK_LABELS, TRACKS
from arena.web.deps import (
    AddressDep,
    CatalogDep,
    PolicyDep,
    RngDep,
    SessionDep,
    SettingsDep,
    VoterDep,
    WriteSessionDep,
)

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def battle_page(
    request: Request,
    session: WriteSessionDep,
    catalog: CatalogDep,
    rng: RngDep,
    settings: SettingsDep,
    voter: VoterDep,
    policy: PolicyDep,
    address: AddressDep,
    track: str = TRACKS[0],
) -> Response:
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
    return request.app.state.templates.TemplateResponse(
        request,
        "battle.html",
        {"battle": battle.model_dump(mode="json"), "track": track, "tracks": TRACK_LABELS},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard_page(
    request: Request, session: SessionDep, settings: SettingsDep, track: str = TRACKS[0]
) -> Response:
    board = build_leaderboard(session, track=check_track(track), min_votes=settings.min_votes)
    return request.app.state.templates.TemplateResponse(
        request, "leaderboard.html", {"board": board, "track": track, "tracks": TRACK_LABELS}
    )
