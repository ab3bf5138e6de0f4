"""Rate limits and trusted networks, parsed from their setting's text.

Pure parsers that import nothing from Arena: :mod:`arena.settings` validates its variables with
them, and :mod:`arena.core.integrity.policy` builds the running policy with them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

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
