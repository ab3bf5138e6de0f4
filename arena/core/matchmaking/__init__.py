"""Choose the next battle on a track: which pair of models, which prompt, which side.

A strategy (``uniform``, ``weighted`` or ``active``, see :mod:`arena.core.matchmaking.strategies`)
gives every eligible pair (two active models with clips of a shared prompt) a probability.
That distribution is a :class:`Plan`, computed once per catalogue load from the state the
catalogue carries (live counts, current ratings and uncertainties) and cached on the pool; a
battle only draws from it (a binary search), so choosing costs microseconds whatever the
strategy. Placing models (new to an established board) get a bounded share of the battles on
top of any strategy (:mod:`arena.core.matchmaking.placement`). The probability of the drawn pair
is recorded with the battle, exactly, so the recompute can reweight by its inverse. The
prompt and the sides come from a :class:`~arena.core.matchmaking.rotation.Rotation` (least-shown
clips first; sides alternate per pair). Randomness comes only from the injected
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arena.core.errors import Unavailable
from arena.core.matchmaking.blind import restrict
from arena.core.matchmaking.config import MatchConfig
from arena.core.matchmaking.placement import placing, with_placement
from arena.core.matchmaking.pool import CatalogClip, PromptInfo, TrackPool
from arena.core.matchmaking.rotation import Rotation
from arena.core.matchmaking.strategies import STRATEGY

__all__ = [
    "STRATEGY",
    "Catalog",
    "Choice",
    "MatchConfig",
    "Plan",
    "Rotation",
    "choose",
    "placing",
    "plan_for",
]


@dataclass(frozen=True)
class Catalog:
    pools: dict[str, TrackPool]
    prompts: dict[str, PromptInfo]
    rotation: Rotation = field(default_factory=Rotation)
    """Prompt and side counts of this process, carried over from one load to the next."""

    def pool(self, track: str) -> TrackPool | None:
        return self.pools.get(track)


@dataclass(frozen=True)
class Choice:
    prompt_id: str
    left: CatalogClip
    right: CatalogClip
    strategy: str
    probability: float
    """Probability that this unordered pair of models was chosen."""
    blind: bool = True
    """Neither clip was revealed to the voter (false only when the voter's pool had no such
    battle left)."""


@dataclass(frozen=True, eq=False)
class Plan:
    """A strategy's distribution over a pool's pairs (``pool.pairs`` order), ready to draw."""

    strategy: str
    probability: np.ndarray
    cumulative: np.ndarray

    def draw(self, rng: np.random.Generator) -> int:
        """Index of a pair drawn with :attr:`probability`."""
        return _draw(self.cumulative, rng)

    def draw_among(self, eligible: np.ndarray, rng: np.random.Generator) -> tuple[int, float]:
        """A pair drawn with :attr:`probability` restricted to ``eligible`` (P,) bool, and its
        exact probability under that restriction. All pairs if none eligible has weight."""
        q = np.where(eligible, self.probability, 0.0)
        total = float(q.sum())
        if total <= 0.0:
            k = self.draw(rng)
            return k, float(self.probability[k])
        k = _draw(np.cumsum(q), rng)
        return k, float(self.probability[k]) / total


def _draw(cumulative: np.ndarray, rng: np.random.Generator) -> int:
    u = rng.random() * cumulative[-1]
    k = int(np.searchsorted(cumulative, u, side="right"))
    return min(k, cumulative.shape[0] - 1)


def plan_for(pool: TrackPool, strategy: str, config: MatchConfig | None = None) -> Plan:
    """The pool's :class:`Plan` for ``strategy`` (computed on first use, then cached)."""
    config = config or MatchConfig()
    key = ("plan", strategy, config)
    plan = pool.cache.get(key)
    if plan is None:
        try:
            make = STRATEGY[strategy]
        except KeyError:
            raise ValueError(
                f"unknown strategy {strategy!r}; strategies: {', '.join(STRATEGY)}"
            ) from None
        p = make(pool, config)
        p = with_placement(pool, p / p.sum(), config)
        p = p / p.sum()
        p.setflags(write=False)
        plan = pool.cache[key] = Plan(strategy, p, np.cumsum(p))
    return plan


def choose(
    pool: TrackPool | None,
    rng: np.random.Generator,
    *,
    strategy: str = "uniform",
    config: MatchConfig | None = None,
    rotation: Rotation | None = None,
    track: str = "",
    revealed: np.ndarray | None = None,
) -> Choice:
    """Draw a battle from ``pool`` with ``strategy``; prompt and sides from ``rotation``.

    ``revealed`` are the ids of the clips the voter's votes revealed
    (:func:`arena.store.reveals.revealed_clips`): the battle shows none of them while the pool
    has a battle that does not (:mod:`arena.core.matchmaking.blind`); the pair is then drawn from
    the strategy's distribution restricted to the pairs that have such a prompt, and the
    probability recorded is the restricted one. Raises :class:`Unavailable` when the track has
    no pair of models sharing a prompt.
    """
    if pool is None or not pool.pairs:
        raise Unavailable(
            f"no battle available on track {track or (pool.track if pool else '')!r}: it needs "
            "two active models with clips of the same prompt"
        )
    plan = plan_for(pool, strategy, config)
    limit = restrict(pool, revealed) if revealed is not None else None
    allowed = None
    if limit is None:
        k = plan.draw(rng)
        probability = float(plan.probability[k])
    else:
        k, probability = plan.draw_among(limit.eligible, rng)
        allowed = limit.allowed(pool, k)
        if not allowed.any():  # a pair outside the restriction (only weightless pairs were in)
            allowed = None
    prompt_id, left, right = (rotation or Rotation()).place(pool, k, rng, allowed)
    return Choice(
        prompt_id=prompt_id,
        left=pool.clips[(left, prompt_id)],
        right=pool.clips[(right, prompt_id)],
        strategy=strategy,
        probability=probability,
        blind=limit is None or limit.best == 0,
    )
