"""Online Elo: the live per-vote update and a sequential replay over an ordered vote list."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.data import Comparisons

#: score of side a per outcome code: a wins 1, b wins 0, tie and both_bad 0.5
_SCORE_A = (1.0, 0.0, 0.5, 0.5)


def expected_score(r_a: float, r_b: float) -> float:
    """Probability that a beats b on the Elo scale (base 10, scale 400)."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))


def elo_update(r_a: float, r_b: float, score_a: float, k: float = 4.0) -> tuple[float, float]:
    """One Elo update; ``score_a`` is 1 (a won), 0 (b won) or 0.5 (tie or both_bad).

    Returns the new (r_a, r_b); the total rating is conserved.
    """
    if not 0.0 <= score_a <= 1.0:
        raise RankingError(f"score_a must be between 0 and 1, got {score_a!r}")
    if not (math.isfinite(k) and k > 0):
        raise RankingError(f"k must be a positive number, got {k!r}")
    delta = k * (score_a - expected_score(r_a, r_b))
    return r_a + delta, r_b - delta


def online_elo(
    votes: Comparisons | tuple[np.ndarray, np.ndarray, np.ndarray, Sequence[str]],
    k: float = 4.0,
    initial: float = 1000.0,
) -> np.ndarray:
    """Replay votes in order with :func:`elo_update`; returns (M,) final ratings.

    ``votes`` is a :class:`Comparisons` in vote order (a row with count c is c consecutive
    identical votes; weights are ignored) or a tuple ``(a (R,), b (R,), outcome (R,), models)``.
    Unlike Bradley-Terry, the result depends on the order of the votes.
    """
    if isinstance(votes, Comparisons):
        comp = votes
    else:
        a, b, outcome, models = votes
        comp = Comparisons(tuple(models), a, b, outcome, np.ones(len(a)))
    a, b, outcome, counts, models = comp.a, comp.b, comp.outcome, comp.count, comp.models
    if not np.array_equal(counts, np.round(counts)):
        raise RankingError("online_elo needs whole vote counts")
    if not (math.isfinite(k) and k > 0):
        raise RankingError(f"k must be a positive number, got {k!r}")
    ratings = [float(initial)] * len(models)
    for ia, ib, o, c in zip(a.tolist(), b.tolist(), outcome.tolist(), counts.tolist(), strict=True):
        s = _SCORE_A[o]
        for _ in range(int(c)):
            ra, rb = ratings[ia], ratings[ib]
            delta = k * (s - 1.0 / (1.0 + 10.0 ** ((rb - ra) / 400.0)))
            ratings[ia], ratings[ib] = ra + delta, rb - delta
    return np.array(ratings)
