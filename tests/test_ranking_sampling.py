"""The bootstrap's resampler draws exactly Multinomial(N, counts / N), on every code path."""

import math
from collections import Counter

import numpy as np
import pytest

from arena.core.ranking import sampling
from arena.core.ranking.sampling import Resampler, multinomial


def chi2_bound(df: int) -> float:
    """Upper 1e-6 quantile of chi-square(df) (Wilson-Hilferty; z = 4.75)."""
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + 4.75 * math.sqrt(h)) ** 3


def multinomial_pmf(x: tuple[int, ...], p: np.ndarray) -> float:
    terms = (k * math.log(q) - math.lgamma(k + 1) for k, q in zip(x, p, strict=True) if k)
    return math.exp(math.lgamma(sum(x) + 1) + sum(terms))


def poisson_mass(mean: float, ks: range) -> float:
    return sum(math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in ks)


def chi2_against(draws: np.ndarray, expected: dict[tuple[int, ...], float]) -> tuple[float, int]:
    """Chi-square of the observed outcome vectors against exact probabilities; cells with an
    expected count under 5 are pooled into one."""
    seen = Counter(map(tuple, draws.tolist()))
    size = draws.shape[0]
    stat, rare_obs, rare_exp, cells = 0.0, 0, 0.0, 0
    for outcome, prob in expected.items():
        e = size * prob
        if e < 5:
            rare_obs += seen.get(outcome, 0)
            rare_exp += e
        else:
            stat += (seen.get(outcome, 0) - e) ** 2 / e
            cells += 1
    assert sum(seen.values()) == size and set(seen) <= set(expected)
    if rare_exp > 0:
        stat += (rare_obs - rare_exp) ** 2 / rare_exp
        cells += 1
    return stat, cells


def outcomes(n: int, k: int) -> list[tuple[int, ...]]:
    if k == 1:
        return [(n,)]
    return [(i, *rest) for i in range(n + 1) for rest in outcomes(n - i, k - 1)]


@pytest.mark.parametrize(
    "counts",
    [
        [2, 1, 1],  # N = 4: no Poisson part, every vote drawn by the categorical step
        [3, 1, 0, 2, 1],  # N = 7: small Poisson means, a zero category
        [9, 14, 6, 1],  # N = 30: Poisson part, redrawn rounds and added votes
    ],
)
def test_small_cases_match_the_exact_multinomial(counts: list[int]) -> None:
    c = np.array(counts, dtype=float)
    draws = Resampler(c).draw(np.random.default_rng(2), 200_000)
    assert draws.dtype == np.int64 and (draws.sum(axis=1) == c.sum()).all()
    assert (draws[:, c == 0] == 0).all()
    live = c > 0
    p = c[live] / c.sum()
    expected = {x: multinomial_pmf(x, p) for x in outcomes(int(c.sum()), int(live.sum()))}
    stat, cells = chi2_against(draws[:, live], expected)
    assert stat < chi2_bound(cells)


@pytest.mark.parametrize("budget", [sampling.TABLE_BUDGET, 0])
def test_marginals_and_covariances_at_scale(budget: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # budget 0: no tables, every Poisson count from Generator.poisson
    monkeypatch.setattr(sampling, "TABLE_BUDGET", budget)
    rng = np.random.default_rng(3)
    c = np.concatenate([rng.integers(1, 400, 300), [0, 5000, 1, 2]]).astype(float)
    n, rounds = c.sum(), 4000
    draws = Resampler(c).draw(np.random.default_rng(4), rounds)
    assert (draws.sum(axis=1) == n).all()
    p = c / n
    live = c > 0
    mean_z = (draws.mean(axis=0) - n * p)[live] / np.sqrt(n * p * (1 - p) / rounds)[live]
    assert np.abs(mean_z).max() < 5.0
    var_ratio = draws.var(axis=0, ddof=1)[live] / (n * p * (1 - p))[live]
    assert abs(var_ratio.mean() - 1) < 0.01
    # one category's count against the exact binomial distribution
    k = int(np.flatnonzero(c == 5000)[0])
    values, seen = np.unique(draws[:, k], return_counts=True)
    pmf = np.exp(
        [
            math.lgamma(n + 1) - math.lgamma(v + 1) - math.lgamma(n - v + 1)
            + v * math.log(p[k]) + (n - v) * math.log1p(-p[k])
            for v in values
        ]
    )  # fmt: skip
    ok = pmf * rounds >= 5
    stat = float((((seen - rounds * pmf) ** 2) / (rounds * pmf))[ok].sum())
    assert stat < chi2_bound(int(ok.sum()))


def test_poisson_tables_cover_all_but_a_negligible_tail() -> None:
    means = np.array([0.02, 0.7, 3.0, 41.0, 670.0, 5400.0, 250_000.0])
    cdf, guide, cells, offsets, low, starts = sampling._poisson_tables(means)
    for t, mean in enumerate(means):
        lo, hi = low[t], low[t] + starts[t + 1] - starts[t] - 1
        below = poisson_mass(mean, range(max(lo - 400, 0), lo))
        above = poisson_mass(mean, range(hi + 1, hi + 400))
        assert below < 1e-17 and above < 1e-17, (mean, below, above)
        table = cdf[starts[t] : starts[t + 1]]
        assert table[-1] == 1.0 and (np.diff(table) >= 0).all()
        assert offsets[t] + cells[t] <= guide.size


def test_same_seed_same_draws_and_empty_categories_use_no_randomness() -> None:
    first = multinomial(np.random.default_rng(7), np.array([50.0, 0.0, 30.0, 0.0, 20.0]), 300)
    again = multinomial(np.random.default_rng(7), np.array([50.0, 0.0, 30.0, 0.0, 20.0]), 300)
    packed = multinomial(np.random.default_rng(7), np.array([50.0, 30.0, 20.0]), 300)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[:, [0, 2, 4]], packed)
    other = multinomial(np.random.default_rng(8), np.array([50.0, 30.0, 20.0]), 300)
    assert not np.array_equal(packed, other)


@pytest.mark.parametrize("counts", [[], [1.5, 2.0], [-1.0, 3.0], [0.0, 0.0], [[1.0]]])
def test_bad_counts(counts: list[float]) -> None:
    with pytest.raises(ValueError, match="counts must"):
        Resampler(np.array(counts))
