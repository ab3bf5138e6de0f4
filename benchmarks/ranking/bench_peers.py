"""Speed, memory and exactness of our engine against FastChat and arena-rank on the same votes.

Run from the repository root (see benchmarks/ranking/RESULTS.md for the venv set-up):

    PYTHONPATH=. python benchmarks/ranking/bench_peers.py all --votes 1000000 --models 100

``all`` writes the votes once to /tmp, then runs each engine in its own process (so each peak
RSS is its own): ``ours`` in this interpreter, ``fastchat`` in /tmp/venv-fschat and
``arena_rank`` in /tmp/venv-arenarank. Each prints one JSON line; ``all`` prints a summary.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: the votes, shared by the engines' processes (``all`` picks a fresh file per run)
DATA = Path(os.environ.get("ARENA_BENCH_VOTES", "/tmp/arena-bench-votes.npz"))
T = TypeVar("T")
WINNER_FASTCHAT = np.array(["model_a", "model_b", "tie", "tie (bothbad)"])
WINNER_ARENA_RANK = np.array(["model_a", "model_b", "tie", "both_bad"])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_data(n_models: int, n_votes: int, seed: int, spread: float, skew: float) -> None:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from synth import synthetic_votes

    rng = np.random.default_rng(seed)
    comp, theta = synthetic_votes(n_models, n_votes, rng, spread=spread, skew=skew)
    np.savez(
        DATA, a=comp.a, b=comp.b, outcome=comp.outcome, models=np.array(comp.models), theta=theta
    )


def load() -> dict[str, np.ndarray]:
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """(fn's result, wall seconds it took)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def load_frame(labels: np.ndarray) -> tuple[np.ndarray, object]:
    """(model names, the votes as a pandas DataFrame with the peer's winner labels)."""
    import pandas as pd

    d = load()
    names = d["models"]
    frame = {"model_a": names[d["a"]], "model_b": names[d["b"]], "winner": labels[d["outcome"]]}
    return names, pd.DataFrame(frame)


def run_ours(rounds: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from arena.core.ranking.bradley_terry import fit_bradley_terry
    from arena.core.ranking.compute import rate
    from arena.core.ranking.data import Comparisons
    from arena.core.ranking.elo import online_elo

    d = load()
    votes = Comparisons(
        tuple(d["models"].tolist()), d["a"], d["b"], d["outcome"], np.ones(d["a"].size)
    )
    agg, aggregate_s = timed(votes.aggregate)  # what the app gets from SQL GROUP BY
    boot, boot_s = timed(rate, agg, rounds=rounds, seed=0)
    sand, sand_s = timed(rate, agg, ci="sandwich")
    exact, exact_s = timed(fit_bradley_terry, agg, prior=0)
    elo, elo_s = timed(online_elo, votes)
    return {
        "engine": "ours",
        "aggregate_s": aggregate_s,
        "rate_bootstrap_s": boot_s,
        "bootstrap_rounds": rounds,
        "rate_sandwich_s": sand_s,
        "exact_fit_s": exact_s,
        "online_elo_s": elo_s,
        "peak_mb": peak_mb(),
        "exact": exact.rating.tolist(),
        "default_prior": boot.rating.tolist(),
        "boot_lower": boot.lower.tolist(),
        "boot_upper": boot.upper.tolist(),
        "sand_lower": sand.lower.tolist(),
        "elo_online": elo.tolist(),
    }


def run_fastchat(rounds: int) -> dict[str, object]:
    import types

    # elo_analysis imports the model registry (and through it torch) for plots we do not use
    for name in ("fastchat.model", "fastchat.model.model_registry"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["fastchat.model.model_registry"].get_model_info = lambda *a, **k: None  # type: ignore[attr-defined]
    from fastchat.serve.monitor.elo_analysis import (
        compute_elo,
        compute_elo_mle_with_tie,
        get_bootstrap_result,
    )

    names, df = load_frame(WINNER_FASTCHAT)
    point, fit_s = timed(compute_elo_mle_with_tie, df)
    np.random.seed(0)
    _, boot_s = timed(get_bootstrap_result, df, compute_elo_mle_with_tie, num_round=rounds)
    online, online_s = timed(compute_elo, df)
    return {
        "engine": "fastchat",
        "online_elo_s": online_s,
        "elo_online": [float(online[n]) for n in names],
        "fit_s": fit_s,
        "bootstrap_rounds": rounds,
        "bootstrap_s": boot_s,
        "per_round_s": boot_s / rounds,
        "peak_mb": peak_mb(),
        "ratings": [float(point[n]) for n in names],
    }


def run_arena_rank(rounds: int) -> dict[str, object]:
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    _, df = load_frame(WINNER_ARENA_RANK)
    t0 = time.perf_counter()
    ds = PairDataset.from_pandas(df)
    model = BradleyTerry(n_competitors=len(ds.competitors))
    res = model.compute_ratings_and_cis(ds, significance_level=0.05, ci_method="sandwich")
    t1 = time.perf_counter()
    out: dict[str, object] = {
        "engine": "arena_rank",
        "fit_sandwich_s": t1 - t0,
        "ratings_by_name": dict(zip(res["competitors"], map(float, res["ratings"]), strict=True)),
    }
    if rounds:
        # two runs, so the worker pool's start-up (spawn + jax import) cancels out
        spent = []
        for n in (2, rounds):
            boot_model = BradleyTerry(n_competitors=len(ds.competitors))
            boot_model.fit(ds)
            t2 = time.perf_counter()
            boot_model.compute_ratings_and_cis(ds, ci_method="bootstrap", num_bootstrap=n, seed=0)
            spent.append(time.perf_counter() - t2)
        out.update(
            bootstrap_rounds=rounds,
            bootstrap_s=spent[1],
            per_round_s=(spent[1] - spent[0]) / (rounds - 2),
        )
    out["peak_mb"] = peak_mb()
    return out


def child(python: str, engine: str, rounds: int) -> dict[str, object] | None:
    """The engine's JSON line, or None (said on stdout) when its interpreter is absent."""
    if not Path(python).is_file():
        print(f"{engine}: absent (no interpreter at {python}; see RESULTS.md), not measured")
        return None
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if engine == "ours":  # as `arena recompute` runs it
        env["OPENBLAS_NUM_THREADS"] = "1"
    cmd = [python, str(Path(__file__).resolve()), engine, "--rounds", str(rounds)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(args: argparse.Namespace) -> None:
    global DATA
    DATA = Path(tempfile.mkdtemp(prefix="arena-bench-")) / "votes.npz"
    os.environ["ARENA_BENCH_VOTES"] = str(DATA)  # the children read the same file
    make_data(args.models, args.votes, args.seed, args.spread, args.skew)
    ours = child(sys.executable, "ours", args.rounds)
    assert ours is not None
    fastchat = child(args.fastchat_python, "fastchat", args.fastchat_rounds)
    arena = child(args.arena_rank_python, "arena_rank", args.arena_rank_rounds)
    names = load()["models"].tolist()
    exact = np.array(ours["exact"])

    def centred_gap(x: np.ndarray) -> float:
        return float(np.abs((x - x.mean()) - (exact - exact.mean())).max())

    ours_rounds = ours["rate_bootstrap_s"] / args.rounds  # type: ignore[operator]
    gaps = {"ours_default_prior": centred_gap(np.array(ours["default_prior"]))}
    result: dict[str, object] = {
        "votes": args.votes,
        "models": args.models,
        "spread": args.spread,
        "skew": args.skew,
        "ours": {k: v for k, v in ours.items() if not isinstance(v, list)},
        "ours_per_round_s": ours_rounds,
        "max_gap_from_exact_elo": gaps,
        "absent": [n for n, r in (("fastchat", fastchat), ("arena_rank", arena)) if r is None],
    }
    if fastchat is not None:
        fc_1000 = fastchat["fit_s"] + 1000 * fastchat["per_round_s"]  # type: ignore[operator]
        result["fastchat"] = {k: v for k, v in fastchat.items() if not isinstance(v, list)}
        result["speedup_vs_fastchat_1000_rounds"] = fc_1000 / (1000 * ours_rounds)
        result["fastchat_1000_rounds_extrapolated_s"] = fc_1000
        result["online_elo_max_diff_ours_vs_fastchat"] = float(
            np.abs(np.array(ours["elo_online"]) - np.array(fastchat["elo_online"])).max()
        )
        gaps["fastchat"] = centred_gap(np.array(fastchat["ratings"]))
    if arena is not None:
        result["arena_rank"] = {k: v for k, v in arena.items() if not isinstance(v, dict)}
        ar = np.array([arena["ratings_by_name"][n] for n in names])  # type: ignore[index]
        gaps["arena_rank"] = centred_gap(ar)
        if "per_round_s" in arena:
            result["speedup_per_round_vs_arena_rank"] = arena["per_round_s"] / ours_rounds  # type: ignore[operator]
    print(json.dumps(result, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["all", "ours", "fastchat", "arena_rank"])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", type=float, default=1.0, help="sd of true log-strengths")
    parser.add_argument("--skew", type=float, default=0.0, help="matchmaking skew (synth.py)")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--fastchat-rounds", type=int, default=3)
    parser.add_argument("--arena-rank-rounds", type=int, default=10)
    parser.add_argument(
        "--fastchat-python", default="/tmp/venv-fschat/bin/python", help="FastChat's interpreter"
    )
    parser.add_argument(
        "--arena-rank-python",
        default="/tmp/venv-arenarank/bin/python",
        help="arena-rank's interpreter",
    )
    args = parser.parse_args()
    if args.what == "all":
        summary(args)
        return
    run = {"ours": run_ours, "fastchat": run_fastchat, "arena_rank": run_arena_rank}[args.what]
    print(json.dumps(run(args.rounds)))


if __name__ == "__main__":
    if "arena_rank" in sys.argv:
        import multiprocessing as mp

        mp.set_start_method("spawn")  # arena-rank's bootstrap deadlocks under fork (jax threads)
    main()
