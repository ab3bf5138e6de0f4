"""Database tables (SQLModel) and the public schemas the HTTP API returns.

Tables are never returned from a route: each audience gets a schema from :mod:`.public` that
carries only what it may see. Importing this package registers every table on
``SQLModel.metadata``. Times are timezone-aware UTC (:func:`utcnow`).
"""

from arena.models.base import OUTCOMES, Outcome, utcnow
from arena.models.catalog import Clip, Model, ModelClaim, Prompt, PromptCategory
from arena.models.integrity import (
    IntegrityEvent,
    RateCounter,
    Reveal,
    VoteExclusion,
    VoterState,
)
from arena.models.jobs import AdminJob
from arena.models.public import (
    BattlePublic,
    ClipRef,
    PromptPublic,
    RevealedSide,
    VoteIn,
    VoteResult,
)
from arena.models.ratings import OnlineRating, PairStat, RatingEntry, RatingSnapshot
from arena.models.votes import Battle, Vote

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
    "Reveal",
    "RevealedSide",
    "Vote",
    "VoteExclusion",
    "VoteIn",
    "VoteResult",
    "VoterState",
    "utcnow",
]
