"""The one call the app makes: votes in, a reproducible leaderboard (:class:`Ratings`) out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.ranking.bradley_terry import DEFAULT_PRIOR, fit_bradley_terry
from arena.ranking.data import Comparisons, fingerprint
from arena.ranking.errors import RankingError
from arena.ranking.intervals import Intervals, bootstrap, interval_ranks, no_intervals, sandwich

CI_METHODS = ("bootstrap", "sandwich", "none")
#: Models with fewer votes are provisional: their rating and interval are shown as unreliable.
DEFAULT_MIN_VOTES = 100


@dataclass(frozen=True)
class Ratings:
    """A leaderboard; every array is (M,) in the order of ``models`` (the input's order).

    ``rank`` is 1 + the number of established (not provisional) models whose lower bound is above
    this model's upper bound: a model with a handful of votes has unreliable bounds, so it never
    pushes an established model down (when every model is provisional, all count).
    ``win_rate`` is (wins + ties / 2) / votes (NaN for a model with no votes); ``ties`` counts
    tie and both_bad. ``provisional`` marks models under ``params["min_votes"]`` votes.
    ``coefficients`` maps each style covariate to its estimate and bounds (log-odds per unit).
    """

    models: tuple[str, ...]
    rating: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rank: np.ndarray
    votes: np.ndarray
    wins: np.ndarray
    losses: np.ndarray
    ties: np.ndarray
    win_rate: np.ndarray
    provisional: np.ndarray
    method: str
    params: dict[str, Any]
    seed: int
    n_votes: float
    fingerprint: str
    components: tuple[tuple[str, ...], ...]
    tie_param: float | None = None
    coefficients: dict[str, dict[str, float]] = field(default_factory=dict)
    converged: bool = True

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per model, best first (by rank, then rating, then name)."""
        order = sorted(
            range(len(self.models)), key=lambda k: (self.rank[k], -self.rating[k], self.models[k])
        )
        records = []
        for k in order:
            win_rate = float(self.win_rate[k])
            records.append(
                {
                    "model": self.models[k],
                    "rank": int(self.rank[k]),
                    "rating": float(self.rating[k]),
                    "lower": float(self.lower[k]),
                    "upper": float(self.upper[k]),
                    "votes": float(self.votes[k]),
                    "wins": float(self.wins[k]),
                    "losses": float(self.losses[k]),
                    "ties": float(self.ties[k]),
                    "win_rate": None if math.isnan(win_rate) else win_rate,
                    "provisional": bool(self.provisional[k]),
                }
            )
        return records

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready data: the run's metadata and :meth:`to_records`."""
        return {
            "method": self.method,
            "params": dict(self.params),
            "seed": self.seed,
            "n_votes": self.n_votes,
            "fingerprint": self.fingerprint,
            "components": [list(c) for c in self.components],
            "tie_param": self.tie_param,
            "coefficients": {k: dict(v) for k, v in self.coefficients.items()},
            "converged": self.converged,
            "models": self.to_records(),
        }


def _intervals(
    fit: Any, ci: str, rounds: int, level: float, seed: int, n_votes: float
) -> Intervals:
    if ci == "none" or n_votes == 0:
        return no_intervals(fit, level)
    if ci == "sandwich":
        return sandwich(fit, level=level)
    return bootstrap(fit, rounds=rounds, level=level, rng=np.random.default_rng(seed))


def rate(
    comp: Comparisons,
    *,
    ties: str = "half",
    ci: str = "bootstrap",
    rounds: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    anchor: str | None = None,
    anchor_score: float = 1000.0,
    min_votes: float = DEFAULT_MIN_VOTES,
    prior: float = DEFAULT_PRIOR,
) -> Ratings:
    """Bradley-Terry ratings with intervals, ranks and per-model tallies.

    The data are put in canonical form first (models sorted by name, identical rows merged), so
    the result, bootstrap included, depends only on the votes, not on row or model order; the
    same data and seed give the same output to the last digit.

    Args:
        comp: the votes (any row order).
        ties: "half" (default; tie and both_bad = half a win each), "drop" or "davidson".
        ci: "bootstrap" (``rounds`` resamples, seeded by ``seed``), "sandwich" or "none".
        level: interval coverage.
        anchor, anchor_score: pin one model's rating; otherwise the mean rating is 1000.
        min_votes: models with fewer votes are marked provisional.
        prior: virtual ties per model (0 = exact MLE; see docs/ranking.md).
    """
    if ci not in CI_METHODS:
        raise RankingError(f"Unknown ci method: {ci!r}; expected one of {CI_METHODS}")
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise RankingError(f"seed must be an integer >= 0, got {seed!r}")
    if not (isinstance(min_votes, int | float) and min_votes >= 0):
        raise RankingError(f"min_votes must be a number >= 0, got {min_votes!r}")
    canon = comp.canonical()
    fit = fit_bradley_terry(canon, ties=ties, prior=prior, anchor=anchor, anchor_score=anchor_score)
    iv = _intervals(fit, ci, rounds, level, seed, canon.n_votes)
    back = np.array([canon.models.index(name) for name in comp.models], dtype=np.int64)
    wins, losses, drawn = canon.per_model_tallies()
    votes = canon.per_model_votes()
    provisional = votes < min_votes
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(votes > 0, (wins + 0.5 * drawn) / np.where(votes > 0, votes, 1), np.nan)
    coefficients: dict[str, dict[str, float]] = {}
    if fit.coefficients is not None:
        for k, name in enumerate(fit.covariate_names):
            coefficients[name] = {"estimate": float(fit.coefficients[k])}
            if iv.coef_lower is not None and iv.coef_upper is not None:
                coefficients[name]["lower"] = float(iv.coef_lower[k])
                coefficients[name]["upper"] = float(iv.coef_upper[k])
    params: dict[str, Any] = {
        "ties": ties,
        "ci": ci,
        "rounds": rounds if iv.method == "bootstrap" else 0,
        "level": float(level),
        "prior": float(prior),
        "anchor": anchor,
        "anchor_score": float(anchor_score) if anchor is not None else None,
        "min_votes": min_votes,
        "scale": 400.0,
        "base": 10.0,
    }
    return Ratings(
        models=comp.models,
        rating=fit.rating[back],
        lower=iv.lower[back],
        upper=iv.upper[back],
        rank=interval_ranks(iv.lower, iv.upper, None if provisional.all() else ~provisional)[back],
        votes=votes[back],
        wins=wins[back],
        losses=losses[back],
        ties=drawn[back],
        win_rate=win_rate[back],
        provisional=provisional[back],
        method="davidson" if ties == "davidson" else "bradley_terry",
        params=params,
        seed=seed,
        n_votes=canon.n_votes,
        fingerprint=fingerprint(canon),
        components=fit.components,
        tie_param=fit.tie_param,
        coefficients=coefficients,
        converged=fit.converged and iv.converged == 1.0,
    )
