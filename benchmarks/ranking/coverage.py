"""Coverage of the 95% intervals on synthetic votes from known strengths, over many seeds.

    PYTHONPATH=. python benchmarks/ranking/coverage.py --seeds 200

For each seed: draw true strengths and votes (benchmarks/ranking/synth.py), rate them with the
bootstrap and with the sandwich, and count the models whose interval holds the true rating
(true log-strengths centred like ours, mean 1000 on the Elo scale). Votes have no ties, so
they follow exactly the model being fitted. Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from synth import synthetic_votes  # noqa: E402

from arena.core.ranking.bradley_terry import ELO_SCALE  # noqa: E402
from arena.core.ranking.compute import rate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--votes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--prior", type=float, default=1.0)
    parser.add_argument("--skew", type=float, default=0.0)
    args = parser.parse_args()
    hits = {"bootstrap": 0, "sandwich": 0}
    total = 0
    widths = {"bootstrap": [], "sandwich": []}
    for seed in range(args.seeds):
        # no ties: the votes then follow exactly the model being fitted, so the true ratings are
        # the centred true strengths (random ties would compress every half-win rating)
        rng = np.random.default_rng(10_000 + seed)
        comp, theta = synthetic_votes(args.models, args.votes, rng, tie_rate=0.0, skew=args.skew)
        truth = (theta - theta.mean()) * ELO_SCALE + 1000.0
        for ci in hits:
            r = rate(comp.aggregate(), ci=ci, rounds=args.rounds, seed=seed, prior=args.prior)
            hits[ci] += int(((r.lower <= truth) & (truth <= r.upper)).sum())
            widths[ci].append(float((r.upper - r.lower).mean()))
        total += args.models
    print(
        json.dumps(
            {
                "seeds": args.seeds,
                "models": args.models,
                "votes": args.votes,
                "rounds": args.rounds,
                "prior": args.prior,
                "skew": args.skew,
                "coverage": {ci: hits[ci] / total for ci in hits},
                "mean_width_elo": {ci: float(np.mean(w)) for ci, w in widths.items()},
                "model_intervals": total,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
