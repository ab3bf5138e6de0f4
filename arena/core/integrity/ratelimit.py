"""Sliding-window rate limits over fixed-window counters (the two-window estimate).

Each limit keeps, per key, the count of the current fixed window and of the one before it
(one row). A request is allowed when
``previous x (1 - elapsed fraction) + current + 1 <= count``: the rolling rate without
storing every request, and no burst of 2x at a window edge as plain fixed windows allow.
Counters live in the database (:mod:`arena.store.ratelimits`), so every worker shares them.
"""

from __future__ import annotations

import math

from arena.core.integrity.policy import RateLimit


def window_of(limit: RateLimit, now: float) -> int:
    return int(now // limit.seconds)


def estimate(limit: RateLimit, now: float, previous: int, current: int) -> float:
    """Requests in the sliding window ending now, counting ``current`` already made ones."""
    fraction = (now % limit.seconds) / limit.seconds
    return previous * (1.0 - fraction) + current


def retry_after(limit: RateLimit, now: float, previous: int, current: int) -> int:
    """Whole seconds until one more request fits under ``limit`` (at least 1)."""
    size = limit.seconds
    into = now % size
    if current + 1 <= limit.count:
        # Wait for the previous window's share to decay enough within this window.
        room = limit.count - current - 1
        target = 1.0 - room / previous if previous else 0.0
        wait = target * size - into
    else:
        # This window is full: in the next one it becomes "previous" and must decay too.
        target = 1.0 - (limit.count - 1) / current if current else 0.0
        wait = (size - into) + max(target, 0.0) * size
    return max(1, math.ceil(wait))
