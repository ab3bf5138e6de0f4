"""The statistics of the blindness audit: arrays in, numbers out (no files, no database).

``X`` is an (n clips, d features) matrix, ``labels`` the model of each clip (n,), ``groups``
the prompt of each clip (n,). Randomness comes only from the ``rng`` argument.
"""

from __future__ import annotations

import numpy as np


def loo_accuracy(X: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out nearest-centroid accuracy of predicting ``labels`` (n,) from ``X`` (n, d).

    Each clip is classified against every model's centroid, its own model's centroid computed
    without it. Ties split the credit (a clip equally near to k centroids, one of them right,
    scores 1/k), so a feature that carries no information scores chance exactly. A model with
    a single clip cannot be predicted when that clip is held out.
    """
    n = X.shape[0]
    classes, y = np.unique(labels, return_inverse=True)
    k = len(classes)
    if n == 0 or k < 2:
        return 0.0
    counts = np.bincount(y, minlength=k).astype(float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, y, X)
    centroids = sums / counts[:, None]
    dist = (X**2).sum(1)[:, None] - 2 * X @ centroids.T + (centroids**2).sum(1)[None, :]
    own_n = counts[y]
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = (sums[y] - X) / (own_n - 1)[:, None]
    own = ((X - loo) ** 2).sum(1)
    own[own_n < 2] = np.inf
    dist[np.arange(n), y] = own
    dist = np.maximum(dist, 0.0)
    best = dist.min(1, keepdims=True)
    tol = 1e-9 * (1.0 + np.abs(best))
    near = dist <= best + tol
    right = near[np.arange(n), y]
    return float((right / near.sum(1)).mean())


def separation(X: np.ndarray, labels: np.ndarray) -> float:
    """Share of the variance of ``X`` (n, d) explained by the model (between-model sum of
    squares over total, all columns together): the statistic of the permutation test. For
    fixed group sizes it orders data sets as the PERMANOVA pseudo-F does, and it is far more
    sensitive than classifier accuracy to one model that stands out."""
    if X.shape[1] == 0:
        return 0.0
    _, y = np.unique(labels, return_inverse=True)
    counts = np.bincount(y).astype(float)
    sums = np.zeros((len(counts), X.shape[1]))
    np.add.at(sums, y, X)
    centred = X - X.mean(0)
    total = float((centred**2).sum())
    if total <= 0:
        return 0.0
    between = float(((sums / counts[:, None] - X.mean(0)) ** 2 * counts[:, None]).sum())
    return between / total


def permutation_p(
    X: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    permutations: int,
    rng: np.random.Generator,
) -> float:
    """P(separation >= observed) with the model labels shuffled within each group (prompt):
    the chance that models this different arise from clips carrying no model information."""
    if X.shape[1] == 0:
        return 1.0
    observed = separation(X, labels)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    hits = 0
    shuffled = labels.copy()
    for done in range(1, permutations + 1):
        for idx in members:
            shuffled[idx] = labels[rng.permutation(idx)]
        if separation(X, shuffled) >= observed * (1 - 1e-9):
            hits += 1
        # Stop early once the answer is plainly "not significant" (saves time on big tracks).
        if done >= 200 and (hits + 1) / (done + 1) > 0.2:
            return (hits + 1) / (done + 1)
    return (hits + 1) / (permutations + 1)


def standardize(X: np.ndarray) -> np.ndarray:
    """Drop constant columns, scale the rest to unit variance."""
    if X.size == 0:
        return X.reshape(X.shape[0], 0)
    std = X.std(0)
    keep = std > 1e-12
    return (X[:, keep] - X[:, keep].mean(0)) / std[keep]


def one_hot(values: list[str]) -> np.ndarray:
    levels = sorted(set(values))
    index = {v: i for i, v in enumerate(levels)}
    out = np.zeros((len(values), len(levels)))
    out[np.arange(len(values)), [index[v] for v in values]] = 1.0
    return out
