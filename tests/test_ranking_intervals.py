"""Intervals: bootstrap and sandwich agree, are reproducible, and ranks follow the stated rule."""

import json

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking import intervals
from arena.core.ranking.bradley_terry import fit_bradley_terry, solve
from arena.core.ranking.compute import rate
from arena.core.ranking.data import Comparisons, inverse_propensity_weights
from arena.core.ranking.intervals import bootstrap, interval_ranks, resampled_counts, sandwich
from arena.core.ranking.refit import dense_applies


def votes(m: int, n: int, seed: int, **extra: object) -> Comparisons:
    rng = np.random.default_rng(seed)
    theta = np.linspace(-1.5, 1.5, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    win = rng.random(n) < 1 / (1 + np.exp(theta[b] - theta[a]))
    outcome = np.where(rng.random(n) < 0.15, 2 + (rng.random(n) < 0.5), np.where(win, 0, 1))
    return Comparisons(tuple(f"m{k}" for k in range(m)), a, b, outcome, np.ones(n), **extra)  # type: ignore[arg-type]


def test_interval_ranks_rule() -> None:
    lower = np.array([10.0, 5.0, 8.0, 0.0])
    upper = np.array([12.0, 9.0, 11.0, 4.0])
    # model 1 (upper 9): only model 0 (lower 10) is clearly above; model 3: all three
    assert interval_ranks(lower, upper).tolist() == [1, 2, 1, 4]


@pytest.mark.parametrize("ties", ["half", "drop", "davidson"])
def test_bootstrap_and_sandwich_agree_on_plenty_of_votes(ties: str) -> None:
    fit = fit_bradley_terry(votes(8, 40_000, seed=1), ties=ties)
    boot = bootstrap(fit, rounds=400, rng=np.random.default_rng(3))
    sand = sandwich(fit)
    assert boot.converged == 1.0
    np.testing.assert_allclose(boot.se, sand.se, rtol=0.15)
    assert np.all(boot.lower < fit.rating) and np.all(fit.rating < boot.upper)


def test_same_seed_same_bits_different_seed_different_bounds() -> None:
    comp = votes(6, 3000, seed=2)
    first, second = rate(comp, rounds=200, seed=5), rate(comp, rounds=200, seed=5)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    other = rate(comp, rounds=200, seed=6)
    assert not np.array_equal(first.lower, other.lower)
    np.testing.assert_array_equal(first.rating, other.rating)


@pytest.mark.parametrize("ties", ["half", "davidson"])
def test_results_do_not_depend_on_the_number_of_drawing_threads(
    ties: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = fit_bradley_terry(votes(7, 4000, seed=12), ties=ties)
    runs = []
    for workers in (1, 2, 3):
        monkeypatch.setattr(intervals, "WORKERS", workers)
        boot = bootstrap(fit, rounds=70, rng=np.random.default_rng(4), chunk=20)
        assert boot.samples is not None
        runs.append(boot.samples)
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


def test_rare_model_gets_wide_but_finite_bounds() -> None:
    comp = votes(5, 5000, seed=4)
    rare = Comparisons.from_rows(
        [("rare", "m0", "a", 3), ("rare", "m1", "a", 2), ("rare", "m2", "b", 1)],
        models=[*comp.models, "rare"],
    )
    both = Comparisons(
        rare.models,
        np.concatenate([comp.a, rare.a]),
        np.concatenate([comp.b, rare.b]),
        np.concatenate([comp.outcome, rare.outcome]),
        np.concatenate([comp.count, rare.count]),
    )
    result = rate(both, rounds=300, min_votes=100)
    k = both.models.index("rare")
    assert np.isfinite(result.lower).all() and np.isfinite(result.upper).all()
    assert result.provisional.tolist() == [False] * 5 + [True]
    widths = result.upper - result.lower
    assert widths[k] > 4 * np.median(widths)


def test_style_coefficients_get_intervals() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, (4000, 1))
    comp = votes(4, 4000, seed=5, covariates=x, covariate_names=("fps",))
    for ci in ("sandwich", "bootstrap"):
        result = rate(comp, ci=ci, rounds=30)
        coef = result.coefficients["fps"]
        assert coef["lower"] < coef["estimate"] < coef["upper"]


def test_bad_interval_options() -> None:
    fit = fit_bradley_terry(votes(3, 100, seed=6))
    with pytest.raises(RankingError, match="rounds must be an integer >= 2, got 1"):
        bootstrap(fit, rounds=1, rng=np.random.default_rng(0))
    with pytest.raises(RankingError, match="level must be between 0 and 1, got 95"):
        sandwich(fit, level=95)
    half = Comparisons(fit.models, [0], [1], [0], [0.5])
    with pytest.raises(RankingError, match=r"whole vote counts, got 0\.5"):
        bootstrap(fit_bradley_terry(half), rounds=10, rng=np.random.default_rng(0))


def test_every_bootstrap_round_is_an_exact_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Few votes and lopsided resamples: the shared-curvature chord steps fail for some rounds,
    # which must then be finished by full Newton. Replay the same draws and refit each round
    # from scratch with Newton: the samples must agree.
    comp = Comparisons.from_rows(
        [
            ("x", "y", "a", 3),
            ("y", "x", "a", 1),
            ("y", "z", "a", 2),
            ("z", "x", "b", 1),
            ("w", "z", "a", 2),
        ]
    )
    fit = fit_bradley_terry(comp, prior=0.3)
    finished_by_newton = []

    def spy(rows: object, counts: np.ndarray, *args: object, **kwargs: object) -> object:
        finished_by_newton.append(counts.shape[0])
        return solve(rows, counts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(intervals, "solve", spy)
    boot = bootstrap(fit, rounds=60, rng=np.random.default_rng(9), chunk=60)
    assert boot.samples is not None and boot.converged == 1.0
    assert 0 < sum(finished_by_newton) < 60
    rows = fit.rows
    draws = resampled_counts(fit, rounds=60, rng=np.random.default_rng(9), chunk=60)
    for r in range(60):
        alone = Comparisons(comp.models, rows.a, rows.b, rows.kind, draws[r])
        refit = fit_bradley_terry(alone, prior=0.3)
        np.testing.assert_allclose(boot.samples[r], refit.rating, atol=1e-6)


@pytest.mark.parametrize(
    ("ties", "prior", "weighted"), [("half", 1.0, False), ("drop", 0.0, False), ("half", 0.5, True)]
)
def test_dense_bootstrap_rounds_are_exact_refits(ties: str, prior: float, weighted: bool) -> None:
    # Many models, ties or none, the shift-invariant MLE, reweighted votes: replay the draws and
    # refit each round from a cold start with the plain Newton solver.
    comp = votes(12, 6000, seed=11)
    if weighted:
        comp = Comparisons(
            comp.models, comp.a, comp.b, comp.outcome, comp.count, inverse_propensity_weights(comp)
        )
    fit = fit_bradley_terry(comp, ties=ties, prior=prior)
    assert dense_applies(fit.rows)
    boot = bootstrap(fit, rounds=40, rng=np.random.default_rng(5), chunk=40)
    assert boot.samples is not None and boot.converged == 1.0
    counts = resampled_counts(fit, rounds=40, rng=np.random.default_rng(5), chunk=40)
    result = solve(fit.rows, counts, np.zeros((40, fit.x.size)), prior, tol=1e-12)
    assert result.converged.all()
    np.testing.assert_allclose(boot.samples, fit.to_elo(result.x), atol=1e-6)
