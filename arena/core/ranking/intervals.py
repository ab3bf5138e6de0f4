"""Confidence intervals for fitted ratings (seeded bootstrap or sandwich) and interval ranks."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.bradley_terry import ELO_SCALE, BTFit, shift_direction, solve
from arena.core.ranking.likelihood import (
    bt_pairs,
    bt_rows,
    davidson_pairs,
    row_information,
    row_scores,
)
from arena.core.ranking.newton import NewtonResult, Objective, chord_ascent, chord_inverse
from arena.core.ranking.refit import DenseRefit, dense_applies
from arena.core.ranking.sampling import Resampler, chunk_generators

#: bootstrap rounds fitted together; bounds memory at about chunk * M * M * 8 bytes per array
CHUNK = 100
#: threads drawing resamples while the main thread refits: one per spare core, at most two
WORKERS = max(1, min(2, (os.cpu_count() or 1) - 1))
#: Newton stops once a step is below this; the step is still taken, so the error left is about
#: its square (far below 1e-9 Elo)
BOOT_TOL = 1e-7
#: chord steps shrink linearly, so they stop at a smaller step than Newton's
CHORD_TOL = 1e-8


@dataclass(frozen=True)
class Intervals:
    """Interval estimates for a fit.

    Attributes:
        method: "bootstrap", "sandwich" or "none".
        level: coverage level, e.g. 0.95.
        lower, upper: (M,) Elo bounds.
        se: (M,) standard error in Elo (bootstrap: the replicates' standard deviation).
        rounds: bootstrap rounds (0 otherwise).
        samples: (rounds, M) bootstrap ratings, or None.
        coef_lower, coef_upper: (C,) bounds of the style coefficients, or None.
        converged: fraction of bootstrap rounds whose solver converged (1.0 otherwise).
        covariance: (M, M) covariance of the ratings in Elo (sandwich), or None.
    """

    method: str
    level: float
    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray
    rounds: int = 0
    samples: np.ndarray | None = None
    coef_lower: np.ndarray | None = None
    coef_upper: np.ndarray | None = None
    converged: float = 1.0
    covariance: np.ndarray | None = None


def check_level(level: float) -> float:
    """Validate an interval level in (0, 1)."""
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise RankingError(f"level must be between 0 and 1, got {level!r}")
    return float(level)


def interval_ranks(
    lower: np.ndarray, upper: np.ndarray, counted: np.ndarray | None = None
) -> np.ndarray:
    """(M,) int64 rank: 1 + number of models whose lower bound is above this model's upper bound.

    ``counted`` (M,) bool limits the models whose lower bounds count (None: all).
    """
    ordered = np.sort(lower if counted is None else lower[counted])
    return 1 + ordered.size - np.searchsorted(ordered, upper, side="right")


def no_intervals(fit: BTFit, level: float = 0.95) -> Intervals:
    """Point ratings as degenerate bounds (ranks then order by rating)."""
    return Intervals(
        "none", check_level(level), fit.rating.copy(), fit.rating.copy(), np.zeros_like(fit.rating)
    )


def bootstrap(
    fit: BTFit,
    *,
    rounds: int = 1000,
    level: float = 0.95,
    rng: np.random.Generator,
    chunk: int = CHUNK,
) -> Intervals:
    """Percentile bootstrap: resample all votes with replacement ``rounds`` times and refit.

    Resampling votes with replacement is a multinomial draw of the aggregated row counts (with
    the votes dropped by ``ties="drop"`` as one more category, so their number varies too).
    Each round is refitted exactly (Newton, warm-started from ``fit``), ``chunk`` rounds at once.
    Counts must be whole numbers. Bounds are the (1 - level) / 2 and (1 + level) / 2 quantiles.
    """
    level = check_level(level)
    if not (isinstance(rounds, int) and rounds >= 2):
        raise RankingError(f"rounds must be an integer >= 2, got {rounds!r}")
    cats, inverse, dense = _plan(fit)
    resampler = Resampler(cats)
    m = len(fit.models)
    samples = np.empty((rounds, m))
    extra = np.empty((rounds, fit.x.size - m))
    converged = 0
    sizes = [min(chunk, rounds - start) for start in range(0, rounds, chunk)]
    generators = chunk_generators(rng, len(sizes))
    # Worker threads draw the next chunks (numpy releases the GIL while sampling) while this
    # thread refits the current one. Each chunk has its own generator, so the draws and the
    # results do not depend on which thread drew what, or when, or on WORKERS. Dense refits
    # read category-major draws, made into arrays used in turn (one per chunk in flight).
    ring = [np.empty(cats.size * sizes[0]) for _ in range(WORKERS + 1 if dense is not None else 0)]

    def draw(index: int) -> np.ndarray:
        size = sizes[index]
        if dense is None:
            return resampler.draw(generators[index], size)
        out = ring[index % len(ring)][: cats.size * size].reshape(cats.size, size)
        return resampler.draw_major(generators[index], size, out)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending = [pool.submit(draw, index) for index in range(min(WORKERS, len(sizes)))]
        for index, k in enumerate(sizes):
            draws = pending.pop(0).result()
            if index + WORKERS < len(sizes):  # into the array of the chunk refitted last
                pending.append(pool.submit(draw, index + WORKERS))
            start = index * chunk
            if dense is None:
                result = _refit(fit, draws[:, :-1].astype(np.float64), inverse)
            else:
                result = _refit_dense(fit, dense, draws)
            samples[start : start + k] = fit.to_elo(result.x[:, :m])
            extra[start : start + k] = result.x[:, m:]
            converged += int(result.converged.sum())
    lo, hi = (1 - level) / 2, (1 + level) / 2
    coef_lower = coef_upper = None
    if fit.coefficients is not None:
        coef_lower, coef_upper = np.quantile(extra, lo, axis=0), np.quantile(extra, hi, axis=0)
    return Intervals(
        method="bootstrap",
        level=level,
        lower=np.quantile(samples, lo, axis=0),
        upper=np.quantile(samples, hi, axis=0),
        se=samples.std(axis=0, ddof=1),
        rounds=rounds,
        samples=samples,
        coef_lower=coef_lower,
        coef_upper=coef_upper,
        converged=converged / rounds,
    )


def resampled_counts(
    fit: BTFit, *, rounds: int, rng: np.random.Generator, chunk: int = CHUNK
) -> np.ndarray:
    """(rounds, R) float64: each bootstrap round's fit-row counts, exactly as :func:`bootstrap`
    draws them from the same generator (to check its refits one by one)."""
    cats, _, dense = _plan(fit)
    resampler = Resampler(cats)
    sizes = [min(chunk, rounds - start) for start in range(0, rounds, chunk)]
    out = []
    for size, generator in zip(sizes, chunk_generators(rng, len(sizes)), strict=True):
        if dense is None:
            out.append(resampler.draw(generator, size)[:, :-1].astype(np.float64))
        else:
            out.append(dense.row_counts(resampler.draw_major(generator, size), np.arange(size)))
    return np.concatenate(out)


def _plan(fit: BTFit) -> tuple[np.ndarray, np.ndarray | None, DenseRefit | None]:
    """(categories resampled, chord matrix or None, dense refitter or None) of a bootstrap."""
    rows = fit.rows
    cats = np.append(rows.count, rows.dropped)
    if not np.array_equal(cats, np.round(cats)):
        raise RankingError(
            f"bootstrap needs whole vote counts, got {float(cats[cats != np.round(cats)][0])!r}"
        )
    if cats.sum() == 0:
        raise RankingError("bootstrap needs at least one vote")
    if rows.covariates is not None:  # style control: Newton per round
        return cats, None, None
    _, _, full = _objective(fit)(fit.x[None], 2)
    assert full is not None
    m = len(fit.models)
    inverse = chord_inverse(full[0], shift_direction(fit.x.size, m, fit.prior))
    if not dense_applies(rows):
        return cats, inverse, None
    dense = DenseRefit(rows, fit.x, inverse, fit.prior)
    return dense.categories(rows), inverse, dense


def _refit(fit: BTFit, counts: np.ndarray, inverse: np.ndarray | None) -> NewtonResult:
    """Refit (B, R) resampled counts from the full fit: chord steps, then Newton for stragglers."""
    x0 = np.repeat(fit.x[None], counts.shape[0], axis=0)
    if inverse is None:  # style control: row-level model, one Newton fit per round
        return solve(fit.rows, counts, x0, fit.prior, tol=BOOT_TOL)
    make = davidson_pairs if fit.ties == "davidson" else bt_pairs
    totals = fit.rows.kind_totals(counts)
    result = chord_ascent(make(fit.rows, totals, fit.prior), x0, inverse, tol=CHORD_TOL)
    left = np.flatnonzero(~result.converged)
    if left.size == 0:
        return result
    rest = solve(fit.rows, counts[left], x0[left], fit.prior, tol=BOOT_TOL)
    x, converged = result.x.copy(), result.converged.copy()
    x[left], converged[left] = rest.x, rest.converged
    return NewtonResult(x=x, iterations=result.iterations + rest.iterations, converged=converged)


def _refit_dense(fit: BTFit, dense: DenseRefit, major: np.ndarray) -> NewtonResult:
    """Refit category-major resampled counts: dense chord steps, then Newton for stragglers."""
    result = dense.refit(major, tol=CHORD_TOL)
    left = np.flatnonzero(~result.converged)
    if left.size == 0:
        return result
    counts = dense.row_counts(major, left)
    x0 = np.repeat(fit.x[None], left.size, axis=0)
    rest = solve(fit.rows, counts, x0, fit.prior, tol=BOOT_TOL)
    x, converged = result.x.copy(), result.converged.copy()
    x[left], converged[left] = rest.x, rest.converged
    return NewtonResult(x=x, iterations=result.iterations + rest.iterations, converged=converged)


def _objective(fit: BTFit) -> Objective:
    rows = fit.rows
    if rows.covariates is not None:
        return bt_rows(rows, rows.count, fit.prior)
    make = davidson_pairs if fit.ties == "davidson" else bt_pairs
    return make(rows, rows.kind_totals(rows.count[None]), fit.prior)


def _meat(fit: BTFit) -> np.ndarray:
    """(K, K) sum over votes of the outer product of each vote's score (gradient)."""
    rows, m = fit.rows, len(fit.models)
    g = row_scores(rows, fit.x, fit.tie_param)
    cw2 = rows.count * rows.weight**2
    meat = row_information(cw2 * g[:, 0] ** 2, rows.a, rows.b, rows.covariates, m)
    if fit.ties == "davidson":
        full = np.zeros((m + 1, m + 1))
        full[:m, :m] = meat
        v = cw2 * g[:, 0] * g[:, 1]
        cross = np.bincount(rows.a, v, m) - np.bincount(rows.b, v, m)
        full[:m, m] = full[m, :m] = cross
        full[m, m] = float((cw2 * g[:, 1] ** 2).sum())
        meat = full
    return meat


def sandwich(fit: BTFit, *, level: float = 0.95) -> Intervals:
    """Normal intervals from the sandwich covariance I^-1 J I^-1 at the optimum.

    I is the information (negative Hessian of the log-posterior) and J the sum of per-vote score
    outer products, so the estimate stays honest when the model is misspecified (a tie scored as
    half a win has less variance than the model implies) and under reweighting.
    """
    level = check_level(level)
    m = len(fit.models)
    _, _, info = _objective(fit)(fit.x[None], 2)
    assert info is not None
    info = info[0]
    shift = shift_direction(fit.x.size, m, fit.prior)
    if shift is None:
        pinv = np.linalg.inv(info)
    else:  # pseudo-inverse: info is singular along the shift, and J has nothing there either
        u = np.outer(shift, shift) / m
        pinv = np.linalg.inv(info + u) - u
    cov = pinv @ _meat(fit) @ pinv
    ref = np.full((m, m), 1.0 / m) if fit.anchor is None else np.zeros((m, m))
    if fit.anchor is not None:
        ref[:, fit.anchor] = 1.0
    transform = (np.eye(m) - ref) * ELO_SCALE
    elo_cov = transform @ cov[:m, :m] @ transform.T
    se = np.sqrt(np.maximum(np.diagonal(elo_cov), 0.0))
    z = NormalDist().inv_cdf((1 + level) / 2)
    coef_lower = coef_upper = None
    if fit.coefficients is not None:
        coef_se = np.sqrt(np.maximum(np.diagonal(cov)[m:], 0.0))
        coef_lower, coef_upper = fit.coefficients - z * coef_se, fit.coefficients + z * coef_se
    return Intervals(
        method="sandwich",
        level=level,
        lower=fit.rating - z * se,
        upper=fit.rating + z * se,
        se=se,
        coef_lower=coef_lower,
        coef_upper=coef_upper,
        covariance=elo_cov,
    )
