"""Position (left/right) bias: do voters favour a side regardless of the clips?

Sides are shuffled uniformly on the server, so without a bias the left clip wins half of the
decisive votes (``a`` or ``b``) whatever the models. We report the left share with a Wilson
95% interval and a two-sided normal-approximation p-value against 1/2.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

Z95 = 1.959963984540054


class PositionBias(BaseModel):
    track: str
    votes: int
    left_wins: int
    right_wins: int
    ties: int
    both_bad: int
    left_share: float | None
    """Left wins over decisive votes."""
    lower: float | None
    upper: float | None
    p_value: float | None
    """Two-sided, against no bias (1/2)."""


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def position_bias(track: str, counts: dict[str, int]) -> PositionBias:
    """Summarise one track's outcome counts (``a`` = left won)."""
    left, right = counts.get("a", 0), counts.get("b", 0)
    decisive = left + right
    lower, upper = wilson(left, decisive) if decisive else (None, None)
    p = None
    if decisive:
        z = (left - decisive / 2) / math.sqrt(decisive / 4)
        p = math.erfc(abs(z) / math.sqrt(2))
    return PositionBias(
        track=track,
        votes=sum(counts.values()),
        left_wins=left,
        right_wins=right,
        ties=counts.get("tie", 0),
        both_bad=counts.get("both_bad", 0),
        left_share=round(left / decisive, 4) if decisive else None,
        lower=None if lower is None else round(lower, 4),
        upper=None if upper is None else round(upper, 4),
        p_value=p,
    )
