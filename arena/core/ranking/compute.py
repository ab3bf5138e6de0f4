"""The one call the app makes: votes in, a reproducible leaderboard (:class:`Ratings`) out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.bradley_terry import DEFAULT_PRIOR, check_prior, fit_bradley_terry
from arena.core.ranking.data import Comparisons, fingerprint
from arena.core.ranking.graph import (
    NOT_COMPARABLE,
    comparison_graph,
    components,
    describe,
    ranked_group,
)
from arena.core.ranking.intervals import (
    Intervals,
    bootstrap,
    check_level,
    interval_ranks,
    no_intervals,
    sandwich,
)
from arena.core.ranking.ranks import deviations, rank_intervals

CI_METHODS = ("bootstrap", "sandwich", "none")
#: Models with fewer votes are provisional: their rating and interval are shown as unreliable.
DEFAULT_MIN_VOTES = 100


@dataclass(frozen=True)
class Ratings:
    """A leaderboard; every array is (M,) in the order of ``models`` (the input's order).

    Only the models of the ranked group (``comparable``; see
    :func:`arena.core.ranking.graph.ranked_group`) have a rating, bounds and a rank, all fitted
    from the votes among them; the others have NaN ratings and bounds, rank 0, and a reason
    code in ``not_comparable`` (a key of :data:`arena.core.ranking.graph.NOT_COMPARABLE`).
    ``rank`` is 1 + the number of established (not provisional) ranked models whose lower bound
    is above this model's upper bound: a model with a handful of votes has unreliable bounds, so
    it never pushes an established model down (when every ranked model is provisional, all count).
    ``win_rate`` is (wins + ties / 2) / votes (NaN for a model with no votes); ``ties`` counts
    tie and both_bad. ``provisional`` marks models under ``params["min_votes"]`` votes.
    ``coefficients`` maps each style covariate to its estimate and bounds (log-odds per unit).
    ``rank_lower`` and ``rank_upper`` bound the rank each ranked model could hold among the
    established ones, simultaneously for all at ``params["level"]``, and ``tier`` groups the
    established models that cannot be told apart at that level (1 = best; 0 for provisional or
    unranked models): see :mod:`arena.core.ranking.ranks`. ``tiers`` is the number of tiers.
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
    comparable: np.ndarray
    not_comparable: tuple[str | None, ...]
    tie_param: float | None = None
    coefficients: dict[str, dict[str, float]] = field(default_factory=dict)
    converged: bool = True
    rank_lower: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rank_upper: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tier: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def tiers(self) -> int:
        return int(self.tier.max(initial=0))

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per model, best first (by rank, then rating, then name); the
        models not comparable come last (by votes, then name), with null rank and rating."""
        order = sorted(
            range(len(self.models)),
            key=lambda k: (
                (0, self.rank[k], -self.rating[k], self.models[k])
                if self.comparable[k]
                else (1, 0, -self.votes[k], self.models[k])
            ),
        )
        records = []
        for k in order:
            win_rate = float(self.win_rate[k])
            ranked = bool(self.comparable[k])
            records.append(
                {
                    "model": self.models[k],
                    "rank": int(self.rank[k]) if ranked else None,
                    "rank_lower": int(self.rank_lower[k]) if ranked else None,
                    "rank_upper": int(self.rank_upper[k]) if ranked else None,
                    "tier": int(self.tier[k]) if ranked and self.tier[k] else None,
                    "rating": float(self.rating[k]) if ranked else None,
                    "lower": float(self.lower[k]) if ranked else None,
                    "upper": float(self.upper[k]) if ranked else None,
                    "votes": float(self.votes[k]),
                    "wins": float(self.wins[k]),
                    "losses": float(self.losses[k]),
                    "ties": float(self.ties[k]),
                    "win_rate": None if math.isnan(win_rate) else win_rate,
                    "provisional": bool(self.provisional[k]),
                    "not_comparable": self.not_comparable[k],
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
            "tiers": self.tiers,
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

    Ratings, intervals and ranks cover the ranked group only (the largest set of models
    compared both ways, :func:`arena.core.ranking.graph.ranked_group`), fitted from the votes among
    its members and centred on them; every other model is marked not comparable, with the
    reason, whatever the prior (a prior makes any fit finite, but it cannot make ratings of
    models the votes do not compare comparable). With ``prior=0`` the exact MLE must exist for
    all the data: otherwise :class:`RankingError` names the models and why.

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
    prior = check_prior(prior)
    level = check_level(level)
    canon = comp.canonical()
    beats, games = comparison_graph(canon, ties)
    group = ranked_group(beats, games)
    if prior == 0 and not group.ranked.all():
        raise RankingError(
            "prior=0 asks for the exact maximum-likelihood fit, which does not exist for these "
            f"votes: {describe(canon.models, group)}. Use a prior > 0 to rank the largest "
            "group compared both ways and mark the others not comparable yet"
        )
    members = np.flatnonzero(group.ranked)
    keep = tuple(canon.models[k] for k in members)
    if anchor is not None and anchor not in canon.models:
        raise RankingError(f"Unknown anchor model: {anchor!r}")
    if anchor is not None and anchor not in keep:
        why = NOT_COMPARABLE[group.reason[canon.models.index(anchor)]]
        raise RankingError(f"Anchor model {anchor!r} is not comparable yet: {why}")
    m = canon.n_models
    rating, lower, upper = np.full(m, np.nan), np.full(m, np.nan), np.full(m, np.nan)
    rank = np.zeros(m, dtype=np.int64)
    rank_lower, rank_upper = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
    tier = np.zeros(m, dtype=np.int64)
    wins, losses, drawn = canon.per_model_tallies()
    votes = canon.per_model_votes()
    provisional = votes < min_votes
    coefficients: dict[str, dict[str, float]] = {}
    tie_param, converged, rounds_used = None, True, 0
    if keep:
        sub = canon.restrict(keep)
        fit = fit_bradley_terry(
            sub, ties=ties, prior=prior, anchor=anchor, anchor_score=anchor_score
        )
        iv = _intervals(fit, ci, rounds, level, seed, sub.n_votes)
        rating[members], lower[members], upper[members] = fit.rating, iv.lower, iv.upper
        counted = ~provisional[members]
        counts = counted if counted.any() else np.ones_like(counted)
        rank[members] = interval_ranks(iv.lower, iv.upper, counts)
        # the draws for the sandwich come from their own generator: the bootstrap's stays as is
        draws = deviations(iv, fit.rating, np.random.default_rng([seed, 1]))
        ranks = rank_intervals(fit.rating, draws, level=level, counted=counts)
        rank_lower[members], rank_upper[members] = ranks.lower, ranks.upper
        tier[members] = ranks.tier
        if fit.coefficients is not None:
            for k, name in enumerate(fit.covariate_names):
                coefficients[name] = {"estimate": float(fit.coefficients[k])}
                if iv.coef_lower is not None and iv.coef_upper is not None:
                    coefficients[name]["lower"] = float(iv.coef_lower[k])
                    coefficients[name]["upper"] = float(iv.coef_upper[k])
        tie_param, converged = fit.tie_param, fit.converged and iv.converged == 1.0
        rounds_used = rounds if iv.method == "bootstrap" else 0
    back = np.array([canon.models.index(name) for name in comp.models], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        win_rate = np.where(votes > 0, (wins + 0.5 * drawn) / np.where(votes > 0, votes, 1), np.nan)
    params: dict[str, Any] = {
        "ties": ties,
        "ci": ci,
        "rounds": rounds_used,
        "level": float(level),
        "prior": float(prior),
        "anchor": anchor,
        "anchor_score": float(anchor_score) if anchor is not None else None,
        "min_votes": min_votes,
        "scale": 400.0,
        "base": 10.0,
    }
    pairs = np.nonzero(np.triu(games > 0))
    return Ratings(
        models=comp.models,
        rating=rating[back],
        lower=lower[back],
        upper=upper[back],
        rank=rank[back],
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
        components=tuple(
            tuple(canon.models[k] for k in g) for g in components(pairs[0], pairs[1], m)
        ),
        comparable=group.ranked[back],
        not_comparable=tuple(group.reason[k] or None for k in back),
        tie_param=tie_param,
        coefficients=coefficients,
        converged=converged,
        rank_lower=rank_lower[back],
        rank_upper=rank_upper[back],
        tier=tier[back],
    )
