"""What a fixed split of the votes over the pairs can save, even knowing the true ratings.

For the simulator's truths (same seeds as ``arena simulate``) this computes, in the usual
large-sample approximation, the votes uniform sampling needs before the expected number of
misordered model pairs falls to 9.5 (Kendall tau 0.9 for 20 models: 190 pairs, tau = 1 - 2D/190)
and the votes the best fixed allocation of votes to pairs needs, found by Frank-Wolfe on that
expectation with the true ratings known. That is the whole saving available from sending votes
where the true ratings are crowded. A strategy that adapts to the votes as they come can save
more, by re-checking the orderings the current data happen to get wrong, which no fixed
allocation can target; the gap between this ratio and the measured one is that adaptivity.

Expected misordered pairs: sum over i < j of Phi(-|d_ij| / s_ij), d the true rating difference
and s_ij^2 = var(theta_i - theta_j) from the inverse of the Bradley-Terry information
sum_k n_k p_k (1 - p_k) u_k u_k' (plus the fit's prior), n_k the votes on pair k.

With ``--top K`` the accuracy counted is the order of the top K instead: the expected number
of misordered pairs that involve one of the true top K (the top K are found and in order
exactly when none of these is misordered), brought down to ``--goal`` (default 0.5 with
--top: about even odds that the top K are all right, where a median run gets there).

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/matchmaking/oracle.py [--seeds 30] [--top 3]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics

import numpy as np

from arena.core.matchmaking.strategies import normal_cdf
from arena.services.simulate import Scenario, target_ratings

PRIOR_INFORMATION = 0.25  # one virtual tie per model (the fit's prior) near theta = 0


class Design:
    """The large-sample accuracy of Bradley-Terry for a split of N votes over the pairs."""

    def __init__(self, theta: np.ndarray, top: int = 0) -> None:
        self.theta, self.m = theta, theta.shape[0]
        self.i, self.j = np.triu_indices(self.m, 1)
        rank = np.argsort(np.argsort(-theta))
        self.counted = (
            (rank[self.i] < top) | (rank[self.j] < top) if top else np.ones(self.i.shape, bool)
        )
        p = 1 / (1 + np.exp(-(theta[self.i] - theta[self.j])))
        self.f = p * (1 - p)
        self.d = np.abs(theta[self.i] - theta[self.j])

    def covariance(self, votes: np.ndarray) -> np.ndarray:
        info = np.zeros((self.m, self.m))
        info[self.i, self.j] = info[self.j, self.i] = -votes * self.f
        info[np.arange(self.m), np.arange(self.m)] = -info.sum(axis=1) + PRIOR_INFORMATION
        return np.linalg.inv(info)

    def misordered(self, votes: np.ndarray) -> tuple[float, np.ndarray]:
        """Expected misordered pairs, and its gradient in the votes of each pair."""
        c = self.covariance(votes)
        i, j = self.i, self.j
        s2 = c[i, i] + c[j, j] - 2 * c[i, j]
        s = np.sqrt(s2)
        z = self.d / s
        value = float(normal_cdf(-z)[self.counted].sum())
        # d value / d s2_ij = phi(z) d / (2 s^3); d s2_ij / d n_k = -f_k ((C u_k)_i - (C u_k)_j)^2
        g = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) * self.d / (2 * s2 * s) * self.counted
        lap = np.zeros((self.m, self.m))
        lap[i, j] = lap[j, i] = -g
        lap[np.arange(self.m), np.arange(self.m)] = -lap.sum(axis=1)
        a = c @ lap @ c
        grad = -self.f * (a[i, i] + a[j, j] - 2 * a[i, j])
        return value, grad

    def best(self, total: float, iters: int = 400) -> float:
        """Lowest expected misordered pairs with ``total`` votes (Frank-Wolfe on the simplex)."""
        w = np.full(self.i.shape[0], total / self.i.shape[0])
        value = math.inf
        for t in range(iters):
            value, grad = self.misordered(w)
            vertex = np.zeros_like(w)
            vertex[int(np.argmin(grad))] = total
            step = 2 / (t + 3)
            w = (1 - step) * w + step * vertex
        return min(value, self.misordered(w)[0])

    def votes_needed(self, goal: float, best: bool) -> float:
        """Smallest N (to 1%) with expected misordered pairs <= goal, uniform or best split."""

        def value(n: float) -> float:
            if best:
                return self.best(n)
            return self.misordered(np.full(self.i.shape[0], n / self.i.shape[0]))[0]

        lo, hi = 10.0, 10.0
        while value(hi) > goal:
            lo, hi = hi, hi * 2
        while hi / lo > 1.01:
            mid = math.sqrt(lo * hi)
            lo, hi = (lo, mid) if value(mid) <= goal else (mid, hi)
        return hi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--spread", type=float, default=100.0)
    parser.add_argument("--truth", choices=("normal", "even"), default="normal")
    parser.add_argument("--top", type=int, default=0, help="count only the order of the top K")
    parser.add_argument("--goal", type=float, help="expected misordered pairs to reach")
    args = parser.parse_args()
    scenario = Scenario(models=args.models, spread=args.spread, truth=args.truth)
    goal = args.goal or (0.5 if args.top else (1 - 0.9) / 2 * args.models * (args.models - 1) / 2)
    rows = []
    for seed in range(args.seeds):
        target = target_ratings(scenario.true_ratings(seed), scenario.voters)
        design = Design((target - 1000) * math.log(10) / 400, args.top)
        uniform = design.votes_needed(goal, best=False)
        best = design.votes_needed(goal, best=True)
        rows.append({"seed": seed, "uniform": round(uniform), "best": round(best)})
        print(json.dumps({**rows[-1], "ratio": round(best / uniform, 3)}), flush=True)
    ratios = [r["best"] / r["uniform"] for r in rows]
    print(
        json.dumps(
            {
                "goal_expected_misordered_pairs": goal,
                "median_uniform": statistics.median(r["uniform"] for r in rows),
                "median_best": statistics.median(r["best"] for r in rows),
                "median_ratio": round(statistics.median(ratios), 3),
                "min_ratio": round(min(ratios), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
