"""Database tables (SQLModel) and the public schemas the HTTP API returns.

Tables are never returned from a route: each entity has a ``*Public`` schema that carries only
what its audience may see. Battle-facing schemas carry no model name or id (blindness).
Times are timezone-aware UTC (``utcnow()``); SQLModel stores them as UTC on SQLite and
PostgreSQL alike and hands them back aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[str, ...] = ("a", "b", "tie", "both_bad")
"""``a``: the left clip won; ``b``: the right clip won; ``tie``; ``both_bad``."""


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


# --- catalogue: models, prompts, clips ----------------------------------------------------


class Model(SQLModel, table=True):
    """A video-generation model. ``slug`` is the configured id; ``id`` never leaves the server."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)
    organization: str = Field(default="", max_length=200)
    license: str = Field(default="", max_length=100)
    release_date: date | None = None
    link: str = Field(default="", max_length=500)
    provider: str = Field(max_length=100)
    retired: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Prompt(SQLModel, table=True):
    """A prompt of one track; image-to-video prompts carry a source image (opaque file name)."""

    id: str = Field(primary_key=True, max_length=100)
    track: str = Field(index=True, max_length=40)
    text: str
    image_file: str | None = Field(default=None, max_length=200)


class PromptCategory(SQLModel, table=True):
    """One category of a prompt (people, animals, motion, camera, ...), for category boards."""

    prompt_id: str = Field(foreign_key="prompt.id", primary_key=True, max_length=100)
    category: str = Field(primary_key=True, max_length=60)


class Clip(SQLModel, table=True):
    """A model's clip for a prompt, probed. Served only as ``/clips/{public_id}``."""

    __table_args__ = (UniqueConstraint("model_id", "prompt_id"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(unique=True, index=True, max_length=40)
    model_id: int = Field(foreign_key="model.id", index=True)
    prompt_id: str = Field(foreign_key="prompt.id", index=True, max_length=100)
    track: str = Field(index=True, max_length=40)
    file: str = Field(max_length=200)
    source_digest: str = Field(default="", max_length=64)
    size_bytes: int
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str = Field(max_length=40)
    audio_codec: str | None = Field(default=None, max_length=40)
    has_audio: bool
    created_at: datetime = Field(default_factory=utcnow)


# --- battles and votes --------------------------------------------------------------------


class Battle(SQLModel, table=True):
    """A pair of clips shown to one voter. Single use; expires at ``expires_at``.

    ``left``/``right`` are the sides the voter saw, shuffled on the server. The model ids are
    kept here (never sent to the voter) so a vote can be aggregated without joins.
    """

    id: str = Field(primary_key=True, max_length=40)
    track: str = Field(max_length=40)
    prompt_id: str = Field(foreign_key="prompt.id", max_length=100)
    left_clip_id: int = Field(foreign_key="clip.id")
    right_clip_id: int = Field(foreign_key="clip.id")
    left_model_id: int = Field(foreign_key="model.id")
    right_model_id: int = Field(foreign_key="model.id")
    voter_id: str = Field(index=True, max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    strategy: str = Field(max_length=40)
    pair_probability: float


class Vote(SQLModel, table=True):
    """One voter's verdict on one battle. Append-only; at most one per battle (unique key)."""

    __table_args__ = (
        CheckConstraint("outcome IN ('a', 'b', 'tie', 'both_bad')", name="vote_outcome"),
        Index("ix_vote_track_models", "track", "model_a_id", "model_b_id", "outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    battle_id: str = Field(foreign_key="battle.id", unique=True, max_length=40)
    track: str = Field(max_length=40)
    model_a_id: int = Field(foreign_key="model.id")
    model_b_id: int = Field(foreign_key="model.id")
    outcome: str = Field(max_length=10)
    voter_id: str = Field(index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    watch_ms: int | None = None


# --- ratings ------------------------------------------------------------------------------


class OnlineRating(SQLModel, table=True):
    """The live Elo view of one model on one track, updated in each vote's transaction."""

    track: str = Field(primary_key=True, max_length=40)
    model_id: int = Field(foreign_key="model.id", primary_key=True)
    rating: float
    votes: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0


class PairStat(SQLModel, table=True):
    """Sufficient statistics: vote counts per (track, category, pair, outcome).

    The pair is stored in canonical order (``model_lo < model_hi``) and the outcome is from
    ``model_lo``'s side (``a`` = lo won). Category ``""`` counts every vote of the track.
    Updated in each vote's transaction, so a recompute reads a few thousand rows at any size.
    """

    track: str = Field(primary_key=True, max_length=40)
    category: str = Field(primary_key=True, max_length=60)
    model_lo: int = Field(foreign_key="model.id", primary_key=True)
    model_hi: int = Field(foreign_key="model.id", primary_key=True)
    outcome: str = Field(primary_key=True, max_length=10)
    count: int = 0


class RatingSnapshot(SQLModel, table=True):
    """One Bradley-Terry recompute of one track and category, as the leaderboard reads it."""

    id: int | None = Field(default=None, primary_key=True)
    track: str = Field(index=True, max_length=40)
    category: str = Field(default="", max_length=60)
    method: str = Field(max_length=60)
    params: str = "{}"
    seed: int = 0
    vote_count: int = 0
    fingerprint: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class RatingEntry(SQLModel, table=True):
    """One model's line in a snapshot."""

    snapshot_id: int = Field(foreign_key="ratingsnapshot.id", primary_key=True)
    model_id: int = Field(foreign_key="model.id", primary_key=True)
    rating: float
    lower: float
    upper: float
    rank: int
    votes: int
    wins: float
    losses: float
    ties: float
    provisional: bool


# --- public schemas -----------------------------------------------------------------------


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
