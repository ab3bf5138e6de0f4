"""The abuse defenses' configuration, parsed once from :class:`arena.settings.Settings`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arena.settings import Settings

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests in any ``seconds``-long sliding window."""

    count: int
    seconds: int

    def __str__(self) -> str:
        unit = next((u for u, s in UNITS.items() if s == self.seconds), None)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.seconds}s"


def parse_limits(text: str) -> tuple[RateLimit, ...]:
    """``"20/minute,1000/day"`` -> limits; ``""`` or ``"off"`` -> none.

    Units: second, minute, hour, day (plural allowed), or a number of seconds (``"5/30"``).
    """
    text = text.strip()
    if text.lower() in ("", "off", "none"):
        return ()
    limits: list[RateLimit] = []
    for part in text.split(","):
        count_text, sep, unit = part.strip().partition("/")
        unit = unit.strip().lower()
        count = int(count_text) if count_text.strip().isdigit() else 0
        seconds = int(unit) if unit.isdigit() else UNITS.get(unit.removesuffix("s"), 0)
        if not sep or count <= 0 or seconds <= 0:
            raise ValueError(
                f"bad limit {part.strip()!r}: write COUNT/UNIT with a unit of "
                f"{', '.join(UNITS)} (e.g. '20/minute,1000/day'), or 'off'"
            )
        if any(limit.seconds == seconds for limit in limits):
            raise ValueError(f"two limits over the same {seconds} s window in {text!r}")
        limits.append(RateLimit(count, seconds))
    return tuple(limits)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> networks whose X-Forwarded-For is trusted."""
    networks = []
    for part in text.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an IP address or network: {part.strip()!r}") from None
    return tuple(networks)


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
        )
