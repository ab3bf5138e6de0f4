"""Public schemas: what the HTTP API returns. Battle-facing ones name no model (blindness)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from arena.models.base import Outcome


class ClipRef(BaseModel):
    """A clip as the voter sees it: an opaque URL and nothing else."""

    url: str


class PromptPublic(BaseModel):
    text: str
    image_url: str | None = None


class BattlePublic(BaseModel):
    """A blind battle: no model name or id anywhere in it."""

    id: str
    track: str
    prompt: PromptPublic
    left: ClipRef
    right: ClipRef
    has_audio: bool
    expires_at: datetime
    vote_url: str


class VoteIn(BaseModel):
    """The body of ``POST /api/v1/battles/{id}/vote``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "a", "watch_ms": 6200}]},
    )

    outcome: Outcome = PydanticField(
        description="a: the left clip is better; b: the right one; tie; both_bad"
    )
    watch_ms: int | None = PydanticField(
        default=None, ge=0, le=86_400_000, description="How long the clips played, in ms"
    )


class RevealedSide(BaseModel):
    """One side of a battle after the vote: who made the clip, and the new live rating."""

    model: str
    name: str
    organization: str
    rating_before: float
    rating: float


class VoteResult(BaseModel):
    battle_id: str
    outcome: Outcome
    left: RevealedSide
    right: RevealedSide
    counted: bool = True
    """False when the vote was stored but does not count (``note`` says why, in plain words)."""
    note: str | None = None
