"""The engine's share of a recompute: aggregated rows in, ratings with 1000-round intervals out.

    PYTHONPATH=. python benchmarks/ranking/bench_engine.py --votes 1000000 10000000 --models 100

For each vote count the parent draws synthetic votes and aggregates them (the database's GROUP BY
gives the engine these rows), saves the rows, and times ``rate()`` in a fresh child process so
that the reported peak RSS is the engine's alone (Python + numpy + the rows + the fit).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

from synth import synthetic_votes  # noqa: E402

from arena.ranking.data import Comparisons  # noqa: E402
from arena.ranking.leaderboard import rate  # noqa: E402

ROWS = Path("/tmp/arena-bench-rows.npz")


def child(ci: str, repeat: int) -> None:
    with np.load(ROWS) as f:
        comp = Comparisons(tuple(f["models"].tolist()), f["a"], f["b"], f["outcome"], f["count"])
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = rate(comp, ci=ci, rounds=1000, seed=0)
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ci": ci, "seconds": times, "peak_mb": peak, "rows": int(comp.count.size),
                      "converged": result.converged}))  # fmt: skip


def parent(args: argparse.Namespace) -> None:
    out = []
    for n_votes in args.votes:
        rng = np.random.default_rng(1)
        parts = []
        for start in range(0, n_votes, 1_000_000):  # draw in slices to bound the parent's memory
            comp, _ = synthetic_votes(args.models, min(1_000_000, n_votes - start), rng)
            parts.append(comp.aggregate())
        agg = Comparisons(
            parts[0].models,
            np.concatenate([p.a for p in parts]),
            np.concatenate([p.b for p in parts]),
            np.concatenate([p.outcome for p in parts]),
            np.concatenate([p.count for p in parts]),
        ).aggregate()
        np.savez(
            ROWS,
            models=np.array(agg.models),
            a=agg.a,
            b=agg.b,
            outcome=agg.outcome,
            count=agg.count,
        )
        for ci in ("bootstrap", "sandwich"):
            cmd = [sys.executable, __file__, "--child", ci, "--repeat", str(args.repeat)]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            record = json.loads(res.stdout)
            record.update(votes=n_votes, models=args.models)
            out.append(record)
            print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["bootstrap", "sandwich"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat)
    else:
        parent(args)


if __name__ == "__main__":
    main()
