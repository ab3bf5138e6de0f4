"""The admin API's invitations (``/api/v1/admin/invitations``): make, list, revoke.

An invitation is a voter identity handed out as a link, ``/invite/{token}``; the token is in
the answer that makes it and nowhere else (only its hash is stored). ``arena admin
invitations`` calls these routes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from arena.core.clock import utcnow
from arena.core.integrity.identity import invitation_voter
from arena.services import invitations
from arena.services.invitations import Invitation
from arena.web.admin import Limit, Offset, Reason
from arena.web.deps import SessionDep, WritesDep, require_admin

router = APIRouter(dependencies=[Depends(require_admin)])

InvitationId = Path(ge=1, le=2**31 - 1, description="An invitation's id", examples=[3])

EXAMPLE = {
    "id": 3,
    "voter_id": "inv:3",
    "label": "design review panel",
    "max_uses": 5,
    "uses": 2,
    "actor": "ann",
    "created_at": "2026-11-22T18:00:00Z",
    "expires_at": "2026-12-22T18:00:00Z",
    "revoked_at": None,
    "revoked_by": "",
    "revoke_reason": "",
}


def _example(value: object) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}}


class InvitationIn(BaseModel):
    """A new invitation: how many browsers may open it, for how long, and for whom."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(default="", max_length=200, description="Whom it is for (admins see it)")
    uses: int = Field(
        default=1, ge=1, le=10**6, description="How many browsers may open the link (1: once)"
    )
    expires_in_days: float | None = Field(
        default=None, gt=0, le=3650, description="The link stops opening after this; null: never"
    )
    actor: str = Field(default="admin", max_length=100)


class InvitationOut(BaseModel):
    """An invitation as admins see it (never its token, which is not stored)."""

    id: int
    voter_id: str = Field(description="The identity its voters share (their votes, limits)")
    label: str
    max_uses: int
    uses: int = Field(description="Times the link was opened")
    actor: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str
    revoke_reason: str


class InvitationMade(InvitationOut):
    token: str = Field(description="The secret in the link: shown this once, never stored")
    path: str = Field(description="The link's path on this server: /invite/{token}")
    url: str = Field(description="The link as this server sees its own address")


def _out(invitation: Invitation) -> InvitationOut:
    assert invitation.id is not None
    fields = invitation.model_dump(exclude={"token_hash"})
    return InvitationOut(voter_id=invitation_voter(invitation.id), **fields)


@router.post(
    "/invitations",
    status_code=201,
    responses={201: _example(EXAMPLE)[200]},
)
async def create_invitation(
    body: InvitationIn, request: Request, writes: WritesDep
) -> InvitationMade:
    """Make an invitation; its link is in the answer (the token is shown this once)."""
    now = utcnow()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    invitation, token = await writes.run(
        partial(
            invitations.create_invitation,
            label=body.label,
            max_uses=body.uses,
            expires_at=expires,
            actor=body.actor,
            now=now,
        )
    )
    path = f"/invite/{token}"
    url = str(request.base_url).rstrip("/") + path
    return InvitationMade(**_out(invitation).model_dump(), token=token, path=path, url=url)


@router.get(
    "/invitations", responses={200: {"content": {"application/json": {"example": [EXAMPLE]}}}}
)
def list_invitations(
    session: SessionDep,
    revoked: bool = Query(False, description="Include revoked invitations", examples=[False]),
    limit: int = Limit,
    offset: int = Offset,
) -> list[InvitationOut]:
    """Invitations, newest first, with how often each was opened."""
    rows = invitations.list_invitations(session, revoked=revoked, limit=limit, offset=offset)
    return [_out(row) for row in rows]


@router.post(
    "/invitations/{invitation_id}/revoke",
    responses=_example(EXAMPLE),
)
async def revoke_invitation(
    body: Reason, writes: WritesDep, invitation_id: int = InvitationId
) -> InvitationOut:
    """The link stops opening, and where ARENA_IDENTITY requires an identity its voters' new
    votes stop counting (flag the voter ``inv:{id}`` to exclude the ones already counted)."""
    invitation = await writes.run(
        partial(
            invitations.revoke_invitation,
            invitation_id=invitation_id,
            actor=body.actor,
            reason=body.reason,
        )
    )
    return _out(invitation)
