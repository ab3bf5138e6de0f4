"""Choose the next battle on a track: which pair of models, which prompt, which side.

The uniform strategy picks a pair of active models uniformly among the pairs that share a
prompt, then one of their shared prompts uniformly, then shuffles the sides. The probability
of the pair is recorded with the battle so a recompute can reweight by its inverse.
Randomness comes only from the injected ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.catalog import CatalogClip, TrackPool
from arena.errors import Unavailable


@dataclass(frozen=True)
class Choice:
    prompt_id: str
    left: CatalogClip
    right: CatalogClip
    strategy: str
    probability: float
    """Probability that this unordered pair of models was chosen."""


def choose_uniform(pool: TrackPool | None, rng: np.random.Generator, track: str = "") -> Choice:
    """Uniform over eligible pairs, then over their shared prompts; sides shuffled."""
    if pool is None or not pool.pairs:
        raise Unavailable(
            f"no battle available on track {track or (pool.track if pool else '')!r}: it needs "
            "two active models with clips of the same prompt"
        )
    a, b, prompts = pool.pairs[int(rng.integers(len(pool.pairs)))]
    prompt_id = prompts[int(rng.integers(len(prompts)))]
    if rng.random() < 0.5:
        a, b = b, a
    return Choice(
        prompt_id=prompt_id,
        left=pool.clips[(a, prompt_id)],
        right=pool.clips[(b, prompt_id)],
        strategy="uniform",
        probability=1.0 / len(pool.pairs),
    )
