"""Simultaneous coverage of the rank intervals, and the number of tiers, on simulated boards.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/ranking/rank_intervals.py \\
        --boards 200 --out benchmarks/ranking/results/rank_intervals.json

Each board: 20 models whose true Elo ratings are drawn as ``arena simulate`` draws them
(N(1000, 100), the spread of a real top 20; the board's seed is the simulator's seed; ``--spread``
changes it, and ``--spread 0`` ties them all, the case where rank intervals are hardest to
keep: any two models told apart is then an error), votes on
uniform pairs, outcomes Bradley-Terry from the true ratings (no ties, so the truth is exactly
what the fit estimates), rated by :func:`arena.core.ranking.compute.rate` as ``arena recompute``
rates (bootstrap, 1000 rounds; and the sandwich). For each vote count and interval method:

- ``simultaneous``: the share of boards in which every model's true rank lies in its rank
  interval (the goal: >= 0.95 at the nominal 95%);
- ``per_model``: the share of all model intervals that hold the true rank;
- ``width``: the mean of rank_upper - rank_lower;
- ``tiers``: the mean number of tiers; ``tiers_right``: the share of boards in which every
  model of every tier truly beats every model of the tiers below;
- ``marginal_simultaneous`` (bootstrap only, for comparison): the same simultaneous coverage
  for per-model 2.5%-97.5% quantiles of each model's rank across the bootstrap rounds.

Prints one JSON document (and writes it to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]

from arena.core.ranking.bradley_terry import fit_bradley_terry  # noqa: E402
from arena.core.ranking.compute import rate  # noqa: E402
from arena.core.ranking.data import Comparisons  # noqa: E402
from arena.core.ranking.intervals import bootstrap  # noqa: E402
from arena.services.simulate import Scenario  # noqa: E402


def board(
    models: int, votes: int, seed: int, spread: float = 100.0
) -> tuple[Comparisons, np.ndarray]:
    """Votes on uniform pairs and the true ratings (in the Comparisons' model order)."""
    truth = Scenario(models=models, spread=spread).true_ratings(seed)
    rng = np.random.default_rng([seed, votes])
    a = rng.integers(0, models, votes)
    b = rng.integers(0, models - 1, votes)
    b = np.where(b >= a, b + 1, b)
    win_a = rng.random(votes) < 1 / (1 + 10 ** ((truth[b] - truth[a]) / 400))
    names = tuple(f"model-{k:03d}" for k in range(models))
    outcome = np.where(win_a, 0, 1).astype(np.int8)
    return Comparisons(names, a, b, outcome, np.ones(votes)).aggregate(), truth


def true_ranks(truth: np.ndarray) -> np.ndarray:
    return 1 + (truth[None, :] > truth[:, None]).sum(axis=1)


def tiers_right(tier: np.ndarray, truth: np.ndarray) -> bool:
    """Every model of a tier truly better than every model of the tiers below."""
    better = tier[:, None] < tier[None, :]
    return bool((truth[:, None] > truth[None, :])[better].all())


def marginal_covered(comp: Comparisons, truth: np.ndarray, rounds: int, seed: int) -> bool:
    """Per-model 95% quantiles of the bootstrap ranks: do they hold every true rank?"""
    fit = fit_bradley_terry(comp)
    samples = bootstrap(fit, rounds=rounds, rng=np.random.default_rng(seed)).samples
    assert samples is not None
    ranks = 1 + (samples[:, None, :] > samples[:, :, None]).sum(axis=2)
    lo, hi = np.quantile(ranks, 0.025, axis=0), np.quantile(ranks, 0.975, axis=0)
    order = [fit.models.index(name) for name in comp.models]
    want = true_ranks(truth)
    return bool(((lo[order] <= want) & (want <= hi[order])).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boards", type=int, default=200)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--votes", type=int, nargs="+", default=[2000, 10_000, 50_000])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument(
        "--spread",
        type=float,
        default=100.0,
        help="standard deviation of the true ratings (Elo); 0 = all tied, the hardest case",
    )
    parser.add_argument("--ci", nargs="+", default=["bootstrap", "sandwich"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    results = []
    for votes in args.votes:
        for ci in args.ci:
            covered, held, width, tiers, right, marginal = 0, 0, [], [], 0, 0
            for seed in range(args.boards):
                comp, truth = board(args.models, votes, seed, args.spread)
                r = rate(comp, ci=ci, rounds=args.rounds, seed=seed, min_votes=0)
                order = [r.models.index(name) for name in comp.models]
                lo, hi, tier = r.rank_lower[order], r.rank_upper[order], r.tier[order]
                want = true_ranks(truth)
                inside = (lo <= want) & (want <= hi)
                covered += bool(inside.all())
                held += int(inside.sum())
                width.append(float((hi - lo).mean()))
                tiers.append(r.tiers)
                right += tiers_right(tier, truth)
                if ci == "bootstrap":
                    marginal += marginal_covered(comp, truth, args.rounds, seed)
            row = {
                "votes": votes,
                "ci": ci,
                "boards": args.boards,
                "simultaneous": covered / args.boards,
                "per_model": held / (args.boards * args.models),
                "width": round(float(np.mean(width)), 3),
                "tiers": round(float(np.mean(tiers)), 3),
                "tiers_right": right / args.boards,
            }
            if ci == "bootstrap":
                row["marginal_simultaneous"] = marginal / args.boards
            results.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    doc = {
        "command": " ".join(["python", "benchmarks/ranking/rank_intervals.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}",
        "models": args.models,
        "rounds": args.rounds,
        "spread": args.spread,
        "level": 0.95,
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    text = json.dumps(doc, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
