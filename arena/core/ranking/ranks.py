"""Simultaneous rank intervals and tiers, from draws of the ratings (bootstrap or normal).

Method (after Klein, Wright and Wieczorek 2020, "A joint confidence region for an overall
ranking of populations", and Al Mohamad et al. 2024 on rank confidence intervals): rank
intervals come from simultaneous confidence intervals for every pairwise difference
theta_i - theta_j. A max statistic calibrates them jointly:

    T = max over pairs i < j of |D*_ij - D_ij| / se_ij

where D_ij is the fitted difference, D*_ij the same difference in one draw (a bootstrap round,
or a draw from the fitted normal of the sandwich estimate) and se_ij the draws' standard
deviation of D*_ij. With c the ``level`` quantile of T, model i is *above* model j when
D_ij > c se_ij. Step-down (Romano and Wolf 2005): the pairs told apart leave the max, c is
recomputed over the pairs left, and so on until no more pairs are told apart; this keeps the
family-wise level while telling more pairs apart. Then, counting only the established models
j (as the CI-aware rank does):

    rank lower bound of i = 1 + #{j above i}
    rank upper bound of i = 1 + #{j : i is not above j}

Whenever every pairwise interval holds (probability ``level``, up to the draws' error), every
model's true rank lies in its interval at once: the coverage is simultaneous, not per model.
Marginal quantiles of each model's rank across the rounds would cover each model 95% of the
time, but with 20 models far from all of them at once; and the bootstrap distribution of a
rank is centred on the fitted order, not the true one, so near-ties make it too narrow (Hall
and Miller 2009). A max over the pairs is narrower than a Bonferroni correction, since it
uses the correlation between the pairs, and narrower than ranks from a simultaneous band on
the ratings themselves, since a difference varies less than the sum of the two ratings'
uncertainties.

Tiers cut the established models, in rating order, wherever the rank intervals allow: after
position k when every model of the top k has a rank upper bound <= k and every model below
has a rank lower bound >= k + 1. So whenever the rank intervals all hold (the same
simultaneous ``level``), every model of a tier is better than every model of the tiers below;
inside a tier the order is not settled. Provisional models have no tier.

The CI-aware rank shown beside (1 + the established models whose per-model interval lies
wholly above) answers a different question: it can be better than the rank interval's best,
since two per-model intervals may overlap while the difference between the two models is
clear (non-overlap is a conservative test of a difference). Both hold the fitted order's rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.core.ranking.intervals import Intervals

#: draws from the fitted normal when the intervals come from the sandwich estimate
SIMULATIONS = 4000
#: pair differences held at once while computing the max statistic (bounds memory: 16 MB)
BLOCK = 2_000_000


@dataclass(frozen=True)
class RankIntervals:
    """Simultaneous rank intervals and tiers; arrays are (M,) in the ratings' order.

    Attributes:
        lower, upper: int64 rank bounds (1 = best), among the counted models and the model
            itself.
        tier: int64 tier (1 = best) of each counted model; 0 for the others.
        above: (M, M) bool; above[i, j]: i is better than j at the simultaneous level.
        critical: the max statistic's quantile c (0 without draws).
        level: simultaneous coverage level.
    """

    lower: np.ndarray
    upper: np.ndarray
    tier: np.ndarray
    above: np.ndarray
    critical: float
    level: float

    @property
    def tiers(self) -> int:
        """Number of tiers."""
        return int(self.tier.max(initial=0))


def deviations(
    intervals: Intervals, rating: np.ndarray, rng: np.random.Generator
) -> np.ndarray | None:
    """(R, M) draws of the ratings minus the fitted ``rating`` (M,), in Elo, or None.

    Bootstrap: the rounds. Sandwich: :data:`SIMULATIONS` draws from the fitted normal, N(0,
    its covariance), seeded by ``rng``. Without intervals, None.
    """
    if intervals.samples is not None:
        return intervals.samples - rating[None, :]
    if intervals.covariance is not None:
        w, v = np.linalg.eigh(intervals.covariance)  # singular along the centring
        root = v * np.sqrt(np.clip(w, 0.0, None))
        return rng.standard_normal((SIMULATIONS, rating.size)) @ root.T
    return None


def rank_intervals(
    rating: np.ndarray,
    draws: np.ndarray | None,
    *,
    level: float = 0.95,
    counted: np.ndarray | None = None,
) -> RankIntervals:
    """Simultaneous rank intervals and tiers (see the module's docstring for the method).

    Args:
        rating: (M,) fitted ratings.
        draws: (R, M) deviations of the draws from ``rating`` (:func:`deviations`); None for
            none (models are then apart exactly when their ratings differ).
        level: simultaneous coverage.
        counted: (M,) bool, the models that count in others' ranks and get a tier (None: all).
    """
    m = rating.size
    counted = np.ones(m, dtype=bool) if counted is None else counted.astype(bool)
    above, critical = _above(rating, draws, level)
    others = counted[None, :] & ~np.eye(m, dtype=bool)
    lower = 1 + (above.T & others).sum(axis=1)
    upper = 1 + (~above & others).sum(axis=1)
    return RankIntervals(
        lower=lower.astype(np.int64),
        upper=upper.astype(np.int64),
        tier=cut_tiers(rating, lower, upper, counted),
        above=above,
        critical=critical,
        level=level,
    )


def cut_tiers(
    rating: np.ndarray, lower: np.ndarray, upper: np.ndarray, counted: np.ndarray
) -> np.ndarray:
    """(M,) int64 tiers of the counted models (1 = best; 0 for the others).

    In rating order (then index), a tier ends after position k when the top k models all have
    ``upper`` <= k and the models below all have ``lower`` >= k + 1.
    """
    members = np.flatnonzero(counted)
    order = members[np.lexsort((members, -rating[members]))]
    n = order.size
    tier = np.zeros(rating.size, dtype=np.int64)
    if n == 0:
        return tier
    top = np.maximum.accumulate(upper[order])  # max upper bound of positions 1..k+1
    rest = np.minimum.accumulate(lower[order][::-1])[::-1]  # min lower bound of k+1..n
    k = np.arange(1, n)
    cuts = (top[:-1] <= k) & (rest[1:] >= k + 1)
    tier[order] = 1 + np.concatenate(([0], np.cumsum(cuts)))
    return tier


def _above(rating: np.ndarray, draws: np.ndarray | None, level: float) -> tuple[np.ndarray, float]:
    """((M, M) bool, c): above[i, j] when rating_i - rating_j > c se_ij, c the max statistic's
    quantile over every pair (step-down lowers it for the pairs left once some are apart)."""
    m = rating.size
    diff = rating[:, None] - rating[None, :]
    if draws is None or m < 2:
        return diff > 0, 0.0
    i, j = np.triu_indices(m, 1)
    rounds = draws.shape[0]
    step = max(1, BLOCK // max(i.size, 1))
    total = np.zeros(i.size)
    square = np.zeros(i.size)
    for start in range(0, rounds, step):
        d = draws[start : start + step, i] - draws[start : start + step, j]
        total += d.sum(axis=0)
        square += (d * d).sum(axis=0)
    mean = total / rounds
    var = (square - rounds * mean * mean) / max(rounds - 1, 1)
    se = np.sqrt(np.clip(var, 0.0, None))
    live = se > 1e-9 * max(1.0, float(np.abs(rating).max()))  # a pair that never moves: apart never
    if not live.any():
        return np.zeros((m, m), dtype=bool), 0.0
    i, j, se = i[live], j[live], se[live]
    observed = np.abs(diff[i, j]) / se
    apart = np.zeros(i.size, dtype=bool)
    critical = _quantile_of_max(draws, i, j, se, level)
    cut = critical
    # step-down: the pairs told apart leave the max, which may then tell more apart
    while True:
        left = np.flatnonzero(~apart)
        if left.size < i.size:
            cut = _quantile_of_max(draws, i[left], j[left], se[left], level)
        new = left[observed[left] > cut]
        if new.size == 0 or new.size == left.size:
            apart[new] = True
            break
        apart[new] = True
    above = np.zeros((m, m), dtype=bool)
    k = np.flatnonzero(apart)
    above[i[k], j[k]] = diff[i[k], j[k]] > 0
    above[j[k], i[k]] = diff[j[k], i[k]] > 0
    return above, critical


def _quantile_of_max(
    draws: np.ndarray, i: np.ndarray, j: np.ndarray, se: np.ndarray, level: float
) -> float:
    """The ``level`` quantile over the draws of max over pairs (i, j) of |d_i - d_j| / se."""
    rounds = draws.shape[0]
    stat = np.empty(rounds)
    step = max(1, BLOCK // i.size)
    for start in range(0, rounds, step):
        d = draws[start : start + step, i] - draws[start : start + step, j]
        stat[start : start + step] = (np.abs(d) / se).max(axis=1)
    return float(np.quantile(stat, level))
