"""What the strategies know about a track: current ratings, their uncertainty, live vote counts.

Built once per catalogue load (every ``catalog_ttl_seconds``, off the request path) from the
maintained vote statistics, never per battle. The ratings are the Bradley-Terry fit of the
official recompute (ties as half wins, one virtual tie per model) on the live counts; the
uncertainty is its Laplace approximation, the inverse of the information matrix, so the
variance of every pair's rating difference includes the covariance between the two models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from arena.core.ranking.bradley_terry import DEFAULT_PRIOR, fit_bradley_terry
from arena.core.ranking.data import Comparisons
from arena.core.ranking.likelihood import bt_pairs
from arena.core.vocabulary import OUTCOME_CODE

StatRow = tuple[int, int, str, int]
"""One maintained statistic: (model_lo, model_hi, outcome from lo's side, count)."""


@dataclass(frozen=True, eq=False)
class PoolState:
    """Ratings and counts of one track's battle-ready models, aligned with the pool's arrays.

    Attributes:
        theta: (M,) natural-log strengths (mean 0 over every model with votes or clips).
        var_diff: (P,) posterior variance of ``theta[a] - theta[b]`` for each eligible pair.
        var: (M,) posterior variance of each model's ``theta`` less the mean strength (the
            width of its own interval on the centred scale the ratings are shown on).
        cov_pair: (P,) the same covariance between ``theta[a]`` and ``theta[b]``, per pair.
        var_own: (M,) variance of each model's ``theta`` given the others' (1 / its diagonal
            of the information): how well its own votes pin it against its opponents. Unlike
            ``var`` it does not grow with another model's uncertainty (which moves the mean).
        votes: (M,) votes each model has on the track (against any opponent, retired included).
        pair_votes: (P,) votes between the two models of each eligible pair.
    """

    theta: np.ndarray
    var_diff: np.ndarray
    votes: np.ndarray
    pair_votes: np.ndarray
    var: np.ndarray
    cov_pair: np.ndarray
    var_own: np.ndarray

    @property
    def total_votes(self) -> float:
        return float(self.votes.sum()) / 2.0


def build_state(
    models: Sequence[int],
    pair_a: np.ndarray,
    pair_b: np.ndarray,
    stats: Iterable[StatRow],
    *,
    prior: float = DEFAULT_PRIOR,
) -> PoolState:
    """Fit the live counts ``stats`` and read off what the strategies need for ``models``.

    ``pair_a``/``pair_b`` (P,) index ``models`` (the eligible pairs). Models of ``stats`` outside
    ``models`` (retired ones) still inform the fit. Cost: one Newton fit and one M x M inverse.
    """
    rows = [(lo, hi, outcome, n) for lo, hi, outcome, n in stats if n > 0]
    names = sorted({m for lo, hi, _, _ in rows for m in (lo, hi)} | set(models))
    position = {m: k for k, m in enumerate(names)}
    k = len(names)
    lo = np.array([position[r[0]] for r in rows], dtype=np.int64)
    hi = np.array([position[r[1]] for r in rows], dtype=np.int64)
    count = np.array([r[3] for r in rows], dtype=np.float64)
    comp = Comparisons(
        tuple(str(m) for m in names),
        lo,
        hi,
        np.array([OUTCOME_CODE[r[2]] for r in rows], dtype=np.int64),
        count,
    )
    fit = fit_bradley_terry(comp, ties="half", prior=prior)
    totals = fit.rows.kind_totals(fit.rows.count[None])
    _, _, info = bt_pairs(fit.rows, totals, fit.prior)(fit.x[None], 2)
    assert info is not None
    cov = np.linalg.inv(info[0])
    pick = np.array([position[m] for m in models], dtype=np.int64)
    ia, ib = pick[pair_a], pick[pair_b]
    var_diff = np.maximum(cov[ia, ia] + cov[ib, ib] - 2.0 * cov[ia, ib], 1e-12)
    votes = comp.per_model_votes()[pick]
    by_pair = np.bincount(np.minimum(lo, hi) * k + np.maximum(lo, hi), count, k * k)
    pair_votes = by_pair[np.minimum(ia, ib) * k + np.maximum(ia, ib)]
    # Ratings are shown centred (only differences are identified), so a model's own variance
    # is that of theta minus the mean: the covariance of the centred strengths J C J.
    mean = cov.mean(axis=0) if k else np.zeros(0)
    centred = cov - mean[:, None] - mean[None, :] + (mean.mean() if k else 0.0)
    return PoolState(
        theta=fit.theta[pick],
        var_diff=var_diff,
        votes=votes,
        pair_votes=pair_votes,
        var=np.maximum(centred[pick, pick], 1e-12),
        cov_pair=centred[ia, ib],
        var_own=1.0 / np.diagonal(info[0])[pick],
    )
