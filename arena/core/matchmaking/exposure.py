"""Exposure: each model's share of battles under a pair distribution, and keeping it in bounds.

A model's exposure is the probability that the next battle shows it: the sum of the
probabilities of its pairs (exposures sum to 2). The fair share is 2 / M. Bounds are enforced on
the distribution itself, so they hold for every battle drawn from it, not just on average.
"""

from __future__ import annotations

import numpy as np


def exposure(p: np.ndarray, pair_a: np.ndarray, pair_b: np.ndarray, m: int) -> np.ndarray:
    """(M,) probability that each model appears, for pair probabilities ``p`` (P,)."""
    return np.bincount(pair_a, p, m) + np.bincount(pair_b, p, m)


def paired_models(pair_a: np.ndarray, pair_b: np.ndarray, m: int) -> np.ndarray:
    """(M,) bool: models that have at least one eligible pair."""
    return exposure(np.ones(pair_a.shape[0]), pair_a, pair_b, m) > 0


def balanced(
    pair_a: np.ndarray, pair_b: np.ndarray, m: int, *, iters: int = 500, tol: float = 1e-9
) -> np.ndarray:
    """(P,) a pair distribution giving every paired model the same exposure, where one exists.

    Pairs get weight x_a * x_b and x is scaled until exposures agree (Sinkhorn-style). With every
    pair eligible this is the uniform distribution; on a graph where equal exposure is
    impossible (a star) it stops at ``iters`` with the closest it reached.
    """
    n_pairs = pair_a.shape[0]
    p = np.full(n_pairs, 1.0 / n_pairs)
    present = paired_models(pair_a, pair_b, m)
    target = 2.0 / max(int(present.sum()), 1)
    x = np.ones(m)
    for _ in range(iters):
        e = exposure(p, pair_a, pair_b, m)
        ratio = np.where(present, target / np.where(present, e, 1.0), 1.0)
        if np.abs(ratio - 1.0).max() < tol:
            break
        x *= np.sqrt(ratio)
        p = x[pair_a] * x[pair_b]
        p /= p.sum()
    return p


def bound_exposure(
    q: np.ndarray,
    base: np.ndarray,
    pair_a: np.ndarray,
    pair_b: np.ndarray,
    m: int,
    *,
    low: float,
    high: float,
    iters: int = 10,
) -> np.ndarray:
    """(P,) ``q`` changed as little as practical so each model's exposure is within bounds.

    Bounds are ``low`` and ``high`` times the fair share; a model the pair graph cannot give
    that much (or that little) exposure is held to what ``base`` (:func:`balanced`) gives it.
    First each model's pairs are scaled toward its bound a few times (keeps the shape of
    ``q``), then the result is mixed with ``base`` by the smallest amount that puts every model
    within its bounds: exact, since exposure is linear in the distribution.
    """
    present = paired_models(pair_a, pair_b, m)
    fair = 2.0 / max(int(present.sum()), 1)
    e_base = exposure(base, pair_a, pair_b, m)
    lo = np.where(present, np.minimum(low * fair, e_base), 0.0)
    hi = np.where(present, np.maximum(high * fair, e_base), 1.0)
    p = q / q.sum()
    for _ in range(iters):
        e = exposure(p, pair_a, pair_b, m)
        inside = (e >= lo) & (e <= hi)
        if inside.all():
            return p
        factor = np.where(inside | ~present, 1.0, np.clip(e, lo, hi) / np.maximum(e, 1e-300))
        p = p * np.sqrt(factor[pair_a] * factor[pair_b])
        p /= p.sum()
    e = exposure(p, pair_a, pair_b, m)
    mix = 0.0
    below, above = e < lo, e > hi
    if below.any():
        mix = max(mix, float(((lo - e)[below] / (e_base - e)[below]).max()))
    if above.any():
        mix = max(mix, float(((e - hi)[above] / (e - e_base)[above]).max()))
    p = (1.0 - mix) * p + mix * base
    return p / p.sum()
