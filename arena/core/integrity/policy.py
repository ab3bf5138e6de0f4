"""The abuse defenses' configuration (:func:`arena.settings.integrity_policy` reads it)."""

from __future__ import annotations

from dataclasses import dataclass

# The parsers live in arena.core.integrity.limits, which arena.settings imports to validate its
# variables; they are re-exported here, where the rest of the code has always found them.
from arena.core.integrity.limits import UNITS, Network, RateLimit, parse_limits, parse_networks

__all__ = [
    "UNITS",
    "IntegrityPolicy",
    "Network",
    "RateLimit",
    "parse_limits",
    "parse_networks",
]


@dataclass(frozen=True)
class IntegrityPolicy:
    """What a vote must satisfy to count, and how often voters and addresses may act."""

    min_watch_ms: int = 0
    min_watch_fraction: float = 0.0
    watch_slack_ms: int = 1000
    voter_vote_limits: tuple[RateLimit, ...] = ()
    ip_vote_limits: tuple[RateLimit, ...] = ()
    voter_battle_limits: tuple[RateLimit, ...] = ()
    ip_battle_limits: tuple[RateLimit, ...] = ()
    anomaly_alpha: float = 0.0
    anomaly_min_history: int = 30
    require_identity: bool = False
    exclude_seen: bool = False
    """Exclude (reason ``seen``) a vote on a battle showing a clip the voter had seen revealed."""
    """Votes count only from invited or signed-in voters (ARENA_IDENTITY is not ``cookie``)."""

    @property
    def watch_rule(self) -> bool:
        """The watch-time rule is on unless both thresholds are zero."""
        return self.min_watch_ms > 0 or self.min_watch_fraction > 0
