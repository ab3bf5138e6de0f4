"""Synthetic arena votes from known strengths, for benchmarks and fixtures (numpy only)."""

from __future__ import annotations

import numpy as np

from arena.core.ranking.data import Comparisons


def synthetic_votes(
    n_models: int,
    n_votes: int,
    rng: np.random.Generator,
    *,
    spread: float = 1.0,
    tie_rate: float = 0.15,
    both_bad_share: float = 0.4,
    skew: float = 0.0,
) -> tuple[Comparisons, np.ndarray]:
    """(votes in order, one row per vote; true log-strengths (M,)).

    Pairs are drawn uniformly, or with probability proportional to exp(skew * rank closeness)
    when ``skew > 0`` (like a matchmaker that prefers close or popular pairs). A vote is a tie
    with probability ``tie_rate`` (of which ``both_bad_share`` are both_bad); otherwise side a
    wins with the Bradley-Terry probability.
    """
    theta = np.sort(rng.normal(0.0, spread, n_models))[::-1].copy()
    popularity = np.exp(-skew * np.arange(n_models) / max(n_models - 1, 1))
    p = popularity / popularity.sum()
    a = rng.choice(n_models, size=n_votes, p=p)
    b = rng.choice(n_models - 1, size=n_votes, p=None)
    b = np.where(b >= a, b + 1, b)
    win_a = rng.random(n_votes) < 1.0 / (1.0 + np.exp(theta[b] - theta[a]))
    tie = rng.random(n_votes) < tie_rate
    both_bad = rng.random(n_votes) < both_bad_share
    outcome = np.where(tie, np.where(both_bad, 3, 2), np.where(win_a, 0, 1)).astype(np.int8)
    names = tuple(f"model-{k:03d}" for k in range(n_models))
    return Comparisons(names, a, b, outcome, np.ones(n_votes)), theta
