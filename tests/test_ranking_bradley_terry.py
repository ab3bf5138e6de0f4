"""Bradley-Terry fit: the published worked example, exactness and degenerate data."""

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking.bradley_terry import ELO_SCALE, fit_bradley_terry
from arena.core.ranking.data import Comparisons

# Wikipedia, "Bradley-Terry model", worked example of the solution procedure: 22 games.
WIKIPEDIA_GAMES = [
    ("A", "B", "a", 2), ("B", "A", "a", 3), ("A", "D", "a", 1), ("D", "A", "a", 4),
    ("B", "C", "a", 5), ("C", "B", "a", 3), ("C", "D", "a", 1), ("D", "C", "a", 3),
]  # fmt: skip


def test_wikipedia_worked_example() -> None:
    comp = Comparisons.from_rows(WIKIPEDIA_GAMES)
    assert comp.n_votes == 22
    fit = fit_bradley_terry(comp, prior=0)
    strengths = np.exp(fit.theta)  # theta has mean 0: strengths have geometric mean 1
    np.testing.assert_allclose(strengths, [0.640, 1.043, 0.660, 2.270], atol=1e-3)
    assert fit.converged
    np.testing.assert_allclose(fit.rating.mean(), 1000.0)
    np.testing.assert_allclose(fit.rating, fit.theta * ELO_SCALE + 1000.0)


def _random_votes(m: int, n: int, seed: int, tie_rate: float = 0.2) -> Comparisons:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    win = rng.random(n) < 1 / (1 + np.exp(theta[b] - theta[a]))
    outcome = np.where(rng.random(n) < tie_rate, 2 + (rng.random(n) < 0.5), np.where(win, 0, 1))
    return Comparisons(tuple(f"m{k}" for k in range(m)), a, b, outcome, np.ones(n))


def test_always_winner_one_vote_model_and_disconnected_groups_stay_finite() -> None:
    rows = [
        ("champ", "x", "a", 30), ("champ", "y", "a", 25),  # never loses
        ("x", "y", "a", 10), ("y", "x", "a", 12), ("loser", "x", "b", 8),  # never wins
        ("once", "y", "tie", 1),  # a single vote
        ("island1", "island2", "a", 5), ("island2", "island1", "a", 3),  # separate group
    ]  # fmt: skip
    comp = Comparisons.from_rows(
        rows, models=[*sorted({r[0] for r in rows} | {r[1] for r in rows}), "novotes"]
    )
    for ties in ("half", "drop", "davidson"):
        fit = fit_bradley_terry(comp, ties=ties)
        assert np.isfinite(fit.rating).all() and fit.converged
        # under "drop" the single tie of "once" leaves the fit, so "once" is cut off too
        cut = {"island1", "island2", "novotes"} | ({"once"} if ties == "drop" else set())
        assert set(fit.disconnected) == cut
        assert set(fit.components[0]) == {"champ", "loser", "once", "x", "y"} - cut
        rating = dict(zip(fit.models, fit.rating, strict=True))
        assert rating["champ"] == max(rating.values()) and rating["loser"] == min(rating.values())
        assert abs(rating["novotes"] - 1000) < 200  # no data: held near the middle by the prior


def test_prior_zero_refuses_data_without_a_finite_mle() -> None:
    comp = Comparisons.from_rows([("a", "b", "a", 3), ("b", "c", "a", 2), ("c", "b", "a", 1)])
    with pytest.raises(RankingError, match=r"\['a'\]"):
        fit_bradley_terry(comp, prior=0)
    with pytest.raises(RankingError, match="prior must be"):
        fit_bradley_terry(comp, prior=-1)
    with pytest.raises(RankingError, match="Unknown ties rule: 'half-win'"):
        fit_bradley_terry(comp, ties="half-win")


def test_drop_ties_equals_fitting_the_decisive_votes_only() -> None:
    comp = _random_votes(8, 3000, seed=3)
    decisive = comp.outcome < 2
    only = Comparisons(
        comp.models,
        comp.a[decisive],
        comp.b[decisive],
        comp.outcome[decisive],
        comp.count[decisive],
    )
    np.testing.assert_allclose(
        fit_bradley_terry(comp, ties="drop").rating, fit_bradley_terry(only).rating, atol=1e-9
    )


def test_anchor_pins_one_model_and_keeps_differences() -> None:
    comp = _random_votes(6, 2000, seed=4)
    centred = fit_bradley_terry(comp)
    anchored = fit_bradley_terry(comp, anchor="m2", anchor_score=1200.0)
    assert anchored.rating[2] == pytest.approx(1200.0)
    np.testing.assert_allclose(anchored.rating - centred.rating, 1200.0 - centred.rating[2])
    with pytest.raises(RankingError, match="Unknown anchor model: 'nope'"):
        fit_bradley_terry(comp, anchor="nope")


def _davidson_loglik(comp: Comparisons, theta: np.ndarray, nu: float) -> float:
    total = 0.0
    for a, b, o, c in zip(comp.a, comp.b, comp.outcome, comp.count, strict=True):
        pa, pb = np.exp(theta[a]), np.exp(theta[b])
        tie = nu * np.sqrt(pa * pb)
        p = (pa, pb, tie, tie)[int(o)] / (pa + pb + tie)
        total += c * np.log(p)
    return total


def test_davidson_fit_is_the_maximum_of_the_davidson_likelihood() -> None:
    comp = _random_votes(5, 1500, seed=5, tie_rate=0.3).aggregate()
    fit = fit_bradley_terry(comp, ties="davidson", prior=0)
    assert fit.tie_param is not None and fit.converged
    best = _davidson_loglik(comp, fit.theta, fit.tie_param)
    assert best == pytest.approx(fit.log_likelihood, rel=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(20):
        step = rng.normal(0, 1e-3, 6)
        assert _davidson_loglik(comp, fit.theta + step[:5], fit.tie_param * np.exp(step[5])) < best
    # 30% ties between near-equals: P(tie) = nu / (2 + nu) is about 0.3
    assert 0.5 < fit.tie_param < 1.2


def test_integer_weights_equal_repeated_votes() -> None:
    comp = _random_votes(6, 800, seed=6).aggregate()
    k = np.random.default_rng(1).integers(1, 4, comp.count.shape[0]).astype(float)
    weighted = Comparisons(comp.models, comp.a, comp.b, comp.outcome, comp.count, weight=k)
    repeated = Comparisons(comp.models, comp.a, comp.b, comp.outcome, comp.count * k)
    np.testing.assert_allclose(
        fit_bradley_terry(weighted, prior=0).rating,
        fit_bradley_terry(repeated, prior=0).rating,
        atol=1e-8,
    )


def test_style_control_recovers_covariate_effects_and_controlled_ratings() -> None:
    rng = np.random.default_rng(8)
    m, n = 6, 30_000
    theta = np.linspace(-1, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    # the weaker models make longer clips, and voters like longer clips
    length = 1.0 - theta + rng.normal(0, 0.5, (n, m))
    x = (length[np.arange(n), a] - length[np.arange(n), b])[:, None]
    win = rng.random(n) < 1 / (1 + np.exp(-(theta[a] - theta[b] + 0.8 * x[:, 0])))
    names = tuple(f"m{k}" for k in range(m))
    comp = Comparisons(
        names, a, b, np.where(win, 0, 1), np.ones(n), covariates=x, covariate_names=("length",)
    )
    fit = fit_bradley_terry(comp, prior=0)
    assert fit.coefficients is not None and fit.coefficients[0] == pytest.approx(0.8, abs=0.06)
    np.testing.assert_allclose(fit.theta, theta - theta.mean(), atol=0.08)
    naive = fit_bradley_terry(Comparisons(names, a, b, np.where(win, 0, 1), np.ones(n)), prior=0)
    assert np.ptp(naive.theta) < 0.7 * np.ptp(fit.theta)  # uncontrolled ratings are squashed
    # swapping sides (a<->b, flipped outcome, negated covariate) changes nothing
    swapped = Comparisons(
        names, b, a, np.where(win, 1, 0), np.ones(n), covariates=-x, covariate_names=("length",)
    )
    np.testing.assert_allclose(fit_bradley_terry(swapped, prior=0).rating, fit.rating, atol=1e-8)
