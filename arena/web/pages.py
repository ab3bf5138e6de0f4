"""HTML pages: the battle page, rendered with Jinja2 (leaderboard pages: arena.web.board)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from arena.battles import new_battle
from arena.settings import TRACK_LABELS, TRACKS
from arena.web.deps import (
    AddressDep,
    CatalogDep,
    PolicyDep,
    RngDep,
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
