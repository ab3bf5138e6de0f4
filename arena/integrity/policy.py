"""The abuse defenses' configuration, parsed once from :class:`arena.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# The parsers live in arena.integrity.limits, which arena.settings imports to validate its
# variables; they are re-exported here, where the rest of the code has always found them.
from arena.integrity.limits import UNITS, Network, RateLimit, parse_limits, parse_networks

if TYPE_CHECKING:
    from arena.settings import Settings

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
    exclude_seen: bool = False
    """Exclude (reason ``seen``) a vote on a battle showing a clip the voter had seen revealed."""

    @property
    def watch_rule(self) -> bool:
        """The watch-time rule is on unless both thresholds are zero."""
        return self.min_watch_ms > 0 or self.min_watch_fraction > 0

    @classmethod
    def from_settings(cls, settings: Settings) -> IntegrityPolicy:
        return cls(
            min_watch_ms=settings.min_watch_ms,
            min_watch_fraction=settings.min_watch_fraction,
            watch_slack_ms=settings.watch_slack_ms,
            voter_vote_limits=parse_limits(settings.voter_vote_limits),
            ip_vote_limits=parse_limits(settings.ip_vote_limits),
            voter_battle_limits=parse_limits(settings.voter_battle_limits),
            ip_battle_limits=parse_limits(settings.ip_battle_limits),
            anomaly_alpha=settings.anomaly_alpha,
            anomaly_min_history=settings.anomaly_min_history,
            exclude_seen=settings.exclude_seen,
        )
