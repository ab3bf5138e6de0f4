"""The simulated world: models' true strengths, and voters with realistic noise."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from arena.core.ranking.bradley_terry import fit_bradley_terry
from arena.core.ranking.data import Comparisons


@dataclass(frozen=True)
class Voters:
    """How simulated voters answer, on top of the models' true Elo ratings.

    Attributes:
        position_bias: Elo points added to the left clip (a preference for the left side).
        random_share: share of voters who pick a side at random, whatever they see.
        tie_param: Davidson's nu: two equal models tie with probability nu / (2 + nu).
            A tie between two models both below the median true rating is ``both_bad``.
    """

    position_bias: float = 20.0
    random_share: float = 0.1
    tie_param: float = 0.3

    def probabilities(self, r_left: np.ndarray, r_right: np.ndarray) -> np.ndarray:
        """(..., 3) probabilities of left win, right win, tie."""
        d = (np.asarray(r_left) + self.position_bias - np.asarray(r_right)) * math.log(10) / 400
        pl, pr = np.exp(d / 2), np.exp(-d / 2)
        tie = self.tie_param
        denom = pl + pr + tie
        p = np.stack([pl / denom, pr / denom, tie / denom], axis=-1)
        coin = np.array([0.5, 0.5, 0.0])
        return (1 - self.random_share) * p + self.random_share * coin

    def table(self, truth: np.ndarray) -> np.ndarray:
        """(M, M, 3) :meth:`probabilities` for every (left, right) pair of models."""
        return self.probabilities(truth[:, None], truth[None, :])

    @staticmethod
    def outcome(p: np.ndarray, both_weak: bool, u: float) -> str:
        """The answer for probabilities ``p`` (3,) and a uniform draw ``u`` in [0, 1)."""
        if u < p[0]:
            return "a"
        if u < p[0] + p[1]:
            return "b"
        return "both_bad" if both_weak else "tie"


@dataclass(frozen=True)
class Scenario:
    """The simulated arena: how many models, how far apart, how many prompts, which voters."""

    models: int = 20
    prompts: int = 4
    spread: float = 100.0
    truth: str = "normal"
    voters: Voters = field(default_factory=Voters)

    def true_ratings(self, seed: int) -> np.ndarray:
        """(M,) true Elo ratings: drawn N(1000, spread) ("normal") or evenly spaced ("even")."""
        if self.truth == "even":
            half = self.spread * math.sqrt(3)  # a uniform spread with standard deviation spread
            return np.linspace(1000 + half, 1000 - half, self.models)
        if self.truth != "normal":
            raise ValueError(f"unknown truth {self.truth!r}; expected 'normal' or 'even'")
        return 1000 + self.spread * np.random.default_rng([seed, 0]).standard_normal(self.models)


def target_ratings(truth: np.ndarray, voters: Voters) -> np.ndarray:
    """(M,) the ratings an unlimited arena converges to: what the intervals should cover.

    The voters are not exactly Bradley-Terry (random voters compress the differences, ties
    count half), so the estimand is the Bradley-Terry fit to the voters' expected answers over
    every pair, equally often and on both sides, centred at 1000 like the fitted ratings.
    """
    m = truth.shape[0]
    i, j = np.triu_indices(m, 1)
    swapped = voters.probabilities(truth[j], truth[i])[:, [1, 0, 2]]
    p = 0.5 * (voters.probabilities(truth[i], truth[j]) + swapped)
    names = [str(k) for k in range(m)]
    rows = [
        (names[a], names[b], o, 1e4 * p[k, c])
        for k, (a, b) in enumerate(zip(i, j, strict=True))
        for c, o in enumerate(("a", "b", "tie"))
    ]
    return fit_bradley_terry(Comparisons.from_rows(rows, models=names), prior=0.0).rating
