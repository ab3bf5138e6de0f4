"""What choosing a battle costs with 100 models, per strategy, against uniform as the peer.

Three costs, each on the same pool (100 models x 10 prompts, 4950 pairs, 200 000 votes of
live statistics):

* per battle: ``choose()`` with the pool's plan built (what every request pays: a binary
  search over the cumulative plan, the prompt rotation and the side balance);
* per plan: ``plan_for`` on a freshly loaded pool (the strategy's distribution over the 4950
  pairs, O(pairs)); the catalogue's reload thread builds it (``warm_plans``), so a request pays
  it only for the first battle of a strategy a process has not served before;
* per reload: ``build_pool`` (indexes the pairs and fits the live counts into the state the
  strategies read; in the catalogue's background thread, never on a request).

Strategies are measured in interleaved batches so load from other processes hits them alike.

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/matchmaking/bench_choose.py [--models 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from itertools import combinations

import numpy as np

from arena.core.matchmaking import MatchConfig, Rotation, choose, plan_for
from arena.core.matchmaking.pool import CatalogClip, TrackPool, build_pool
from arena.core.matchmaking.state import StatRow

STRATEGIES = ("uniform", "weighted", "active")


def setup(models: int, prompts: int, votes: int, seed: int = 0) -> tuple[dict, dict, list]:
    rng = np.random.default_rng(seed)
    ids = list(range(1, models + 1))
    clips = {
        (m, f"p{k}"): CatalogClip(m * 1000 + k, f"c{m}-{k}", m, f"p{k}", False)
        for m in ids
        for k in range(prompts)
    }
    truth = rng.normal(0, 0.6, models)
    pairs = list(combinations(ids, 2))
    per_pair = rng.multinomial(votes, np.full(len(pairs), 1 / len(pairs)))
    stats: list[StatRow] = []
    for (a, b), n in zip(pairs, per_pair, strict=True):
        p = 1 / (1 + np.exp(truth[b - 1] - truth[a - 1]))
        wins = int(rng.binomial(n, p))
        stats += [(a, b, "a", wins), (a, b, "b", int(n) - wins)]
    return clips, {m: f"model-{m}" for m in ids}, stats


def per_call(fn: object, calls: int, batches: int = 7) -> float:
    """Median over batches of the seconds per call of ``fn()``."""
    out = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) / calls)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--votes", type=int, default=200_000)
    args = parser.parse_args()
    clips, slugs, stats = setup(args.models, args.prompts, args.votes)
    config = MatchConfig()
    rng = np.random.default_rng(1)
    rotation = Rotation()
    pool: TrackPool = build_pool("text-to-video", clips, slugs, stats)
    for strategy in STRATEGIES:
        for _ in range(len(pool.pairs)):  # build the plan and every pair's rotation index
            choose(pool, rng, strategy=strategy, config=config, rotation=rotation)
    battle: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    plan: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    for _ in range(7):
        for s in STRATEGIES:
            battle[s].append(
                per_call(
                    lambda s=s: choose(pool, rng, strategy=s, config=config, rotation=rotation),
                    2000,
                    batches=1,
                )
            )
            plan[s].append(
                per_call(lambda s=s: plan_for(replace(pool, cache={}), s, config), 5, batches=1)
            )
    result = {
        s: {
            "battle_us": statistics.median(battle[s]) * 1e6,
            "plan_ms": statistics.median(plan[s]) * 1e3,
        }
        for s in STRATEGIES
    }
    reload = per_call(lambda: build_pool("text-to-video", clips, slugs, stats), 3, batches=5)
    peer = result["uniform"]
    for r in result.values():
        r["battle_vs_uniform"] = r["battle_us"] / peer["battle_us"]
        r["plan_vs_uniform"] = r["plan_ms"] / peer["plan_ms"]
    doc = {
        "models": args.models,
        "pairs": len(pool.pairs),
        "prompts": args.prompts,
        "live_votes": args.votes,
        "reload_build_pool_ms": reload * 1e3,
        "strategies": result,
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
