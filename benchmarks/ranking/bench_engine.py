"""The engine's share of a recompute: aggregated rows in, ratings with 1000-round intervals out.

    PYTHONPATH=. python benchmarks/ranking/bench_engine.py --votes 1000000 10000000 --models 100

For each vote count the parent draws synthetic votes and aggregates them (the maintained
statistics, or the database's GROUP BY, give the engine these rows), saves the rows, and times
``rate()`` in a fresh child process (the first call pays the process's first-touch costs, the
later ones show a long-running recompute), so that the reported peak RSS is the engine's alone.
The child runs as ``arena recompute`` does, with OPENBLAS_NUM_THREADS=1. Each call reports wall
and CPU seconds (CPU counts every thread: the bootstrap draws in two worker threads while the
main thread refits) and the load average when it ended. ``--engine-root DIR`` times another
checkout's engine (for example an older commit, ``git archive <commit> arena | tar -x -C DIR``)
on the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def child(rows: str, ci: str, repeat: int) -> None:
    from arena.core.ranking import compute as leaderboard
    from arena.core.ranking.compute import rate
    from arena.core.ranking.data import Comparisons

    with np.load(rows) as f:
        comp = Comparisons(tuple(f["models"].tolist()), f["a"], f["b"], f["outcome"], f["count"])
    calls = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = rate(comp, ci=ci, rounds=1000, seed=0)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        calls.append({"wall_s": wall, "cpu_s": cpu, "load": os.getloadavg()[0]})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ci": ci, "calls": calls, "peak_mb": peak, "rows": int(comp.count.size),
                      "converged": result.converged, "module": leaderboard.__file__}))  # fmt: skip


def parent(args: argparse.Namespace) -> None:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from synth import synthetic_votes

    from arena.core.ranking.data import Comparisons

    engine = str(Path(args.engine_root).resolve()) if args.engine_root else str(ROOT)
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
        with tempfile.TemporaryDirectory() as tmp:
            rows = os.path.join(tmp, "rows.npz")
            arrays = {"a": agg.a, "b": agg.b, "outcome": agg.outcome, "count": agg.count}
            np.savez(rows, models=np.array(agg.models), **arrays)
            for ci in args.ci:
                cmd = [sys.executable, __file__, "--child", ci, "--rows", rows]
                cmd += ["--repeat", str(args.repeat)]
                env = {**os.environ, "PYTHONPATH": engine, "OPENBLAS_NUM_THREADS": "1"}
                res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
                record = json.loads(res.stdout)
                record.update(votes=n_votes, models=args.models, engine=engine)
                print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ci", nargs="+", default=["bootstrap", "sandwich"])
    parser.add_argument("--engine-root", help="checkout whose arena/core/ranking is timed")
    parser.add_argument("--child", choices=["bootstrap", "sandwich"])
    parser.add_argument("--rows")
    args = parser.parse_args()
    if args.child:
        child(args.rows, args.child, args.repeat)
    else:
        parent(args)


if __name__ == "__main__":
    main()
