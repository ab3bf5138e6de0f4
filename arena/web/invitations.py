"""Invitation links, the voter's side: ``GET /invite/{token}`` shows it, ``POST`` opens it.

A GET writes nothing (a link preview or a mail scanner that fetches the link uses no
opening of a single-use invitation): the page checks the token and offers a button whose
POST uses one opening, binds the browser to the invitation's identity (the voter cookie,
:func:`arena.web.voter.cookie_header`) and sends it to the battle page. A bad, expired,
revoked or used-up token gets 404 or 410 saying which, as a page or as JSON.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from arena.core.clock import utcnow
from arena.core.integrity.identity import invitation_voter
from arena.services import invitations
from arena.web.client import over_https
from arena.web.deps import SessionDep
from arena.web.voter import cookie_header

# Pages, like the battle page: outside the OpenAPI document (the README describes them).
router = APIRouter(include_in_schema=False)

Token = Path(
    max_length=200,
    description="The invitation's token, as in the link an admin handed out",
    examples=["q0c0v1Fh6o2c3rQ8YtAJx3q0c0v1Fh6o"],
)

_NOT_FOUND = {"description": "No invitation matches the token"}
_GONE = {"description": "The invitation was revoked, expired or is used up (the detail says)"}


class InvitationView(BaseModel):
    """What opening the link would do (nothing is used by looking)."""

    valid: bool = True
    held: bool = Field(description="This browser already votes with it")
    uses_left: int = Field(description="How many more browsers may open it")
    expires_at: str | None = Field(description="When the link stops opening (ISO 8601), if ever")


class Opened(BaseModel):
    ok: bool = True
    detail: str


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/invite/{token}", responses={404: _NOT_FOUND, 410: _GONE})
def show_invitation(request: Request, session: SessionDep, token: str = Token) -> Response:
    """Check an invitation link (HTML page with an *Accept* button, or JSON); writes nothing."""
    voter = request.state.voter_id
    found = invitations.check_invitation(session, token=token, voter_id=voter)
    expires = found.expires_at.isoformat() if found.expires_at else None
    view = InvitationView(
        uses_left=found.max_uses - found.uses,
        expires_at=expires,
        held=found.id is not None and voter == invitation_voter(found.id),
    )
    if _wants_json(request):
        return JSONResponse(view.model_dump(), headers={"Cache-Control": "no-store"})
    return request.app.state.templates.TemplateResponse(
        request,
        "invite.html",
        {"token": token, "view": view},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.post("/invite/{token}", responses={404: _NOT_FOUND, 410: _GONE})
async def open_invitation(request: Request, token: str = Token) -> Response:
    """Use one opening of the invitation: this browser votes as the invitation from now on.

    Opening it again from a browser that already holds it uses nothing. A form post (HTML)
    is redirected to the battle page; an ``Accept: application/json`` caller gets JSON."""
    state = request.app.state
    voter = await state.writes.run(
        partial(
            invitations.open_invitation, token=token, voter_id=request.state.voter_id, now=utcnow()
        )
    )
    detail = "this browser now votes with the invitation"
    response: Response
    if _wants_json(request):
        response = JSONResponse(Opened(detail=detail).model_dump())
    else:
        response = RedirectResponse("/", status_code=303)
    secure = over_https(request.scope, state.trusted_proxies)
    response.headers.append("set-cookie", cookie_header(voter, state.voter_secret, secure=secure))
    response.headers["Cache-Control"] = "no-store"
    return response
