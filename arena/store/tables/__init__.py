"""Database tables (SQLModel). Importing this package registers every table on its metadata.

Tables are never returned from a route: each audience gets a schema from
:mod:`arena.core.schemas` that carries only what it may see. Times are timezone-aware UTC
(:func:`arena.core.clock.utcnow`).
"""

from arena.store.tables.catalog import Clip, Model, ModelClaim, Prompt, PromptCategory
from arena.store.tables.identity import Invitation
from arena.store.tables.integrity import (
    FilterTally,
    IntegrityEvent,
    RateCounter,
    Reveal,
    VoteExclusion,
    VoterState,
)
from arena.store.tables.jobs import AdminJob
from arena.store.tables.ratings import OnlineRating, PairStat, RatingEntry, RatingSnapshot
from arena.store.tables.votes import Battle, Vote

__all__ = [
    "AdminJob",
    "Battle",
    "Clip",
    "FilterTally",
    "IntegrityEvent",
    "Invitation",
    "Model",
    "ModelClaim",
    "OnlineRating",
    "PairStat",
    "Prompt",
    "PromptCategory",
    "RateCounter",
    "RatingEntry",
    "RatingSnapshot",
    "Reveal",
    "Vote",
    "VoteExclusion",
    "VoterState",
]
