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
    from arena.core.matchmaking.pool import TrackPool

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
    shared_count: np.ndarray
    """(P,) prompts each pair shares."""


@dataclass(frozen=True)
class Restriction:
    """The battles a voter may get: eligible pairs, and per pair the prompts allowed."""

    eligible: np.ndarray
    """(P,) bool: the pair has a prompt at the lowest cost."""
    seen: np.ndarray
    """(M, N) int8: 1 where the model's clip of the prompt is revealed to the voter."""
    best: int
    """The lowest number of revealed clips over every battle: 0 while one is blind."""

    def allowed(self, pool: TrackPool, k: int) -> np.ndarray:
        """(len(prompts),) bool: which of pair ``k``'s prompts show :attr:`best` revealed clips."""
        grid = clip_grid(pool)
        prompts = pool.pairs[k][2]
        cols = np.fromiter((grid.columns[p] for p in prompts), np.int64, len(prompts))
        cost = self.seen[pool.pair_a[k], cols] + self.seen[pool.pair_b[k], cols]
        return np.asarray(cost == self.best)


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
    grid = pool.cache["clip_grid"] = ClipGrid(
        columns, cell_of, (len(pool.models), width), shared, shared.sum(axis=1)
    )
    return grid


def restrict(pool: TrackPool, revealed: np.ndarray) -> Restriction | None:
    """The voter's :class:`Restriction` given the clip ids ``revealed`` to them; None when no
    clip of the pool is among them (every battle is blind for the voter).

    A pair whose two models have fewer revealed clips between them than prompts they share
    surely keeps a blind prompt; only the other pairs are checked prompt by prompt, so a voter
    with a few reveals costs O(reveals + pairs), and only one who has seen most of a pair's
    clips pays O(pairs x prompts).
    """
    if revealed.shape[0] == 0 or not pool.pairs:
        return None
    grid = clip_grid(pool)
    ids = revealed[(revealed >= 0) & (revealed < grid.cell_of.shape[0])]
    cells = grid.cell_of[ids]
    cells = cells[cells >= 0]
    if cells.shape[0] == 0:
        return None
    rows, width = grid.shape
    seen = np.zeros(rows * width, dtype=np.int8)
    seen[cells] = 1
    seen = seen.reshape(grid.shape)
    per_model = np.bincount(cells // width, minlength=rows)
    unsure = np.flatnonzero(grid.shared_count <= per_model[pool.pair_a] + per_model[pool.pair_b])
    per_pair = np.zeros(len(pool.pairs), dtype=np.int8)
    if unsure.shape[0]:
        cost = np.where(
            grid.shared[unsure],
            seen[pool.pair_a[unsure]] + seen[pool.pair_b[unsure]],
            NOT_SHARED,
        )
        per_pair[unsure] = cost.min(axis=1)
    best = int(per_pair.min())
    return Restriction(per_pair == best, seen, best)
