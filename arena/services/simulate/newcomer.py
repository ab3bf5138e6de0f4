"""The new-model scenario: an established board, then one newcomer of known strength enters.

The board's models first collect ``established`` votes from uniform pairs (the same voters), then
model M + 1 arrives with true rating ``newcomer``. From then on every battle is chosen by the
strategy under test through the server's :func:`arena.core.matchmaking.choose` (placement included
when the config gives it a share), the pool is refreshed every ``refresh`` votes, and every
``every`` votes the newcomer's official interval (the sandwich interval of
:func:`arena.core.ranking.compute.rate`, which is closed form, so it can be checked often) is
measured. The run records the votes it took until that interval is at most ``width`` Elo wide,
counted two ways: votes that involve the newcomer, and every vote cast since it entered; and whether
the interval then contains the newcomer's target rating (what an unlimited arena converges to,
:func:`arena.services.simulate.voters.target_ratings`). The live online Elo (K = 4) gets the
matching figure: the votes until the newcomer's live Elo is within ``width / 2`` of its target and
stays there to the end of the budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from arena.core.matchmaking import MatchConfig, Rotation
from arena.core.matchmaking.pool import build_pool
from arena.core.ranking.compute import rate
from arena.services.simulate.run import TRACK, VoteLog, cast_vote, simulated_catalog, sustained
from arena.services.simulate.summary import Progress, censored_median
from arena.services.simulate.voters import Scenario, target_ratings


@dataclass(frozen=True)
class NewcomerOptions:
    """One strategy's run of the new-model scenario (``votes``: the budget after entry)."""

    strategy: str = "active"
    config: MatchConfig = field(default_factory=MatchConfig)
    established: int = 20000
    votes: int = 10000
    every: int = 25
    refresh: int = 50
    width: float = 60.0
    level: float = 0.95
    newcomer: float = 1150.0
    elo_k: float = 4.0

    @property
    def label(self) -> str:
        return self.strategy + ("+placement" if self.config.placement_share > 0 else "")


@dataclass
class NewcomerRun:
    """What one run measured; ``*_to_*`` are None when the budget was not enough."""

    seed: int
    label: str
    truth: float
    target: float
    newcomer_votes_to_width: int | None
    votes_to_width: int | None
    covered: bool | None
    rating_at_width: float | None
    newcomer_votes_to_elo: int | None
    votes_to_elo: int | None
    newcomer_share: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def newcomer_run(scenario: Scenario, options: NewcomerOptions, seed: int) -> NewcomerRun:
    """One seeded run (same seed, same board, same history, same newcomer for every strategy)."""
    m = scenario.models
    truth = np.append(scenario.true_ratings(seed), options.newcomer)
    target = target_ratings(truth, scenario.voters)
    ids = list(range(1, m + 2))
    new = m + 1
    weak = truth < np.median(truth[:m])
    answers = scenario.voters.table(truth)
    log = VoteLog(ids)
    history = np.random.default_rng([seed, 3])
    for _ in range(options.established):
        a, b = history.choice(m, size=2, replace=False) + 1
        outcome = scenario.voters.outcome(
            answers[a - 1, b - 1], bool(weak[a - 1] and weak[b - 1]), float(history.random())
        )
        log.add(int(a), int(b), outcome, 2.0 / (m * (m - 1)), options.elo_k)
    clips, slugs = simulated_catalog(ids, scenario.prompts)
    rng = np.random.default_rng([seed, 1])
    voter_rng = np.random.default_rng([seed, 2])
    rotation = Rotation()
    pool = build_pool(TRACK, clips, slugs, log.stat_rows())
    involved = 0
    placed: tuple[int, int, bool, float] | None = None
    at: list[int] = []
    at_new: list[int] = []
    close: list[bool] = []
    for n in range(1, options.votes + 1):
        left, right = cast_vote(
            pool, rng, voter_rng, log, scenario, answers, weak, options=options, rotation=rotation
        )
        involved += new in (left, right)
        if n % options.refresh == 0:
            pool = build_pool(TRACK, clips, slugs, log.stat_rows())
        if n % options.every:
            continue
        at.append(n)
        at_new.append(involved)
        close.append(abs(log.live[new] - target[new - 1]) <= options.width / 2)
        if placed is None:
            ratings = rate(log.comparisons(False), ci="sandwich", level=options.level, seed=seed)
            lo, hi = float(ratings.lower[new - 1]), float(ratings.upper[new - 1])
            if np.isfinite(hi - lo) and hi - lo <= options.width:
                placed = (
                    involved,
                    n,
                    bool(lo <= target[new - 1] <= hi),
                    float(ratings.rating[new - 1]),
                )
    elo_at = sustained(close, at)
    return NewcomerRun(
        seed=seed,
        label=options.label,
        truth=float(truth[new - 1]),
        target=round(float(target[new - 1]), 2),
        newcomer_votes_to_width=placed[0] if placed else None,
        votes_to_width=placed[1] if placed else None,
        covered=placed[2] if placed else None,
        rating_at_width=round(placed[3], 2) if placed else None,
        newcomer_votes_to_elo=None if elo_at is None else at_new[at.index(elo_at)],
        votes_to_elo=elo_at,
        newcomer_share=round(involved / options.votes, 4),
    )


def run_newcomers(
    scenario: Scenario,
    options: Sequence[NewcomerOptions],
    seeds: Sequence[int],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[NewcomerRun]:
    """Every option set on every seed (``jobs`` processes); results in (option, seed) order."""
    tasks = [(scenario, o, s) for o in options for s in seeds]
    out: list[NewcomerRun] = []
    if jobs <= 1:
        results: Iterable[NewcomerRun] = (newcomer_run(*task) for task in tasks)
        for n, (run, task) in enumerate(zip(results, tasks, strict=True), start=1):
            out.append(run)
            if progress:
                progress(n, len(tasks), f"{task[1].label} seed {task[2]}")
        return out
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(newcomer_run, *task) for task in tasks]
        for n, (future, task) in enumerate(zip(futures, tasks, strict=True), start=1):
            out.append(future.result())
            if progress:
                progress(n, len(tasks), f"{task[1].label} seed {task[2]}")
    return out


def summarize_newcomer(runs: Sequence[NewcomerRun]) -> dict[str, Any]:
    """Medians over seeds (None: the median run did not get there) and the coverage."""
    placed = [r for r in runs if r.covered is not None]
    return {
        "runs": len(runs),
        "median_newcomer_votes_to_width": censored_median(
            [r.newcomer_votes_to_width for r in runs]
        ),
        "median_votes_to_width": censored_median([r.votes_to_width for r in runs]),
        "not_reached_width": len(runs) - len(placed),
        "coverage_at_width": float(np.mean([r.covered for r in placed])) if placed else None,
        "median_newcomer_votes_to_elo": censored_median([r.newcomer_votes_to_elo for r in runs]),
        "median_votes_to_elo": censored_median([r.votes_to_elo for r in runs]),
        "not_reached_elo": sum(r.votes_to_elo is None for r in runs),
        "mean_newcomer_share": float(np.mean([r.newcomer_share for r in runs])),
    }


def newcomer_report(
    scenario: Scenario,
    options: Sequence[NewcomerOptions],
    seeds: Sequence[int],
    runs: Sequence[NewcomerRun],
) -> dict[str, Any]:
    """The JSON document of ``arena simulate --scenario new-model``.

    Ratios are of medians over seeds, each strategy against the first one (the baseline), and
    against the baseline's live online Elo on the same runs.
    """
    groups = {o.label: [r for r in runs if r.label == o.label] for o in options}
    summary = {name: summarize_newcomer(group) for name, group in groups.items()}
    base = summary[options[0].label]
    ratios: dict[str, dict[str, float | None]] = {}
    for name, s in summary.items():
        ratios[name] = {
            "newcomer_votes_vs_baseline": _ratio(
                s["median_newcomer_votes_to_width"], base["median_newcomer_votes_to_width"]
            ),
            "votes_vs_baseline": _ratio(s["median_votes_to_width"], base["median_votes_to_width"]),
            "newcomer_votes_vs_baseline_online_elo": _ratio(
                s["median_newcomer_votes_to_width"], base["median_newcomer_votes_to_elo"]
            ),
        }
    return {
        "scenario": {**asdict(scenario), "name": "new-model"},
        "options": [{**asdict(o), "label": o.label} for o in options],
        "seeds": list(seeds),
        "summary": summary,
        "ratios": ratios,
        "runs": [r.to_dict() for r in runs],
    }


def _ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else round(value / base, 3)
