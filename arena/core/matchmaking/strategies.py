"""The pair distributions: uniform, LMArena-style weights, and active (information-seeking).

Each strategy maps a pool (its eligible pairs and current :class:`PoolState`) to a probability
for every eligible pair, summing to 1. The distribution is computed once per catalogue load
and cached, so issuing a battle only draws from it; the probability drawn is recorded with the
battle, exactly as used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from arena.core.matchmaking.config import MatchConfig
from arena.core.matchmaking.exposure import balanced, bound_exposure, paired_models

if TYPE_CHECKING:
    from arena.core.matchmaking.pool import TrackPool

#: logistic(x) is close to Phi(x * PROBIT) (the usual probit approximation of the logistic)
PROBIT = float(np.sqrt(np.pi / 8.0))
#: h(Phi(x)) is close to exp(-x^2 / (pi ln 2)) (Houlsby et al. 2011); BALD_C2 = pi ln 2 / 2
BALD_C2 = float(np.pi * np.log(2.0) / 2.0)


def uniform(pool: TrackPool, config: MatchConfig) -> np.ndarray:
    """Every eligible pair equally likely."""
    n = len(pool.pairs)
    return np.full(n, 1.0 / n)


def weighted(pool: TrackPool, config: MatchConfig) -> np.ndarray:
    """LMArena's two-stage draw: a first model by weight, then its rival by weight.

    A model's weight is its configured weight (default 1) times ``boost`` while it has fewer
    than ``boost_votes`` votes on the track, as FastChat's ``get_battle_pair`` does. The exact
    probability of the pair {a, b} is w_a / W * w_b / R_a + w_b / W * w_a / R_b, where W sums
    the weights of models that have a rival and R_x the weights of x's possible rivals.
    Exposure bounds then apply.
    """
    a, b, m = pool.pair_a, pool.pair_b, len(pool.models)
    w = np.array([config.weight_of(pool.slugs.get(mid, "")) for mid in pool.models])
    w = w * np.where(pool.state.votes < config.boost_votes, config.boost, 1.0)
    w = np.where(paired_models(a, b, m), w, 0.0)
    rivals = np.bincount(a, w[b], m) + np.bincount(b, w[a], m)
    total = w.sum()
    q = w[a] / total * w[b] / rivals[a] + w[b] / total * w[a] / rivals[b]
    return _bounded(pool, q, config)


def active(pool: TrackPool, config: MatchConfig) -> np.ndarray:
    """Pairs in proportion to how much their outcome would sharpen the ranking.

    For each pair the rating difference is d ~ N(mu, s^2) under the current fit (s includes
    the two models' covariance, so few comparisons mean a large s). The score is the product
    of two factors:

    * the expected information of the vote about the ratings: the mutual information between
      the outcome and d (BALD, Houlsby et al. 2011), which is largest for close pairs with
      wide intervals and shrinks like s^2 as the pair gets compared;
    * the chance the two models are currently in the wrong order, 2 Phi(-|mu| / s) (1 when
      their intervals overlap completely, near 0 when they are clearly apart), so votes go to
      orderings still in doubt rather than to differences already settled.

    With ``focus_top`` = k > 0 the score of a pair is also weighed by how likely one of its
    models is to be among the top k (:func:`top_weight`), so votes go to the orderings at the
    top of the board.

    Scores are raised to ``sharpness``, mixed with ``explore`` of the uniform distribution
    (every pair keeps a chance, which keeps inverse-propensity weights bounded) and put within
    the exposure bounds.
    """
    state = pool.state
    mu = state.theta[pool.pair_a] - state.theta[pool.pair_b]
    s2 = state.var_diff
    score = information(mu, s2) * 2.0 * normal_cdf(-np.abs(mu) / np.sqrt(s2))
    if config.focus_top > 0:
        w = top_weight(pool, config.focus_top)
        score = score * np.maximum(w[pool.pair_a], w[pool.pair_b])
    top = float(score.max())
    q = (score / top) ** config.sharpness if top > 0 else np.ones_like(score)
    q = q / q.sum()
    q = (1.0 - config.explore) * q + config.explore / q.shape[0]
    return _bounded(pool, q, config)


def top_weight(pool: TrackPool, k: int) -> np.ndarray:
    """(M,) how much each model matters to the order of the top ``k``: 1 while the expected
    number of models above it (sum over its pairs of the chance the other is stronger, from the
    current fit) is under ``k``, then falling by a factor e per model further down."""
    state, a, b = pool.state, pool.pair_a, pool.pair_b
    m = len(pool.models)
    z = (state.theta[b] - state.theta[a]) / np.sqrt(state.var_diff)
    above = np.bincount(a, normal_cdf(z), m) + np.bincount(b, normal_cdf(-z), m)
    return np.exp(-np.maximum(above - (k - 0.5), 0.0))


def information(mu: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """(P,) bits a pairwise vote is expected to carry about d ~ N(mu, s2), logistic model."""
    m, v = PROBIT * mu, PROBIT**2 * s2
    predictive = normal_cdf(m / np.sqrt(1.0 + v))
    expected_entropy = np.sqrt(BALD_C2 / (v + BALD_C2)) * np.exp(-(m**2) / (2.0 * (v + BALD_C2)))
    return np.maximum(binary_entropy(predictive) - expected_entropy, 0.0)


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in bits of a coin with heads probability ``p``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, vectorised (Abramowitz & Stegun 7.1.26, error below 1e-7)."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _bounded(pool: TrackPool, q: np.ndarray, config: MatchConfig) -> np.ndarray:
    base = pool.cache.get("balanced")
    if base is None:
        base = pool.cache["balanced"] = balanced(pool.pair_a, pool.pair_b, len(pool.models))
    return bound_exposure(
        q,
        base,
        pool.pair_a,
        pool.pair_b,
        len(pool.models),
        low=config.exposure_min,
        high=config.exposure_max,
    )


STRATEGY: dict[str, Callable[[TrackPool, MatchConfig], np.ndarray]] = {
    "uniform": uniform,
    "weighted": weighted,
    "active": active,
}
"""Strategy name (as in ARENA_MATCH_STRATEGY and ``Battle.strategy``) to its distribution."""
