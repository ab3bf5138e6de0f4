"""Integrity tables: voter standing, excluded votes, the audit trail, shared rate counters.

Votes are never edited or deleted. A vote is left out of the ratings while a
:class:`VoteExclusion` row names it; every flag and unflag, automatic or by an admin, is
appended to :class:`IntegrityEvent`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow


class VoterState(SQLModel, table=True):
    """One voter's running anomaly evidence (``log`` of the test martingale) and flag."""

    voter_id: str = Field(primary_key=True, max_length=64)
    log_evidence: float = 0.0
    tested_votes: int = 0
    flagged: bool = Field(default=False, index=True)
    flag_source: str = Field(default="", max_length=10)
    flag_reason: str = ""
    flagged_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class VoteExclusion(SQLModel, table=True):
    """A vote that does not count (while this row exists), and why.

    ``reason``: ``watch_time`` (too short), ``identity`` (the arena counts invited or signed-in
    voters only, see ARENA_IDENTITY), ``seen`` (not blind: a clip of the battle had been
    revealed to its voter by an earlier vote), ``voter`` (its voter is flagged) or ``admin``
    (an admin flagged this vote). ``source``: ``auto`` or ``admin``; ``actor``: who.
    """

    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    reason: str = Field(index=True, max_length=20)
    source: str = Field(max_length=10)
    actor: str = Field(default="", max_length=100)
    detail: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Reveal(SQLModel, table=True):
    """A clip revealed to a voter: the per-voter memory that keeps their battles blind.

    A clip is revealed to a voter once a vote of theirs on a battle that showed it is stored,
    counted or not: the vote's answer names both models, so from then on those bytes are
    linked to a model name for that voter (whoever hashes what they receive recognises them in
    any later battle). Matchmaking keeps the voter's battles off these clips while it can; a
    vote on a battle that shows one anyway is excluded as ``seen``. One row per voter and
    clip, the first vote that revealed it.
    """

    voter_id: str = Field(primary_key=True, max_length=64)
    track: str = Field(primary_key=True, max_length=40)
    clip_id: int = Field(primary_key=True)
    vote_id: int
    created_at: datetime = Field(default_factory=utcnow)


class IntegrityEvent(SQLModel, table=True):
    """The audit trail, append-only.

    ``action``: ``flag_vote``, ``unflag_vote``, ``flag_voter`` or ``unflag_voter``.
    """

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=20)
    voter_id: str | None = Field(default=None, index=True, max_length=64)
    vote_id: int | None = Field(default=None, index=True)
    source: str = Field(max_length=10)
    actor: str = Field(default="", max_length=100)
    reason: str = ""
    votes_affected: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class RateCounter(SQLModel, table=True):
    """Requests per key (action, voter or address, limit length) in the current fixed window
    and the one before it: all a sliding-window estimate needs, in one row per key."""

    key: str = Field(primary_key=True, max_length=120)
    window: int
    """Index of the current window (epoch seconds // window length)."""
    count: int = 0
    previous: int = 0
    """Requests in window ``window - 1``."""
    expires: int = Field(index=True)
    """Epoch second after which the row no longer matters (pruned)."""


class FilterTally(SQLModel, table=True):
    """Per UTC day, track and integrity filter: what left no vote row behind.

    ``kind``: ``refused`` (a vote attempt the filter turned away before storing it: rate
    limits) or ``failed`` (the filter raised; the vote was kept). Excluded votes are counted
    from :class:`VoteExclusion` instead. One row per key, bumped in the vote's transaction.
    """

    day: str = Field(primary_key=True, max_length=10)
    """``YYYY-MM-DD`` (UTC)."""
    track: str = Field(primary_key=True, max_length=40)
    filter: str = Field(primary_key=True, max_length=20)
    kind: str = Field(primary_key=True, max_length=10)
    count: int = 0
