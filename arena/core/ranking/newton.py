"""Batched damped Newton ascent for concave log-likelihoods, and the pair-scatter helpers.

Every rating model here is a concave objective over K parameters. :func:`newton_ascent` runs B
independent problems at once (B = 1 for a plain fit, B = rounds for a bootstrap chunk): one
batched linear solve per iteration and step halving wherever a full step would not improve the
objective, so it converges from any start and quadratically near the optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: (f (B,), gradient (B, K), information (B, K, K)), each None when not asked for
Evaluation = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]
#: objective(x (B, K), order): order 0 -> f; 1 -> gradient (f optional); 2 -> all three
Objective = Callable[[np.ndarray, int], Evaluation]


@dataclass(frozen=True)
class NewtonResult:
    """Maximiser of a batch of objectives.

    Attributes:
        x: (B, K) parameters at the end.
        iterations: Newton iterations run.
        converged: (B,) True where the last full Newton step was below ``tol`` in max-norm.
    """

    x: np.ndarray
    iterations: int
    converged: np.ndarray


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Solve info @ step = grad per batch item; a (B, K, K) x (B, K) -> (B, K)."""
    try:
        return np.linalg.solve(info, grad[..., None])[..., 0]
    except np.linalg.LinAlgError:
        # A singular batch item (a resample with no information on some direction): a ridge
        # scaled to the matrix keeps the step finite and leaves regular items almost unchanged.
        scale = np.maximum(np.abs(np.diagonal(info, axis1=1, axis2=2)).max(axis=1), 1.0)
        ridge = 1e-10 * scale[:, None, None] * np.eye(info.shape[1])
        fixed = info + ridge
        return np.stack(
            [np.linalg.lstsq(m, g, rcond=None)[0] for m, g in zip(fixed, grad, strict=True)]
        )


def newton_ascent(
    objective: Objective,
    x0: np.ndarray,
    *,
    gauge: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> NewtonResult:
    """Maximise ``objective`` from ``x0`` (B, K).

    ``gauge`` (K,) is a direction along which the objective is flat (the common shift of all
    log-strengths when there is no prior); adding gauge gauge^T / |gauge|^2 to the information
    makes the system solvable and keeps steps orthogonal to that direction.
    """
    x = np.array(x0, dtype=np.float64, copy=True)
    b = x.shape[0]
    pin = None if gauge is None else np.outer(gauge, gauge) / float(gauge @ gauge)
    converged = np.zeros(b, dtype=bool)
    f, grad, info = objective(x, 2)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        assert f is not None and grad is not None and info is not None
        step = _solve(info if pin is None else info + pin, grad)
        converged = np.abs(step).max(axis=1, initial=0.0) < tol
        f_new, grad, info = objective(x + step, 0 if converged.all() else 2)
        assert f_new is not None
        worse = ~(f_new >= f - 1e-12 * np.maximum(1.0, np.abs(f)))
        if worse.any():  # rare: far from the optimum; halve those steps until they improve
            t = np.ones(b)
            for _ in range(60):
                t = np.where(worse, t * 0.5, t)
                f_new, _, _ = objective(x + t[:, None] * step, 0)
                assert f_new is not None
                worse = ~(f_new >= f - 1e-12 * np.maximum(1.0, np.abs(f)))
                if not worse.any():
                    break
            step = t[:, None] * step
            converged &= t == 1.0
            f_new, grad, info = objective(x + step, 0 if converged.all() else 2)
        x = x + step
        f = f_new
        if converged.all():
            break
    return NewtonResult(x=x, iterations=it, converged=converged)


def chord_inverse(info0: np.ndarray, gauge: np.ndarray | None = None) -> np.ndarray:
    """(K, K) inverse of the information ``info0`` (K, K) for :func:`chord_ascent`.

    ``gauge`` is as in :func:`newton_ascent`.
    """
    pin = 0.0 if gauge is None else np.outer(gauge, gauge) / float(gauge @ gauge)
    return np.linalg.inv(info0 + pin)


def chord_ascent(
    objective: Objective,
    x0: np.ndarray,
    inverse: np.ndarray,
    *,
    tol: float = 1e-9,
    max_iter: int = 40,
) -> NewtonResult:
    """Maximise from ``x0`` (B, K) with one fixed inverse information matrix (K, K).

    Each step is inverse @ gradient: the chord (simplified Newton) method. It needs only
    gradients and one factorisation for the whole batch, and converges linearly when every
    problem's curvature is close to info0 (bootstrap resamples of a large data set, started at
    the full-data optimum). Problems that have not converged after ``max_iter`` steps are
    reported so the caller can finish them with :func:`newton_ascent`.
    """
    x = np.array(x0, dtype=np.float64, copy=True)
    converged = np.zeros(x.shape[0], dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        _, grad, _ = objective(x, 1)
        assert grad is not None
        # einsum, not BLAS: a threaded BLAS spin-waits on a busy core for each small product
        step = np.einsum("bk,kl->bl", grad, inverse)
        x += step
        converged = np.abs(step).max(axis=1, initial=0.0) < tol
        if converged.all():
            break
    converged &= np.isfinite(x).all(axis=1)
    return NewtonResult(x=x, iterations=it, converged=converged)


def pair_matrix(values: np.ndarray, i: np.ndarray, j: np.ndarray, m: int) -> np.ndarray:
    """Symmetric (B, M, M) matrix with ``values`` (B, P) at (i, j) and (j, i); pairs are unique."""
    out = np.zeros((values.shape[0], m, m))
    out[:, i, j] = values
    out[:, j, i] = values
    return out


def laplacian(values: np.ndarray, i: np.ndarray, j: np.ndarray, m: int) -> np.ndarray:
    """(B, M, M) graph Laplacian: sum over pairs of values * (e_i - e_j)(e_i - e_j)^T."""
    out = -pair_matrix(values, i, j, m)
    idx = np.arange(m)
    out[:, idx, idx] = -out.sum(axis=2)
    return out


def scatter_pairs(values: np.ndarray, i: np.ndarray, j: np.ndarray, m: int) -> np.ndarray:
    """(B, M): sum over pairs of values * (e_i - e_j), for values (B, P)."""
    b = values.shape[0]
    shift = (np.arange(b) * m)[:, None]
    flat = np.bincount((i + shift).ravel(), values.ravel(), b * m)
    flat -= np.bincount((j + shift).ravel(), values.ravel(), b * m)
    return flat.reshape(b, m)


def log2cosh_half(theta: np.ndarray) -> np.ndarray:
    """log(2 cosh(theta / 2)) elementwise, without overflow."""
    return np.logaddexp(0.5 * theta, -0.5 * theta)
