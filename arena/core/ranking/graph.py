"""Comparison-graph checks: connected components, whether an exact MLE exists, and which
models a leaderboard can rank together (:func:`ranked_group`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.core.ranking.data import A_WINS, B_WINS, Comparisons

#: Why a model is left out of the ranking: reason code -> the sentence shown beside it.
NOT_COMPARABLE: dict[str, str] = {
    "no_votes": "no votes yet",
    "separate": "no chain of votes links it to the ranked models",
    "only_won": "it has only won against the ranked models (directly or through other models), "
    "so its rating has no upper bound yet",
    "only_lost": "it has only lost against the ranked models (directly or through other "
    "models), so its rating has no lower bound yet",
    "one_way": "it is linked to the ranked models only through one-way results",
    "no_group": "no two models have yet both won and lost against each other (directly or "
    "through other models)",
}


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


def _reach(adj: np.ndarray, start: int | np.ndarray) -> np.ndarray:
    """(M,) bool: the nodes reachable along ``adj`` (M, M) from ``start`` (a node or a mask)."""
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
    Kosaraju's two depth-first passes, iterative: O(M + edges) whatever the graph's shape.
    """
    m = beats.shape[0]
    if m and _reach(beats, 0).all() and _reach(beats.T, 0).all():  # the usual case, in numpy
        return [np.arange(m)]
    forward = _adjacency(beats)
    backward = _adjacency(beats.T)
    seen = np.zeros(m, dtype=bool)
    finished: list[int] = []
    for root in range(m):  # first pass: nodes in order of finishing time
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(forward[root]))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if not seen[child]:
                    seen[child] = True
                    stack.append((child, iter(forward[child])))
                    break
            else:
                stack.pop()
                finished.append(node)
    label = np.full(m, -1, dtype=np.int64)
    groups: list[np.ndarray] = []
    for root in reversed(finished):  # second pass, on the reversed graph
        if label[root] >= 0:
            continue
        label[root] = len(groups)
        todo, members = [root], [root]
        while todo:
            for child in backward[todo.pop()]:
                if label[child] < 0:
                    label[child] = len(groups)
                    todo.append(child)
                    members.append(child)
        groups.append(np.sort(np.array(members, dtype=np.int64)))
    return sorted(groups, key=lambda g: (-g.size, int(g[0])))


def _adjacency(adj: np.ndarray) -> list[list[int]]:
    """Each node's out-neighbours in the dense boolean (M, M) ``adj``."""
    rows, cols = np.nonzero(adj)
    ends = np.searchsorted(rows, np.arange(adj.shape[0] + 1))
    out = cols.tolist()
    return [out[ends[k] : ends[k + 1]] for k in range(adj.shape[0])]


def comparison_graph(comp: Comparisons, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """(beats, games), each (M, M), of the votes that enter a fit with tie rule ``ties``.

    ``beats[i, j]``: i scored against j (won, or tied unless ``ties == "drop"``, which leaves
    ties out of the fit). ``games`` (symmetric, float64): votes between i and j that enter it.
    """
    m = comp.n_models
    decisive = (comp.outcome == A_WINS) | (comp.outcome == B_WINS)
    used = comp.count > 0
    if ties == "drop":
        used &= decisive
    a, b, outcome, count = comp.a[used], comp.b[used], comp.outcome[used], comp.count[used]
    beats = np.zeros((m, m), dtype=bool)
    beats[a[outcome != B_WINS], b[outcome != B_WINS]] = True
    beats[b[outcome != A_WINS], a[outcome != A_WINS]] = True
    games = np.zeros((m, m))
    np.add.at(games, (a, b), count)
    return beats, games + games.T


@dataclass(frozen=True)
class Grouping:
    """Which models a leaderboard ranks together.

    Attributes:
        ranked: (M,) bool, the ranked group: the largest set of models that all have both
            scored against and been scored against by each other, directly or through other
            members (a strongly connected component of ``beats``; the exact maximum-likelihood
            fit exists within it). Largest = most models; ties broken by most votes between
            members, then by the lowest model index. Empty when no such set has two models.
        reason: (M,) "" for ranked models, else a key of :data:`NOT_COMPARABLE`.
    """

    ranked: np.ndarray
    reason: tuple[str, ...]


def ranked_group(beats: np.ndarray, games: np.ndarray) -> Grouping:
    """The ranked group of a comparison graph (``beats``, ``games`` as :func:`comparison_graph`)
    and, for every other model, why it cannot be ranked with that group."""
    m = beats.shape[0]
    played = games.sum(axis=1) > 0
    groups = strong_components(beats)
    best = (
        min(groups, key=lambda g: (-g.size, -float(games[np.ix_(g, g)].sum()), int(g[0])))
        if groups
        else np.zeros(0, np.int64)
    )
    ranked = np.zeros(m, dtype=bool)
    if best.size < 2:
        return Grouping(ranked, tuple("no_group" if p else "no_votes" for p in played))
    ranked[best] = True
    linked = _reach(games > 0, best)
    above = _reach(beats.T, best)  # models with a chain of results over the group
    below = _reach(beats, best)  # models the group has a chain of results over
    reason = []
    for k in range(m):
        if ranked[k]:
            reason.append("")
        elif not played[k]:
            reason.append("no_votes")
        elif not linked[k]:
            reason.append("separate")
        elif above[k] != below[k]:
            reason.append("only_won" if above[k] else "only_lost")
        else:
            reason.append("one_way")
    return Grouping(ranked, tuple(reason))


def describe(models: tuple[str, ...], grouping: Grouping, limit: int = 10) -> str:
    """The models left out of the ranked group with their reasons, for an error message."""
    left = [(models[k], grouping.reason[k]) for k in np.flatnonzero(~grouping.ranked)]
    text = "; ".join(f"{name!r}: {NOT_COMPARABLE[why]}" for name, why in left[:limit])
    return text + (f"; and {len(left) - limit} more" if len(left) > limit else "")
