"""Placement: a model new to an established board meets the opponents that place it fastest.

A model is *placing* while its own 95% interval is wider than ``placement_width`` Elo: the
Laplace approximation of the live fit (the state the strategies read) given its opponents'
ratings, so it measures how well the model's own votes place it, and one newcomer's wide
interval does not make every established model look unsettled through the mean. While some
models are placing and others are not, a share ``placement_share`` of the traffic is set aside
for them: each placing model gets an equal part of it, spread over its opponents in
proportion to how much one vote against each is expected to shrink the variance of its
rating (raised to ``sharpness``). The rest of the traffic follows the track's strategy
unchanged, so placement never takes more than its bounded share. When every model is placing
(a new board) there is no established board to place against, and the strategy runs alone.

The expected shrinkage of one vote on the pair (n, j), from the current fit: the outcome
carries Fisher information f = E[p (1 - p)] about d = theta_n - theta_j, p the logistic of d,
averaged over d ~ N(mu, s^2) (the probit approximation, so a wide s lowers it); adding it to
the information matrix lowers var(theta_n) by f c^2 / (1 + f s^2), c = cov(theta_n, d), by the
Sherman-Morrison formula. It is largest for an opponent near the newcomer's estimate (p close
to 1/2) whose own rating is well known (small s^2, large c).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from arena.core.matchmaking.config import MatchConfig
from arena.core.matchmaking.state import PoolState, StatRow, build_state

if TYPE_CHECKING:
    from arena.core.matchmaking.pool import TrackPool

ELO = 400.0 / math.log(10.0)
"""Elo points per natural-log unit of strength."""
Z95 = 1.959963984540054


def interval_width(var: np.ndarray) -> np.ndarray:
    """(M,) width in Elo of the 95% interval of ratings with natural-log variances ``var``."""
    return 2.0 * Z95 * ELO * np.sqrt(var)


def placing(state: PoolState, width: float) -> np.ndarray:
    """(M,) bool: models whose own live 95% interval is wider than ``width`` Elo."""
    return interval_width(state.var_own) > width


def expected_fisher(mu: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """E[p (1 - p)] for p = logistic(d), d ~ N(mu, s2): the derivative in mu of E[p]."""
    kappa = np.sqrt(1.0 + np.pi * s2 / 8.0)
    p = 1.0 / (1.0 + np.exp(-mu / kappa))
    return p * (1.0 - p) / kappa


def gains(state: PoolState, pair_a: np.ndarray, pair_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """(P,) expected drop of var(theta_a) and of var(theta_b) from one vote on each pair."""
    mu = state.theta[pair_a] - state.theta[pair_b]
    s2 = state.var_diff
    f = expected_fisher(mu, s2)
    c_a = state.var[pair_a] - state.cov_pair
    c_b = state.var[pair_b] - state.cov_pair
    scale = f / (1.0 + f * s2)
    return scale * c_a**2, scale * c_b**2


def placement_plan(pool: TrackPool, config: MatchConfig) -> np.ndarray | None:
    """(P,) the placement traffic's distribution over the pairs, or None when none is due."""
    if config.placement_share <= 0 or not len(pool.pairs):
        return None
    state, a, b = pool.state, pool.pair_a, pool.pair_b
    new = placing(state, config.placement_width)
    if not new.any() or new.all():
        return None
    gain_a, gain_b = gains(state, a, b)
    r = np.zeros(len(pool.pairs))
    count = 0
    for n in np.flatnonzero(new):
        score = np.where(a == n, gain_a, 0.0) + np.where(b == n, gain_b, 0.0)
        top = float(score.max())
        if top <= 0:
            continue
        q = (score / top) ** config.sharpness
        r += q / q.sum()
        count += 1
    return r / count if count else None


def with_placement(pool: TrackPool, p: np.ndarray, config: MatchConfig) -> np.ndarray:
    """(P,) the strategy's distribution ``p`` with the placement share mixed in, if any is due."""
    r = placement_plan(pool, config)
    if r is None:
        return p
    return (1.0 - config.placement_share) * p + config.placement_share * r


def live_state(models: Sequence[int], stats: Iterable[StatRow]) -> PoolState:
    """The live fit of ``stats`` read off for ``models`` (no pairs): what the two below read."""
    empty = np.zeros(0, dtype=np.int64)
    return build_state(models, empty, empty, stats)


def live_intervals(
    models: Sequence[int],
    stats: Iterable[StatRow],
    *,
    initial: float = 1000.0,
    state: PoolState | None = None,
) -> dict[int, tuple[float, float, float]]:
    """Each model's (rating, lower, upper) in Elo from the live counts ``stats``: provisional.

    The fit the strategies read (Bradley-Terry with the prior's virtual ties, so it is finite
    from the first vote, and for a model with none), centred at ``initial``, with its 95%
    Laplace interval: wide with few votes, and the width placement compares with its setting.
    ``state``: :func:`live_state` of the same models and counts, if already fitted.
    """
    if not models:
        return {}
    state = state or live_state(models, stats)
    half = interval_width(state.var) / 2.0
    rating = initial + ELO * state.theta
    return {
        m: (float(rating[k]), float(rating[k] - half[k]), float(rating[k] + half[k]))
        for k, m in enumerate(models)
    }


def placing_models(
    models: Sequence[int],
    stats: Iterable[StatRow],
    width: float,
    *,
    state: PoolState | None = None,
) -> set[int]:
    """The ``models`` (those in battles) that matchmaking is placing, from the live counts:
    the rule :func:`with_placement` applies to the catalogue's pool, for the leaderboard.
    ``state``: :func:`live_state` of the same models and counts, if already fitted."""
    if not models:
        return set()
    new = placing(state or live_state(models, stats), width)
    return {m for m, is_new in zip(models, new, strict=True) if is_new}
