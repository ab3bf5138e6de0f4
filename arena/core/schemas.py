"""Public schemas: what the HTTP API returns. Battle-facing ones name no model (blindness)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from arena.core.vocabulary import Outcome


class ClipRef(BaseModel):
    """A clip as the voter sees it: an opaque URL and nothing else."""

    url: str


class PromptPublic(BaseModel):
    text: str
    image_url: str | None = None


class BattlePublic(BaseModel):
    """A blind battle: no model name or id anywhere in it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "kq3V0n7cX1mB2s9dFh4LzA",
                    "track": "image-to-video",
                    "prompt": {
                        "text": "Animate this fish swimming in a circle",
                        "image_url": "/images/724909e060302903ab536d4ed6f4b591.png",
                    },
                    "left": {"url": "/battles/kq3V0n7cX1mB2s9dFh4LzA/left"},
                    "right": {"url": "/battles/kq3V0n7cX1mB2s9dFh4LzA/right"},
                    "has_audio": False,
                    "expires_at": "2026-11-22T18:30:00Z",
                    "vote_url": "/api/v1/battles/kq3V0n7cX1mB2s9dFh4LzA/vote",
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "battle_id": "kq3V0n7cX1mB2s9dFh4LzA",
                    "outcome": "a",
                    "left": {
                        "model": "aurora-2",
                        "name": "Aurora-2",
                        "organization": "Aurora Labs",
                        "rating_before": 1048.2,
                        "rating": 1049.9,
                    },
                    "right": {
                        "model": "static-0",
                        "name": "Static-0",
                        "organization": "Null Pictures",
                        "rating_before": 902.4,
                        "rating": 900.7,
                    },
                }
            ]
        }
    )

    battle_id: str
    outcome: Outcome
    left: RevealedSide
    right: RevealedSide
    counted: bool = True
    """False when the vote was stored but does not count (``note`` says why, in plain words)."""
    note: str | None = None
