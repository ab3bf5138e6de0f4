"""HTML pages: the battle page, rendered with Jinja2 (leaderboard pages: arena.web.leaderboard).

A GET writes nothing: the battle page is a shell (tracks, stage, vote buttons) and its script
(``static/battle.js``) asks for the battle with ``POST /api/v1/battles``. A crawler or a link
preview that opens the page creates no battle and counts against no rate limit.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from arena.core.vocabulary import TRACK_LABELS, TRACKS, track_has_audio
from arena.services.battles import check_track

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def battle_page(request: Request, track: str = TRACKS[0]) -> Response:
    check_track(track)
    # The watch-time rule, so the page shows when a vote will count (arena.core.integrity.watch).
    policy = request.app.state.policy
    context = {
        "track": track,
        "tracks": TRACK_LABELS,
        "has_audio": track_has_audio(track),
        "min_watch_ms": policy.min_watch_ms if policy.watch_rule else 0,
        "min_watch_fraction": policy.min_watch_fraction if policy.watch_rule else 0,
    }
    return request.app.state.templates.TemplateResponse(
        request,
        "battle.html",
        context,
        headers={"Cache-Control": "no-store"},
    )
