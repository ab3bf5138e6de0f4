"""Comparison-graph checks: connected components, and whether an exact MLE exists."""

from __future__ import annotations

import numpy as np


def components(i: np.ndarray, j: np.ndarray, m: int) -> list[np.ndarray]:
    """Connected components of the undirected graph with edges (i, j) over M nodes.

    Returns index arrays, largest component first, ties broken by smallest index; isolated
    nodes are components of their own.
    """
    parent = np.arange(m)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:
            parent[x], x = root, int(parent[x])
        return root

    for u, v in zip(i.tolist(), j.tolist(), strict=True):
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    roots = np.array([find(x) for x in range(m)], dtype=np.int64)
    groups = [np.flatnonzero(roots == r) for r in np.unique(roots)]
    return sorted(groups, key=lambda g: (-g.size, int(g[0])))


def _reach(adj: np.ndarray, start: int) -> np.ndarray:
    seen = np.zeros(adj.shape[0], dtype=bool)
    seen[start] = True
    frontier = seen.copy()
    while frontier.any():
        frontier = adj[frontier].any(axis=0) & ~seen
        seen |= frontier
    return seen


def strong_components(beats: np.ndarray) -> list[np.ndarray]:
    """Strongly connected components of the directed graph ``beats`` (M, M), largest first.

    ``beats[i, j]`` when i scored against j (a win or a tie). The Bradley-Terry MLE exists
    (finite, unique up to a shift) exactly when there is one component (Zermelo 1929, Ford 1957).
    """
    m = beats.shape[0]
    left = np.ones(m, dtype=bool)
    groups = []
    while left.any():
        start = int(np.flatnonzero(left)[0])
        group = _reach(beats, start) & _reach(beats.T, start)
        groups.append(np.flatnonzero(group))
        left &= ~group
    return sorted(groups, key=lambda g: (-g.size, int(g[0])))
