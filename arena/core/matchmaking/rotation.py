"""Which prompt and which side: spread each model's clips evenly, balance left and right.

Kept per process (each worker balances its own battles; together they balance too) and
across catalogue reloads. Neither choice changes the probability of the pair.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from arena.core.matchmaking.pool import TrackPool


class Rotation:
    """Counts of clips shown per (model, prompt) and of sides per pair, per track."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, dict[int, int]] = {}
        self._cols: dict[str, dict[str, int]] = {}
        self._shows: dict[str, np.ndarray] = {}
        self._sides: dict[tuple[str, int, int], int] = {}

    def place(
        self,
        pool: TrackPool,
        k: int,
        rng: np.random.Generator,
        allowed: np.ndarray | None = None,
    ) -> tuple[str, int, int]:
        """(prompt, left model, right model) for pair ``k`` of ``pool``.

        The prompt is the shared one whose two clips have been shown least (ties at random),
        among ``allowed`` ones (a bool per shared prompt: those blind for the voter) if given;
        the model that has been on the left of this pair more often goes right (a fresh pair
        gets a random side), so within every pair the sides alternate.
        """
        a, b, prompts = pool.pairs[k]
        with self._lock:
            ra, rb, idx = self._indexes(pool, k)
            shows = self._shows[pool.track]
            load = shows[ra, idx] + shows[rb, idx] + 0.5 * rng.random(idx.shape[0])
            if allowed is not None:
                load = np.where(allowed, load, np.inf)
            j = int(np.argmin(load))
            shows[ra, idx[j]] += 1
            shows[rb, idx[j]] += 1
            key = (pool.track, a, b)
            balance = self._sides.get(key, 0)
            a_left = rng.random() < 0.5 if balance == 0 else balance < 0
            self._sides[key] = balance + (1 if a_left else -1)
        return (prompts[j], a, b) if a_left else (prompts[j], b, a)

    def shown(self, track: str, model_id: int, prompt_id: str) -> int:
        """How many battles of this process showed the model's clip of the prompt."""
        with self._lock:
            row = self._rows.get(track, {}).get(model_id)
            col = self._cols.get(track, {}).get(prompt_id)
            return 0 if row is None or col is None else int(self._shows[track][row, col])

    def _indexes(self, pool: TrackPool, k: int) -> tuple[int, int, np.ndarray]:
        """Rows of pair ``k``'s models and columns of its prompts, cached on the pool."""
        # Keyed by the rotation itself, weakly: not by its id(), which is reused once a rotation
        # is freed (``choose`` makes a throwaway one per call, and a reused id found another's
        # indexes), and without keeping every throwaway rotation alive in a long-lived pool.
        rotations = pool.cache.setdefault("rotations", weakref.WeakKeyDictionary())
        cache = rotations.setdefault(self, {})
        found = cache.get(k)
        if found is not None:
            return found
        a, b, prompts = pool.pairs[k]
        rows = self._rows.setdefault(pool.track, {})
        cols = self._cols.setdefault(pool.track, {})
        for m in (a, b):
            rows.setdefault(m, len(rows))
        for p in prompts:
            cols.setdefault(p, len(cols))
        shows = self._shows.get(pool.track, np.zeros((0, 0), np.int64))
        if shows.shape[0] < len(rows) or shows.shape[1] < len(cols):
            grown = np.zeros(
                (max(2 * shows.shape[0], len(rows)), max(2 * shows.shape[1], len(cols))), np.int64
            )
            grown[: shows.shape[0], : shows.shape[1]] = shows
            self._shows[pool.track] = grown
        found = cache[k] = (rows[a], rows[b], np.array([cols[p] for p in prompts], np.int64))
        return found
