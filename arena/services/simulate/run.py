"""One simulated run: voters with known strengths drive the real matchmaking and ranking code.

The run builds its track pool the way the catalogue does
(:func:`arena.core.matchmaking.pool.build_pool`, which fits the live counts into the state the
strategies read), draws every battle with the server's :func:`arena.core.matchmaking.choose` (same
plans, rotation and recorded probabilities), lets a simulated voter answer, keeps the counts the
vote transaction keeps (and the live Elo, with :func:`arena.core.ranking.elo.elo_update`), and
rebuilds the pool every ``refresh`` votes as the catalogue reload does. At checkpoints it fits the
official ratings with :func:`arena.core.ranking.compute.rate` (inverse-propensity weighted with
``reweight``, as ``arena recompute --reweight``) and measures them against the truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from arena.core.matchmaking import MatchConfig, Rotation, choose
from arena.core.matchmaking.pool import CatalogClip, TrackPool, build_pool
from arena.core.ranking.compute import rate
from arena.core.ranking.data import Comparisons, weighted_comparisons
from arena.core.ranking.elo import elo_update
from arena.core.vocabulary import FLIP, SCORE
from arena.services.simulate.voters import Scenario, target_ratings

TRACK = "text-to-video"


@dataclass(frozen=True)
class RunOptions:
    """One strategy's run: the budget, how often the state refreshes, what is measured.

    ``refresh`` is the number of votes between catalogue reloads (the state the strategies
    see is that old at most); ``coverage_at`` are fractions of the budget where the official
    intervals (bootstrap, ``rounds`` rounds) are checked against the target ratings.
    """

    strategy: str = "active"
    config: MatchConfig = field(default_factory=MatchConfig)
    votes: int = 20000
    every: int = 100
    refresh: int = 50
    rounds: int = 1000
    level: float = 0.95
    coverage_at: tuple[float, ...] = (0.25, 0.5, 1.0)
    reweight: bool = False
    elo_k: float = 4.0

    @property
    def focus(self) -> int:
        return self.config.focus_top if self.strategy == "active" else 0


@dataclass
class Run:
    """What one run measured. ``votes_to_*`` are None when the budget was not enough."""

    seed: int
    strategy: str
    reweight: bool
    votes_to_tau: int | None
    votes_to_top3: int | None
    votes_to_tau_live: int | None
    checkpoints: list[int]
    tau: list[float]
    top3: list[bool]
    tau_live: list[float]
    coverage: dict[int, float]
    mean_width: dict[int, float]
    exposure_min: float
    exposure_max: float
    left_share_max: float
    prompt_spread: int
    votes_to_top3_live: int | None = None
    top3_live: list[bool] = field(default_factory=list)
    focus: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        """Inverse of :meth:`to_dict`, also after a JSON round trip (string keys)."""
        return cls(
            **{
                **data,
                "coverage": {int(n): c for n, c in data["coverage"].items()},
                "mean_width": {int(n): w for n, w in data["mean_width"].items()},
            }
        )


def kendall_tau(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-a between two score vectors."""
    i, j = np.triu_indices(x.shape[0], 1)
    return float(np.mean(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])))


def sustained(values: list[bool], at: list[int]) -> int | None:
    """The first checkpoint from which ``values`` stays true to the end (None: never)."""
    first = None
    for ok, n in zip(values, at, strict=True):
        if ok and first is None:
            first = n
        elif not ok:
            first = None
    return first


class VoteLog:
    """The votes so far: counts as the maintained statistics keep them, rows for reweighting."""

    def __init__(self, ids: list[int], initial: float = 1000.0) -> None:
        self.ids = ids
        self.stats: dict[tuple[int, int, str], int] = {}
        self.rows: dict[tuple[int, int, str, float], int] = {}
        self.shown = np.zeros(len(ids) + 1, dtype=np.int64)
        self.left = np.zeros(len(ids) + 1, dtype=np.int64)
        self.live = np.full(len(ids) + 1, initial)

    def add(self, left: int, right: int, outcome: str, probability: float, k: float) -> None:
        lo, hi, side = (left, right, outcome) if left < right else (right, left, FLIP[outcome])
        self.stats[(lo, hi, side)] = self.stats.get((lo, hi, side), 0) + 1
        key = (left, right, outcome, probability)
        self.rows[key] = self.rows.get(key, 0) + 1
        self.shown[[left, right]] += 1
        self.left[left] += 1
        self.live[left], self.live[right] = elo_update(
            self.live[left], self.live[right], SCORE[outcome], k=k
        )

    def stat_rows(self) -> list[tuple[int, int, str, int]]:
        return [(lo, hi, o, n) for (lo, hi, o), n in self.stats.items()]

    def comparisons(self, reweight: bool) -> Comparisons:
        names = [str(m) for m in self.ids]
        if reweight:
            return weighted_comparisons(
                ((str(a), str(b), o, p, n) for (a, b, o, p), n in self.rows.items()), names
            )
        return Comparisons.from_rows(
            ((str(lo), str(hi), o, n) for (lo, hi, o), n in self.stats.items()), models=names
        )


def simulated_catalog(
    ids: list[int], prompts: int
) -> tuple[dict[tuple[int, str], CatalogClip], dict[int, str]]:
    """Every model's clip of every prompt, and the models' names: a simulated track's pool."""
    names = [f"p{k}" for k in range(prompts)]
    clips = {
        (m, p): CatalogClip(m * 1000 + k, f"c{m}-{k}", m, p, False)
        for m in ids
        for k, p in enumerate(names)
    }
    return clips, {m: f"model-{m}" for m in ids}


def cast_vote(
    pool: TrackPool,
    rng: np.random.Generator,
    voter_rng: np.random.Generator,
    log: VoteLog,
    scenario: Scenario,
    answers: np.ndarray,
    weak: np.ndarray,
    *,
    options: RunOptions | Any,
    rotation: Rotation,
) -> tuple[int, int]:
    """One simulated battle, drawn as the server draws it, and its vote, logged: its models."""
    choice = choose(pool, rng, strategy=options.strategy, config=options.config, rotation=rotation)
    left, right = choice.left.model_id, choice.right.model_id
    outcome = scenario.voters.outcome(
        answers[left - 1, right - 1],
        bool(weak[left - 1] and weak[right - 1]),
        float(voter_rng.random()),
    )
    log.add(left, right, outcome, choice.probability, options.elo_k)
    return left, right


def simulate_run(scenario: Scenario, options: RunOptions, seed: int) -> Run:
    """One seeded run of ``options.strategy`` on ``scenario`` (same seed, same result).

    The truth depends only on ``seed``, so runs of several strategies with one seed are paired.
    """
    truth = scenario.true_ratings(seed)
    target = target_ratings(truth, scenario.voters)
    ids = list(range(1, scenario.models + 1))
    weak = truth < np.median(truth)
    answers = scenario.voters.table(truth)
    clips, slugs = simulated_catalog(ids, scenario.prompts)
    rng = np.random.default_rng([seed, 1])
    voter_rng = np.random.default_rng([seed, 2])
    rotation = Rotation()
    log = VoteLog(ids)
    pool = build_pool(TRACK, clips, slugs)
    cover_at = {max(options.every, round(f * options.votes)) for f in options.coverage_at}
    at: list[int] = []
    taus: list[float] = []
    tops: list[bool] = []
    live: list[float] = []
    live_tops: list[bool] = []
    coverage: dict[int, float] = {}
    width: dict[int, float] = {}
    top3 = list(np.argsort(-truth)[:3])
    for n in range(1, options.votes + 1):
        cast_vote(
            pool, rng, voter_rng, log, scenario, answers, weak, options=options, rotation=rotation
        )
        if n % options.refresh == 0:
            pool = build_pool(TRACK, clips, slugs, log.stat_rows())
        if n % options.every and n not in cover_at:
            continue
        with_ci = n in cover_at
        ratings = rate(
            log.comparisons(options.reweight),
            ci="bootstrap" if with_ci else "none",
            rounds=options.rounds,
            level=options.level,
            seed=seed,
        )
        if with_ci:
            coverage[n] = float(((ratings.lower <= target) & (target <= ratings.upper)).mean())
            width[n] = float((ratings.upper - ratings.lower).mean())
        if n % options.every == 0:
            at.append(n)
            taus.append(round(kendall_tau(ratings.rating, truth), 4))
            tops.append(list(np.argsort(-ratings.rating)[:3]) == top3)
            live.append(round(kendall_tau(log.live[1:], truth), 4))
            live_tops.append(list(np.argsort(-log.live[1:])[:3]) == top3)
    fair = 2 * options.votes / scenario.models
    shown, lefts = log.shown[1:], log.left[1:]
    prompts = list(dict.fromkeys(p for _, p in clips))  # in order
    per_prompt = np.array([[rotation.shown(TRACK, m, p) for p in prompts] for m in ids])
    return Run(
        seed=seed,
        strategy=options.strategy,
        reweight=options.reweight,
        votes_to_tau=sustained([t >= 0.9 for t in taus], at),
        votes_to_top3=sustained(tops, at),
        votes_to_tau_live=sustained([t >= 0.9 for t in live], at),
        checkpoints=at,
        tau=taus,
        top3=tops,
        tau_live=live,
        coverage=coverage,
        mean_width=width,
        exposure_min=float(shown.min() / fair),
        exposure_max=float(shown.max() / fair),
        left_share_max=float(np.max(lefts / np.maximum(shown, 1))),
        prompt_spread=int((per_prompt.max(axis=1) - per_prompt.min(axis=1)).max()),
        votes_to_top3_live=sustained(live_tops, at),
        top3_live=live_tops,
        focus=options.focus,
    )
