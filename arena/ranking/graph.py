"""Comparison-graph checks: connected components, and whether an exact MLE exists."""

from __future__ import annotations

import numpy as np


def components(i: np.ndarray, j: np.ndarray, m: int) -> list[np.ndarray]:
    """Connected components of the undirected graph with edges (i, j) over M nodes.

    Returns index arrays, largest component first, ties broken by smallest index; isolated
    nodes are components of their own.
    """
    # every node takes the smallest label among its neighbours' (label <= node, so labels can
    # also jump to their own label's label) until nothing changes: each component ends up
    # labelled with its smallest node
    label = np.arange(m)
    while True:
        low = np.minimum(label[i], label[j])
        new = label.copy()
        np.minimum.at(new, i, low)
        np.minimum.at(new, j, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    order = np.argsort(label, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(label[order])) + 1) if m else []
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
