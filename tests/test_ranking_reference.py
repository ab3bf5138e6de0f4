"""Our fit and bootstrap against independent references written here (MM and vote resampling)."""

import numpy as np

from arena.core.ranking.bradley_terry import ELO_SCALE, fit_bradley_terry
from arena.core.ranking.data import Comparisons
from arena.core.ranking.intervals import bootstrap


def pair_arrays(comp: Comparisons) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, score of i, games) per unordered pair, ties as half wins; plain Python loops."""
    table: dict[tuple[int, int], list[float]] = {}
    for a, b, o, c in zip(comp.a, comp.b, comp.outcome, comp.count, strict=True):
        s = {0: 1.0, 1: 0.0}.get(int(o), 0.5)
        i, j, s = (a, b, s) if a < b else (b, a, 1.0 - s)
        entry = table.setdefault((int(i), int(j)), [0.0, 0.0])
        entry[0] += s * c
        entry[1] += c
    keys = sorted(table)
    return (
        np.array([k[0] for k in keys]),
        np.array([k[1] for k in keys]),
        np.array([table[k][0] for k in keys]),
        np.array([table[k][1] for k in keys]),
    )


def mm_fit(i: np.ndarray, j: np.ndarray, s: np.ndarray, n: np.ndarray, m: int) -> np.ndarray:
    """Hunter's (2004) minorise-maximise iteration, batched: s, n (B, P) -> theta (B, M), mean 0."""
    to_i = np.zeros((len(i), m))
    to_i[np.arange(len(i)), i] = 1.0
    to_j = np.zeros((len(i), m))
    to_j[np.arange(len(i)), j] = 1.0
    wins = s @ to_i + (n - s) @ to_j
    pi = np.ones((s.shape[0], m))
    for _ in range(20000):
        w = n / (pi[:, i] + pi[:, j])
        new = wins / (w @ (to_i + to_j))
        new /= np.exp(np.log(new).mean(axis=1, keepdims=True))
        done = np.abs(np.log(new) - np.log(pi)).max() < 1e-13
        pi = new
        if done:
            break
    theta = np.log(pi)
    return theta - theta.mean(axis=1, keepdims=True)


def votes(m: int, n: int, seed: int) -> Comparisons:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.8, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    win = rng.random(n) < 1 / (1 + np.exp(theta[b] - theta[a]))
    tie = rng.random(n) < 0.2
    outcome = np.where(tie, 2 + (rng.random(n) < 0.5), np.where(win, 0, 1))
    return Comparisons(tuple(f"m{k:02d}" for k in range(m)), a, b, outcome, np.ones(n))


def test_mm_reference_reproduces_wikipedia() -> None:
    i, j = np.array([0, 0, 1, 2]), np.array([1, 3, 2, 3])
    s, n = np.array([[2.0, 1.0, 5.0, 1.0]]), np.array([[5.0, 5.0, 8.0, 4.0]])
    np.testing.assert_allclose(
        np.exp(mm_fit(i, j, s, n, 4))[0], [0.640, 1.043, 0.660, 2.270], atol=1e-3
    )


def test_point_ratings_match_exact_mle_from_an_independent_solver() -> None:
    comp = votes(30, 6000, seed=1)
    i, j, s, n = pair_arrays(comp)
    reference = mm_fit(i, j, s[None], n[None], 30)[0] * ELO_SCALE + 1000.0
    fit = fit_bradley_terry(comp, prior=0)
    assert fit.converged
    assert np.abs(fit.rating - reference).max() < 0.01
    # the weak default prior moves ratings, but by far less than their uncertainty
    shrunk = fit_bradley_terry(comp).rating
    assert 0.01 < np.abs(shrunk - reference).max() < 2.0


def test_bootstrap_bounds_match_an_independent_vote_resampling_bootstrap() -> None:
    m, n_votes, rounds = 12, 240_000, 1000
    comp = votes(m, n_votes, seed=2)
    fit = fit_bradley_terry(comp, prior=0)
    ours = bootstrap(fit, rounds=rounds, rng=np.random.default_rng(7))

    # Independent: resampling N votes with replacement draws each distinct (pair, score) class
    # a multinomial number of times; sample that as a chain of conditional binomials.
    i, j, _, _ = pair_arrays(comp)
    lo, hi = np.minimum(comp.a, comp.b), np.maximum(comp.a, comp.b)
    pair_of = {(int(x), int(y)): k for k, (x, y) in enumerate(zip(i, j, strict=True))}
    vote_pair = np.array([pair_of[(int(x), int(y))] for x, y in zip(lo, hi, strict=True)])
    score = np.where(comp.outcome == 0, 1.0, np.where(comp.outcome == 1, 0.0, 0.5))
    vote_score = np.where(comp.a < comp.b, score, 1.0 - score)
    classes, sizes = np.unique(np.stack([vote_pair, vote_score]), axis=1, return_counts=True)
    rng = np.random.default_rng(12345)
    left = np.full(rounds, n_votes)
    mass = 1.0
    s = np.zeros((rounds, len(i)))
    n = np.zeros((rounds, len(i)))
    last = len(sizes) - 1
    for k, ((pair, sc), size) in enumerate(zip(classes.T, sizes, strict=True)):
        p = 1.0 if k == last else min(1.0, size / n_votes / mass)
        drawn = rng.binomial(left, p)
        left -= drawn
        mass -= size / n_votes
        n[:, int(pair)] += drawn
        s[:, int(pair)] += sc * drawn
    assert (left == 0).all()
    theirs = mm_fit(i, j, s, n, m) * ELO_SCALE + 1000.0
    lower = np.quantile(theirs, 0.025, axis=0)
    upper = np.quantile(theirs, 0.975, axis=0)
    diff = np.abs(np.concatenate([ours.lower - lower, ours.upper - upper]))
    width = (ours.upper - ours.lower).mean()
    assert 2 < width < 30  # a regime where Monte Carlo noise is well under a point
    assert np.median(diff) <= 0.3
    assert diff.max() <= 5.0
