"""Blindness per voter: keep a voter's battles off the clips their own votes revealed.

A clip is *revealed* to a voter once a vote of theirs on a battle that showed it was stored
(:mod:`arena.store.reveals`): its bytes are then linked to a model name for that voter. A
battle (pair, prompt) is blind for the voter when neither of its two clips is revealed to
them. Matchmaking draws only among blind battles while the voter's pool has one; when it has
none, among those showing the fewest revealed clips (the battle is still served, and its vote
is excluded as ``seen``). Pure arrays: the pool's clip grid is built once per catalogue load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from arena.catalog import TrackPool

NOT_SHARED = np.int8(3)
"""Cost of a prompt the two models of a pair do not share (more than two revealed clips)."""


@dataclass(frozen=True, eq=False)
class ClipGrid:
    """Where each clip of a pool sits: row = model position, column = prompt."""

    columns: dict[str, int]
    cell_of: np.ndarray
    """(max clip id + 1,) flat cell (row * prompts + column) of each clip id, -1 if none."""
    shape: tuple[int, int]
    shared: np.ndarray
    """(P, N) bool: prompt n has a clip of both models of pair p."""


@dataclass(frozen=True)
class Restriction:
    """The battles a voter may get: eligible pairs, and per pair the prompts allowed."""

    eligible: np.ndarray
    """(P,) bool: the pair has a prompt at the lowest cost."""
    cost: np.ndarray
    """(P, N) int8: revealed clips among the pair's two clips of each prompt (3: not shared)."""
    best: int
    """The lowest cost over every battle: 0 while one is blind for the voter."""

    def allowed(self, grid: ClipGrid, prompts: tuple[str, ...], k: int) -> np.ndarray:
        """(len(prompts),) bool: which of pair ``k``'s ``prompts`` are at the lowest cost."""
        cols = np.fromiter((grid.columns[p] for p in prompts), np.int64, len(prompts))
        return np.asarray(self.cost[k, cols] == self.best)


def clip_grid(pool: TrackPool) -> ClipGrid:
    """The pool's :class:`ClipGrid`, built on first use and cached on the pool."""
    grid = pool.cache.get("clip_grid")
    if grid is not None:
        return grid
    columns = {p: n for n, p in enumerate(sorted({prompt for _, prompt in pool.clips}))}
    rows = {m: r for r, m in enumerate(pool.models)}
    width = len(columns)
    top = max((clip.id for clip in pool.clips.values()), default=-1)
    cell_of = np.full(top + 1, -1, dtype=np.int64)
    for (model, prompt), clip in pool.clips.items():
        cell_of[clip.id] = rows[model] * width + columns[prompt]
    shared = np.zeros((len(pool.pairs), width), dtype=bool)
    for k, (_, _, prompts) in enumerate(pool.pairs):
        shared[k, [columns[p] for p in prompts]] = True
    grid = pool.cache["clip_grid"] = ClipGrid(columns, cell_of, (len(pool.models), width), shared)
    return grid


def restrict(pool: TrackPool, revealed: np.ndarray) -> Restriction | None:
    """The voter's :class:`Restriction` given the clip ids ``revealed`` to them; None when no
    clip of the pool is among them (every battle is blind for the voter)."""
    if revealed.shape[0] == 0 or not pool.pairs:
        return None
    grid = clip_grid(pool)
    ids = revealed[(revealed >= 0) & (revealed < grid.cell_of.shape[0])]
    cells = grid.cell_of[ids]
    cells = cells[cells >= 0]
    if cells.shape[0] == 0:
        return None
    seen = np.zeros(grid.shape[0] * grid.shape[1], dtype=np.int8)
    seen[cells] = 1
    seen = seen.reshape(grid.shape)
    cost = np.where(grid.shared, seen[pool.pair_a] + seen[pool.pair_b], NOT_SHARED)
    per_pair = cost.min(axis=1)
    best = int(per_pair.min())
    return Restriction(per_pair == best, cost.astype(np.int8, copy=False), best)
