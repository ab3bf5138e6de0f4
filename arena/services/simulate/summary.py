"""Many runs: seeds in parallel processes, and the medians, coverage and ratios they give."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from typing import Any

import numpy as np

from arena.services.simulate.run import Run, RunOptions, simulate_run
from arena.services.simulate.voters import Scenario

Progress = Callable[[int, int, str], None]


def label(run: Run | RunOptions) -> str:
    """How a run's strategy is named: ``active``, ``active+reweight``, ``active@top3``."""
    focus = f"@top{run.focus}" if run.focus else ""
    return run.strategy + ("+reweight" if run.reweight else "") + focus


def run_many(
    scenario: Scenario,
    options: Sequence[RunOptions],
    seeds: Sequence[int],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Run]:
    """Every option set on every seed (``jobs`` processes); results in (option, seed) order."""
    tasks = [(scenario, o, s) for o in options for s in seeds]
    if jobs <= 1:
        out = []
        for n, task in enumerate(tasks, start=1):
            out.append(simulate_run(*task))
            if progress:
                progress(n, len(tasks), f"{label(task[1])} seed {task[2]}")
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(simulate_run, *task) for task in tasks]
        out = []
        for n, (future, task) in enumerate(zip(futures, tasks, strict=True), start=1):
            out.append(future.result())
            if progress:
                progress(n, len(tasks), f"{label(task[1])} seed {task[2]}")
        return out


def censored_median(values: Sequence[int | None]) -> float | None:
    """Median where None means "more than the budget"; None if that is where the median falls."""
    ranked = sorted(math.inf if v is None else float(v) for v in values)
    if not ranked:
        return None
    mid = len(ranked) // 2
    value = ranked[mid] if len(ranked) % 2 else (ranked[mid - 1] + ranked[mid]) / 2
    return None if math.isinf(value) else value


def summarize(runs: Sequence[Run]) -> dict[str, Any]:
    """What the runs of one strategy (at least one, same budget) show, pooled over seeds."""
    coverage: dict[int, list[float]] = {}
    width: dict[int, list[float]] = {}
    for run in runs:
        for n, c in run.coverage.items():
            coverage.setdefault(n, []).append(c)
            width.setdefault(n, []).append(run.mean_width[n])
    taus = np.array([run.tau for run in runs])
    return {
        "runs": len(runs),
        "median_votes_to_tau": censored_median([r.votes_to_tau for r in runs]),
        "not_reached_tau": sum(r.votes_to_tau is None for r in runs),
        "median_votes_to_top3": censored_median([r.votes_to_top3 for r in runs]),
        "not_reached_top3": sum(r.votes_to_top3 is None for r in runs),
        "median_votes_to_tau_live_elo": censored_median([r.votes_to_tau_live for r in runs]),
        "median_votes_to_top3_live_elo": censored_median([r.votes_to_top3_live for r in runs]),
        "coverage": {n: float(np.mean(c)) for n, c in sorted(coverage.items())},
        "mean_interval_width": {n: float(np.mean(w)) for n, w in sorted(width.items())},
        "mean_tau": dict(
            zip(runs[0].checkpoints, np.round(taus.mean(axis=0), 4).tolist(), strict=True)
        ),
        "exposure_range": [min(r.exposure_min for r in runs), max(r.exposure_max for r in runs)],
        "left_share_max": max(r.left_share_max for r in runs),
        "prompt_spread_max": max(r.prompt_spread for r in runs),
    }


def paired_ratio(
    base: Sequence[Run], other: Sequence[Run], metric: str, budget: int
) -> float | None:
    """Median over seeds of other / base votes for ``metric`` (a ``votes_to_*`` field).

    A run that never got there counts as ``budget`` votes; seeds where neither did are left
    out (None if that leaves none).
    """
    by_seed = {r.seed: getattr(r, metric) for r in base}
    ratios = []
    for run in other:
        b, o = by_seed.get(run.seed), getattr(run, metric)
        if b is None and o is None:
            continue
        ratios.append((budget if o is None else o) / (budget if b is None else b))
    return float(np.median(ratios)) if ratios else None


def report(
    scenario: Scenario, options: Sequence[RunOptions], seeds: Sequence[int], runs: Sequence[Run]
) -> dict[str, Any]:
    """The JSON document of ``arena simulate``: settings, per-strategy summaries, every run."""
    groups: dict[str, list[Run]] = {}
    for o in options:
        groups[label(o)] = [r for r in runs if label(r) == label(o)]
    names = list(groups)
    ratios = {}
    if len(names) > 1:
        base = groups[names[0]]
        for name in names[1:]:
            ratios[f"{name}/{names[0]}"] = {
                metric: paired_ratio(base, groups[name], f"votes_to_{metric}", options[0].votes)
                for metric in ("tau", "top3", "tau_live", "top3_live")
            }
    return {
        "scenario": asdict(scenario),
        "options": [{**asdict(o), "label": label(o)} for o in options],
        "seeds": list(seeds),
        "summary": {name: summarize(group) for name, group in groups.items()},
        "paired_ratios": ratios,
        "runs": [r.to_dict() for r in runs],
    }
