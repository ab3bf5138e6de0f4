"""Choose the next battle on a track: which pair of models, which prompt, which side.

A strategy (``uniform``, ``weighted`` or ``active``, see :mod:`arena.matchmaking.strategies`)
gives every eligible pair (two active models with clips of a shared prompt) a probability.
That distribution is a :class:`Plan`, computed once per catalogue load from the state the
catalogue carries (live counts, current ratings and uncertainties) and cached on the pool; a
battle only draws from it (a binary search), so choosing costs microseconds whatever the
strategy. Placing models (new to an established board) get a bounded share of the battles on
top of any strategy (:mod:`arena.matchmaking.placement`). The probability of the drawn pair
is recorded with the battle, exactly, so the recompute can reweight by its inverse. The
prompt and the sides come from a :class:`~arena.matchmaking.rotation.Rotation` (least-shown
clips first; sides alternate per pair). Randomness comes only from the injected
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from arena.errors import Unavailable
from arena.matchmaking.config import MatchConfig, match_config
from arena.matchmaking.placement import placing, with_placement
from arena.matchmaking.rotation import Rotation
from arena.matchmaking.strategies import STRATEGY

if TYPE_CHECKING:
    from arena.catalog import CatalogClip, TrackPool

__all__ = [
    "STRATEGY",
    "Choice",
    "MatchConfig",
    "Plan",
    "Rotation",
    "choose",
    "match_config",
    "placing",
    "plan_for",
]


@dataclass(frozen=True)
class Choice:
    prompt_id: str
    left: CatalogClip
    right: CatalogClip
    strategy: str
    probability: float
    """Probability that this unordered pair of models was chosen."""


@dataclass(frozen=True, eq=False)
class Plan:
    """A strategy's distribution over a pool's pairs (``pool.pairs`` order), ready to draw."""

    strategy: str
    probability: np.ndarray
    cumulative: np.ndarray

    def draw(self, rng: np.random.Generator) -> int:
        """Index of a pair drawn with :attr:`probability`."""
        u = rng.random() * self.cumulative[-1]
        k = int(np.searchsorted(self.cumulative, u, side="right"))
        return min(k, self.cumulative.shape[0] - 1)


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
) -> Choice:
    """Draw a battle from ``pool`` with ``strategy``; prompt and sides from ``rotation``.

    Raises :class:`Unavailable` when the track has no pair of models sharing a prompt.
    """
    if pool is None or not pool.pairs:
        raise Unavailable(
            f"no battle available on track {track or (pool.track if pool else '')!r}: it needs "
            "two active models with clips of the same prompt"
        )
    plan = plan_for(pool, strategy, config)
    k = plan.draw(rng)
    prompt_id, left, right = (rotation or Rotation()).place(pool, k, rng)
    return Choice(
        prompt_id=prompt_id,
        left=pool.clips[(left, prompt_id)],
        right=pool.clips[(right, prompt_id)],
        strategy=strategy,
        probability=float(plan.probability[k]),
    )
