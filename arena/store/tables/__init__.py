"""Database tables (SQLModel) and the public schemas the HTTP API returns.

Tables are never returned from a route: each audience gets a schema from :mod:`.public` that
carries only what it may see. Importing this package registers every table on
``SQLModel.metadata``. Times are timezone-aware UTC (:func:`utcnow`).
"""

from arena.core.schemas import (
    BattlePublic,
    ClipRef,
    PromptPublic,
    RevealedSide,
    VoteIn,
    VoteResult,
)
from arena.core.vocabulary import OUTCOMES, Outcome
from arena.store.tables.base import utcnow
from arena.store.tables.catalog import Clip, Model, ModelClaim, Prompt, PromptCategory
from arena.store.tables.integrity import IntegrityEvent, RateCounter, VoteExclusion, VoterState
from arena.store.tables.jobs import AdminJob
from arena.store.tables.ratings import OnlineRating, PairStat, RatingEntry, RatingSnapshot
from arena.store.tables.votes import Battle, Vote

__all__ = [
    "OUTCOMES",
    "AdminJob",
    "Battle",
    "BattlePublic",
    "Clip",
    "ClipRef",
    "IntegrityEvent",
    "Model",
    "ModelClaim",
    "OnlineRating",
    "Outcome",
    "PairStat",
    "Prompt",
    "PromptCategory",
    "PromptPublic",
    "RateCounter",
    "RatingEntry",
    "RatingSnapshot",
    "RevealedSide",
    "Vote",
    "VoteExclusion",
    "VoteIn",
    "VoteResult",
    "VoterState",
    "utcnow",
]
