"""Rating tables: live Elo, sufficient statistics, and recompute snapshots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow


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

    # The leaderboard's latest snapshot of a slice, and its history, in one index range.
    __table_args__ = (Index("ix_ratingsnapshot_slice", "track", "category", "id"),)

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
