"""The fewest votes any strategy can need to place a newcomer, even knowing the true ratings.

For the new-model scenario's truths (same seeds and newcomer as ``arena simulate --scenario
new-model``), this computes in the large-sample approximation how many votes involving the
newcomer bring the 95% interval of its rating down to ``--width`` Elo, when it meets its
opponents as LMArena-style weighted sampling makes it (every established model equally often:
they all have more than the boost's vote count, so each weighs 1) and when every vote goes to
the single best opponent for it, chosen with the true ratings known.

Each vote against opponent j enters the Bradley-Terry estimating equation as s - p_j (s the
score: 1, 0 or 1/2 for a tie or both-bad; p_j the fitted win probability). With the
established ratings known, the sandwich variance of the newcomer's rating after n votes split
pi over the opponents is sum_j pi_j V_j / (n (sum_j pi_j p_j (1 - p_j))^2), V_j the variance
of the score under the simulated voters (position bias averaged over both sides, random
clicks, ties). No strategy, adaptive or not, can do better per vote than the best opponent:
the information of a vote is at most max_j (p_j (1 - p_j))^2 / V_j, whoever chooses it. So
best / weighted is a floor for the ratio of newcomer votes any placement can reach.

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/matchmaking/oracle_newcomer.py [--seeds 30]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics

import numpy as np

from arena.services.simulate import Scenario, target_ratings

ELO = 400 / math.log(10)
Z95 = 1.959963984540054


def per_vote(truth: np.ndarray, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(M,) slope p (1 - p) and score variance V of one vote of the newcomer (last) against
    each established model, sides averaged."""
    voters = scenario.voters
    target = target_ratings(truth, voters)
    new = truth.shape[0] - 1
    d = (target[new] - target[:new]) / ELO
    p = 1 / (1 + np.exp(-d))
    variance = np.zeros(new)
    for left in (True, False):
        probs = (
            voters.probabilities(truth[new], truth[:new])
            if left
            else voters.probabilities(truth[:new], truth[new])[:, [1, 0, 2]]
        )
        mean = probs[:, 0] + 0.5 * probs[:, 2]
        variance += 0.5 * (probs[:, 0] + 0.25 * probs[:, 2] - mean**2)
    return p * (1 - p), variance


def votes_needed(slope: np.ndarray, variance: np.ndarray, pi: np.ndarray, width: float) -> float:
    """Newcomer votes until the 95% interval is ``width`` Elo wide, with opponent shares pi."""
    per = float(pi @ variance) / float(pi @ slope) ** 2
    sd = width / (2 * Z95 * ELO)
    return per / sd**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--newcomer", type=float, default=1150.0)
    parser.add_argument("--width", type=float, default=60.0)
    args = parser.parse_args()
    scenario = Scenario(models=args.models)
    rows = []
    for seed in range(args.seeds):
        truth = np.append(scenario.true_ratings(seed), args.newcomer)
        slope, variance = per_vote(truth, scenario)
        m = slope.shape[0]
        uniform = votes_needed(slope, variance, np.full(m, 1 / m), args.width)
        best_j = int(np.argmin(variance / slope**2))
        best = votes_needed(slope, variance, np.eye(m)[best_j], args.width)
        rows.append({"seed": seed, "weighted": round(uniform), "best": round(best)})
        print(json.dumps({**rows[-1], "ratio": round(best / uniform, 3)}), flush=True)
    ratios = [r["best"] / r["weighted"] for r in rows]
    print(
        json.dumps(
            {
                "width": args.width,
                "newcomer": args.newcomer,
                "median_weighted": statistics.median(r["weighted"] for r in rows),
                "median_best": statistics.median(r["best"] for r in rows),
                "median_ratio": round(statistics.median(ratios), 3),
                "min_ratio": round(min(ratios), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
