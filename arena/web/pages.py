"""HTML pages: the battle page, rendered with Jinja2 (leaderboard pages: arena.web.board)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from arena.settings import TRACK_LABELS, TRACKS
from arena.web.deps import VotingDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def battle_page(request: Request, voting: VotingDep, track: str = TRACKS[0]) -> Response:
    battle = await voting.issue_battle(track)
    return request.app.state.templates.TemplateResponse(
        request,
        "battle.html",
        {"battle": battle.model_dump(mode="json"), "track": track, "tracks": TRACK_LABELS},
        headers={"Cache-Control": "no-store"},
    )
