"""Battle and vote tables: what was shown to whom, and the verdict."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow


class Battle(SQLModel, table=True):
    """A pair of clips shown to one voter. Single use; expires at ``expires_at``.

    ``left``/``right`` are the sides the voter saw, shuffled on the server. The model ids are
    kept here (never sent to the voter) so a vote can be aggregated without joins. A battle
    loaded by ``arena import votes`` has no clips (``strategy`` "imported", clip ids None).
    """

    id: str = Field(primary_key=True, max_length=40)
    track: str = Field(max_length=40)
    prompt_id: str = Field(foreign_key="prompt.id", max_length=100)
    left_clip_id: int | None = Field(default=None, foreign_key="clip.id")
    right_clip_id: int | None = Field(default=None, foreign_key="clip.id")
    left_model_id: int = Field(foreign_key="model.id")
    right_model_id: int = Field(foreign_key="model.id")
    voter_id: str = Field(index=True, max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    strategy: str = Field(max_length=40)
    pair_probability: float


class Vote(SQLModel, table=True):
    """One voter's verdict on one battle. Append-only; at most one per battle (unique key).

    ``a`` is the left side. Track, prompt and models are copied from the battle (they never
    change) so the recompute aggregates votes without joining battles.
    """

    __table_args__ = (
        CheckConstraint("outcome IN ('a', 'b', 'tie', 'both_bad')", name="vote_outcome"),
        # Covers the recompute's GROUP BY: one index scan, no table reads.
        Index("ix_vote_aggregate", "track", "prompt_id", "model_a_id", "model_b_id", "outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    battle_id: str = Field(foreign_key="battle.id", unique=True, max_length=40)
    track: str = Field(max_length=40)
    prompt_id: str = Field(foreign_key="prompt.id", max_length=100)
    model_a_id: int = Field(foreign_key="model.id")
    model_b_id: int = Field(foreign_key="model.id")
    outcome: str = Field(max_length=10)
    voter_id: str = Field(index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    watch_ms: int | None = None
    ip_hash: str | None = Field(default=None, index=True, max_length=32)
    """A keyed hash of the client address (never the address): groups sybils for admins."""
