"""Online Elo (placeholder until the ranking engine lands)."""

from __future__ import annotations


def elo_update(r_a: float, r_b: float, score_a: float, k: float = 4.0) -> tuple[float, float]:
    """New ratings after one game; ``score_a`` is 1 (a won), 0 (b won) or 0.5."""
    expected = 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))
    delta = k * (score_a - expected)
    return r_a + delta, r_b - delta
