"""What every table module shares: the clock and the outcome vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[str, ...] = ("a", "b", "tie", "both_bad")
"""``a``: the left clip won; ``b``: the right clip won; ``tie``; ``both_bad``."""


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (SQLModel stores it as UTC everywhere)."""
    return datetime.now(UTC)
