"""What matchmaking draws from: one track's battle-ready clips, the pairs they make, the state.

A :class:`Catalog` holds a :class:`TrackPool` per track; the store loads one
(:func:`arena.store.reads.pools.load_catalog`) and :class:`arena.services.pools.CatalogCache`
keeps the current one in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from arena.core.matchmaking.state import PoolState, StatRow, build_state


@dataclass(frozen=True)
class CatalogClip:
    id: int
    public_id: str
    model_id: int
    prompt_id: str
    has_audio: bool


@dataclass(frozen=True)
class PromptInfo:
    id: str
    track: str
    text: str
    image_file: str | None


@dataclass(frozen=True, eq=False)
class TrackPool:
    """The battle-ready part of one track: active models, their clips, the pairs they make.

    Build one with :func:`build_pool`. ``cache`` holds what is derived from the pool once
    (matchmaking plans, rotation indexes); a new pool starts with an empty one.
    """

    track: str
    clips: dict[tuple[int, str], CatalogClip]
    pairs: tuple[tuple[int, int, tuple[str, ...]], ...]
    """Every pair of active models (lower id first) with the prompts both have a clip for."""
    models: tuple[int, ...]
    """Active model ids with clips on the track, ascending."""
    slugs: dict[int, str]
    pair_a: np.ndarray
    """(P,) position in :attr:`models` of each pair's first model."""
    pair_b: np.ndarray
    state: PoolState
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)


def build_pool(
    track: str,
    clips: Mapping[tuple[int, str], CatalogClip],
    slugs: Mapping[int, str],
    stats: Iterable[StatRow] = (),
) -> TrackPool:
    """Index ``clips`` into pairs sharing a prompt and fit ``stats`` (the track's live counts)."""
    prompts_of: dict[int, set[str]] = {}
    for model_id, prompt_id in clips:
        prompts_of.setdefault(model_id, set()).add(prompt_id)
    models = tuple(sorted(prompts_of))
    pairs = tuple(
        (a, b, tuple(sorted(prompts_of[a] & prompts_of[b])))
        for a, b in combinations(models, 2)
        if prompts_of[a] & prompts_of[b]
    )
    position = {m: k for k, m in enumerate(models)}
    pair_a = np.array([position[a] for a, _, _ in pairs], dtype=np.int64)
    pair_b = np.array([position[b] for _, b, _ in pairs], dtype=np.int64)
    return TrackPool(
        track=track,
        clips=dict(clips),
        pairs=pairs,
        models=models,
        slugs={m: slugs.get(m, str(m)) for m in models},
        pair_a=pair_a,
        pair_b=pair_b,
        state=build_state(models, pair_a, pair_b, stats),
    )
