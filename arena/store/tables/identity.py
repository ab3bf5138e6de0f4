"""Invitations: voter identities an admin hands out as links (``/invite/{token}``).

Only the token's SHA-256 is stored; the token itself is shown once, when the invitation is
made. Every voter who opens the link is the same voter, ``inv:{id}`` (its own rate limits,
its own standing), up to ``max_uses`` openings. Rows are never deleted: a revoked invitation
keeps its votes, which stop counting where an identity is required.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow


class Invitation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    label: str = Field(default="", max_length=200)
    """Whom it is for (free text, for the admin)."""
    max_uses: int
    """How many times the link may be opened (by as many browsers); 1: single use."""
    uses: int = 0
    actor: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    """After this the link no longer opens (voters it already bound keep their identity)."""
    revoked_at: datetime | None = None
    revoked_by: str = Field(default="", max_length=100)
    revoke_reason: str = ""
