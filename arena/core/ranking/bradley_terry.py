"""Bradley-Terry maximum-likelihood (or weak-prior MAP) ratings on the Elo scale.

Solved by damped Newton to a max-norm step of 1e-10 log-strength units (about 2e-8 Elo), so the
point ratings are the exact optimum of the stated objective, not an early-stopped approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.data import Comparisons
from arena.core.ranking.fitrows import DRAW, WIN_A, WIN_B, FitRows, build_fit_rows
from arena.core.ranking.graph import components, strong_components
from arena.core.ranking.likelihood import bt_pairs, bt_rows, davidson_pairs
from arena.core.ranking.newton import NewtonResult, newton_ascent

#: Elo points per natural-log unit of strength: 400 / ln 10.
ELO_SCALE = 400.0 / math.log(10.0)
#: Default prior: one virtual tie per model against an average model (see docs/ranking.md).
DEFAULT_PRIOR = 1.0


@dataclass(frozen=True)
class BTFit:
    """A fitted Bradley-Terry (or Davidson) model.

    Attributes:
        models: (M,) names.
        theta: (M,) natural-log strengths, mean 0.
        rating: (M,) Elo-scale ratings: ``theta * ELO_SCALE + offset``.
        offset: the shift that centres the ratings (mean ``center``) or pins the anchor.
        ties: tie rule used ("half", "drop" or "davidson").
        prior: virtual ties per model (0 = exact MLE).
        tie_param: Davidson's nu (P(tie) = nu / (2 + nu) between equals), else None.
        coefficients: (C,) style coefficients in log-odds per covariate unit, else None.
        covariate_names: (C,) names of the coefficients.
        iterations: Newton iterations.
        converged: whether the final Newton step was below the tolerance.
        components: connected groups of models (by fitted votes), largest first.
        log_likelihood: log-likelihood of the data at the optimum (prior excluded).
        x: (K,) the optimum as solved (log-strengths uncentred, then log nu or coefficients).
        rows: the fit rows (for intervals).
        anchor: index of the anchor model, or None when centred.
        center: mean rating when centred, or the anchor's score when anchored.
    """

    models: tuple[str, ...]
    theta: np.ndarray
    rating: np.ndarray
    offset: float
    ties: str
    prior: float
    tie_param: float | None
    coefficients: np.ndarray | None
    covariate_names: tuple[str, ...]
    iterations: int
    converged: bool
    components: tuple[tuple[str, ...], ...]
    log_likelihood: float
    x: np.ndarray = field(repr=False)
    rows: FitRows = field(repr=False, compare=False)
    anchor: int | None = None
    center: float = 1000.0

    @property
    def disconnected(self) -> tuple[str, ...]:
        """Models outside the largest connected component."""
        return tuple(name for group in self.components[1:] for name in group)

    def to_elo(self, theta: np.ndarray) -> np.ndarray:
        """Map log-strengths (..., M) to Elo ratings with this fit's centring or anchor rule."""
        return to_elo(theta, anchor=self.anchor, center=self.center)


def to_elo(theta: np.ndarray, *, anchor: int | None = None, center: float = 1000.0) -> np.ndarray:
    """(..., M) log-strengths -> Elo: mean ``center``, or ``theta[anchor]`` mapped to ``center``."""
    if theta.shape[-1] == 0:
        return theta + center
    ref = theta.mean(axis=-1, keepdims=True) if anchor is None else theta[..., anchor : anchor + 1]
    return (theta - ref) * ELO_SCALE + center


def resolve_anchor(models: tuple[str, ...], anchor: str | None) -> int | None:
    """Index of the anchor model, or None; unknown names raise :class:`RankingError`."""
    if anchor is None:
        return None
    if anchor not in models:
        raise RankingError(f"Unknown anchor model: {anchor!r}")
    return models.index(anchor)


def check_prior(prior: float) -> float:
    """Validate the prior strength (virtual ties per model)."""
    if not (isinstance(prior, int | float) and math.isfinite(prior) and prior >= 0):
        raise RankingError(f"prior must be a finite number >= 0, got {prior!r}")
    return float(prior)


def _require_mle(rows: FitRows, models: tuple[str, ...]) -> None:
    """With prior = 0, raise unless the exact MLE exists (finite and unique)."""
    m = rows.n_models
    beats = np.zeros((m, m), dtype=bool)
    scored_a = rows.kind != WIN_B
    scored_b = rows.kind != WIN_A
    beats[rows.a[scored_a], rows.b[scored_a]] = True
    beats[rows.b[scored_b], rows.a[scored_b]] = True
    groups = strong_components(beats)
    outside = np.sort(np.concatenate([np.zeros(0, np.int64), *groups[1:]]))
    if outside.size:
        names = [models[k] for k in outside[:10]]
        raise RankingError(
            f"prior=0 needs every model to have both won (or tied) and lost (or tied) within one "
            f"connected group; the exact MLE does not exist for {names!r}"
            f"{' and more' if outside.size > 10 else ''}: use prior > 0"
        )
    if rows.ties == "davidson":
        draws = float(rows.count[rows.kind == DRAW].sum())
        if draws == 0 or draws == float(rows.count.sum()):
            raise RankingError(
                f"ties='davidson' with prior=0 needs both ties and decisive votes, got {draws} ties"
            )


def start_point(rows: FitRows, davidson: bool) -> np.ndarray:
    """(K,) start: equal strengths, nu from the overall tie rate, zero coefficients."""
    m = rows.n_models
    c = 0 if rows.covariates is None else rows.covariates.shape[1]
    x = np.zeros(m + c + (1 if davidson else 0))
    if davidson:
        total = float((rows.count * rows.weight).sum())
        draws = float((rows.count * rows.weight)[rows.kind == DRAW].sum())
        t = min(max((draws + 0.5) / (total + 1.0), 1e-6), 1 - 1e-6)
        x[m] = math.log(2 * t / (1 - t))
    return x


def shift_direction(n_params: int, n_models: int, prior: float) -> np.ndarray | None:
    """(K,) the direction the objective is flat along (all log-strengths shifted together),
    which exists only without a prior; None otherwise."""
    if prior > 0:
        return None
    direction = np.zeros(n_params)
    direction[:n_models] = 1.0
    return direction


def solve(
    rows: FitRows,
    counts: np.ndarray,
    x0: np.ndarray,
    prior: float,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> NewtonResult:
    """Maximise the posterior for (B, R) ``counts`` from (B, K) ``x0``; returns a NewtonResult."""
    gauge = shift_direction(x0.shape[1], rows.n_models, prior)
    if rows.covariates is not None:
        results = [
            newton_ascent(bt_rows(rows, c, prior), x[None], gauge=gauge, tol=tol, max_iter=max_iter)
            for c, x in zip(counts, x0, strict=True)
        ]
        return NewtonResult(
            x=np.concatenate([r.x for r in results]),
            iterations=max(r.iterations for r in results),
            converged=np.concatenate([r.converged for r in results]),
        )
    totals = rows.kind_totals(counts)
    make = davidson_pairs if rows.ties == "davidson" else bt_pairs
    return newton_ascent(make(rows, totals, prior), x0, gauge=gauge, tol=tol, max_iter=max_iter)


def fit_bradley_terry(
    comp: Comparisons,
    *,
    ties: str = "half",
    prior: float = DEFAULT_PRIOR,
    anchor: str | None = None,
    anchor_score: float = 1000.0,
    center: float = 1000.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> BTFit:
    """Fit Bradley-Terry ratings to ``comp`` (any row order; aggregated internally).

    Args:
        comp: the votes.
        ties: "half" (tie and both_bad are half a win for each side, LMArena's rule), "drop"
            (leave them out) or "davidson" (fit Davidson's tie model and report nu).
        prior: virtual ties per model against a reference at the mean (0 = exact MLE, which
            then must exist: see :func:`_require_mle`).
        anchor: model whose rating is pinned to ``anchor_score``; None centres the mean at
            ``center``.
        tol: Newton stops when the largest step is below this (log-strength units).
        max_iter: Newton iteration cap.
    """
    prior = check_prior(prior)
    anchor_index = resolve_anchor(comp.models, anchor)
    rows = build_fit_rows(comp, ties)
    if prior == 0:
        _require_mle(rows, comp.models)
    x0 = start_point(rows, ties == "davidson")
    result = solve(rows, rows.count[None], x0[None], prior, tol=tol, max_iter=max_iter)
    x = result.x[0]
    m = comp.n_models
    theta = x[:m] - (x[:m].mean() if m else 0.0)
    ref = anchor_score if anchor_index is not None else center
    rating = to_elo(theta, anchor=anchor_index, center=ref)
    offset = float(rating[0] - theta[0] * ELO_SCALE) if m else ref
    loglik = float(solve_loglik(rows, x))
    groups = components(rows.pair_i, rows.pair_j, m)
    return BTFit(
        models=comp.models,
        theta=theta,
        rating=rating,
        offset=offset,
        ties=ties,
        prior=prior,
        tie_param=float(np.exp(x[m])) if ties == "davidson" else None,
        coefficients=None if rows.covariates is None else x[m:].copy(),
        covariate_names=comp.covariate_names,
        iterations=result.iterations,
        converged=bool(result.converged[0]),
        components=tuple(tuple(comp.models[k] for k in g) for g in groups),
        log_likelihood=loglik,
        x=x,
        rows=rows,
        anchor=anchor_index,
        center=ref,
    )


def solve_loglik(rows: FitRows, x: np.ndarray) -> float:
    """Log-likelihood of the fit rows at parameters x (K,), without the prior."""
    counts = rows.count[None]
    if rows.covariates is not None:
        f, _, _ = bt_rows(rows, rows.count, 0.0)(x[None], 0)
    elif rows.ties == "davidson":
        f, _, _ = davidson_pairs(rows, rows.kind_totals(counts), 0.0)(x[None], 0)
    else:
        f, _, _ = bt_pairs(rows, rows.kind_totals(counts), 0.0)(x[None], 0)
    assert f is not None
    return float(f[0])
