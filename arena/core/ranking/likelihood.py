"""Log-posteriors of the rating models with their gradients and information matrices.

Parameters are natural-log strengths theta (M,) (the Elo scale is theta * 400 / ln 10), then the
Davidson log tie parameter or the style coefficients. Each model adds the same prior on theta:
``prior`` virtual ties per model against a reference at theta = 0, a log-density of
``-prior * log(2 cosh(theta / 2))`` per model (see docs/ranking.md). prior = 0 is the exact MLE.
"""

from __future__ import annotations

import numpy as np

from arena.core.ranking.fitrows import DRAW, WIN_A, FitRows
from arena.core.ranking.newton import Evaluation, Objective, laplacian, log2cosh_half, scatter_pairs

#: score of side a for each fit-row kind under the half-win rule
SCORE_A = np.array([1.0, 0.0, 0.5])


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, without overflow for any finite input."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), without overflow for any finite input."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _prior_terms(theta: np.ndarray, prior: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-density (B,), gradient (B, M) and information diagonal (B, M) of the prior."""
    t = np.tanh(0.5 * theta)
    return -prior * log2cosh_half(theta).sum(axis=1), -0.5 * prior * t, 0.25 * prior * (1 - t * t)


def _add_diagonal(info: np.ndarray, diag: np.ndarray) -> None:
    idx = np.arange(diag.shape[1])
    info[:, idx, idx] += diag


def bt_pairs(rows: FitRows, totals: np.ndarray, prior: float) -> Objective:
    """Bradley-Terry over pair totals (3, B, P) from :meth:`FitRows.kind_totals`; x is (B, M).

    A draw is half a win for each side (after ``ties="drop"`` there are none).
    """
    win_a, win_b, draw = totals
    n = win_a + win_b + draw
    s = win_a + 0.5 * draw
    i, j, m = rows.pair_i, rows.pair_j, rows.n_models

    def objective(x: np.ndarray, order: int) -> Evaluation:
        d = x[:, i] - x[:, j]
        lp, lg, ld = _prior_terms(x, prior)
        f = None if order == 1 else (s * d - n * softplus(d)).sum(axis=1) + lp
        if order == 0:
            return f, None, None
        p = sigmoid(d)
        grad = scatter_pairs(s - n * p, i, j, m) + lg
        if order == 1:
            return f, grad, None
        info = laplacian(n * p * (1 - p), i, j, m)
        _add_diagonal(info, ld)
        return f, grad, info

    return objective


def davidson_pairs(rows: FitRows, totals: np.ndarray, prior: float) -> Objective:
    """Davidson (1970) tie model over pair totals (3, B, P); x is (B, M + 1), last = log nu.

    P(i wins) = pi_i / D, P(tie) = nu sqrt(pi_i pi_j) / D, D = pi_i + pi_j + nu sqrt(pi_i pi_j).
    The prior's virtual games are split evenly between win, loss and tie here (under the half
    rule that is exactly one virtual tie each), so nu stays finite and positive whether the data
    have no ties or nothing but ties.
    """
    win_a, win_b, draw = totals
    n = win_a + win_b + draw
    i, j, m = rows.pair_i, rows.pair_j, rows.n_models

    def parts(d: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, ...]:
        u = 0.5 * d
        log_d = np.logaddexp(np.logaddexp(u, -u), tau)
        return u, log_d, np.exp(u - log_d), np.exp(-u - log_d), np.exp(tau - log_d)

    def objective(x: np.ndarray, order: int) -> Evaluation:
        theta, tau = x[:, :m], x[:, m:]
        u, log_d, qa, qb, qt = parts(theta[:, i] - theta[:, j], tau)
        _pu, plog_d, pa, pb, pt = parts(theta, tau)  # virtual ties against theta = 0
        f = ((win_a - win_b) * u + draw * tau - n * log_d).sum(axis=1)
        f = f + prior * (tau / 3 - plog_d).sum(axis=1)
        if order == 0:
            return f, None, None
        grad = np.empty_like(x)
        grad[:, :m] = scatter_pairs(0.5 * (win_a - win_b) - 0.5 * n * (qa - qb), i, j, m)
        grad[:, :m] -= 0.5 * prior * (pa - pb)
        grad[:, m] = (draw - n * qt).sum(axis=1) + prior * (1 / 3 - pt).sum(axis=1)
        if order == 1:
            return f, grad, None
        info = np.zeros((x.shape[0], m + 1, m + 1))
        info[:, :m, :m] = laplacian(0.25 * n * ((qa + qb) - (qa - qb) ** 2), i, j, m)
        _add_diagonal(info[:, :m, :m], 0.25 * prior * ((pa + pb) - (pa - pb) ** 2))
        cross = scatter_pairs(-0.5 * n * (qa - qb) * qt, i, j, m) - 0.5 * prior * (pa - pb) * pt
        info[:, :m, m] = cross
        info[:, m, :m] = cross
        info[:, m, m] = (n * qt * (1 - qt)).sum(axis=1) + prior * (pt * (1 - pt)).sum(axis=1)
        return f, grad, info

    return objective


def row_information(
    values: np.ndarray, a: np.ndarray, b: np.ndarray, cov: np.ndarray | None, m: int
) -> np.ndarray:
    """(M + C, M + C): sum over rows of values * z z^T with z = (e_a - e_b, covariates)."""
    c = 0 if cov is None else cov.shape[1]
    out = np.zeros((m + c, m + c))
    w = np.bincount(a * m + b, values, m * m).reshape(m, m)
    w = w + w.T
    out[:m, :m] = np.diag(w.sum(axis=1)) - w
    if cov is not None:
        hx = values[:, None] * cov
        cross = np.stack([np.bincount(a, col, m) - np.bincount(b, col, m) for col in hx.T], axis=1)
        out[:m, m:] = cross
        out[m:, :m] = cross.T
        out[m:, m:] = cov.T @ hx
    return out


def bt_rows(rows: FitRows, counts: np.ndarray, prior: float) -> Objective:
    """Bradley-Terry with style covariates, row by row; x is (1, M + C), counts is (R,).

    logit P(a wins) = theta_a - theta_b + covariates @ beta; draws are half wins.
    """
    assert rows.covariates is not None
    cov, a, b, m = rows.covariates, rows.a, rows.b, rows.n_models
    n = counts * rows.weight
    s = SCORE_A[rows.kind]

    def objective(x: np.ndarray, order: int) -> Evaluation:
        theta, beta = x[:, :m], x[0, m:]
        eta = theta[0, a] - theta[0, b] + cov @ beta
        lp, lg, ld = _prior_terms(theta, prior)
        f = np.array([float((n * (s * eta - softplus(eta))).sum())]) + lp
        if order == 0:
            return f, None, None
        p = sigmoid(eta)
        r = n * (s - p)
        grad = np.concatenate([np.bincount(a, r, m) - np.bincount(b, r, m), cov.T @ r])[None]
        grad[:, :m] += lg
        if order == 1:
            return f, grad, None
        info = row_information(n * p * (1 - p), a, b, cov, m)[None]
        _add_diagonal(info[:, :m, :m], ld)
        return f, grad, info

    return objective


def row_scores(rows: FitRows, x: np.ndarray, tie_param: float | None) -> np.ndarray:
    """(R, K') per-vote score (gradient of one vote's log-likelihood) at x (K,).

    K' is 1 (d/d(theta_a - theta_b)) for Bradley-Terry without covariates, 1 + C with
    covariates (the columns after the first are multiplied by the covariates by the caller), and
    2 for Davidson (d/d(theta_a - theta_b), d/d log nu).
    """
    m = rows.n_models
    d = x[rows.a] - x[rows.b]
    if tie_param is None:
        if rows.covariates is not None:
            d = d + rows.covariates @ x[m:]
        return (SCORE_A[rows.kind] - sigmoid(d))[:, None]
    u = 0.5 * d
    tau = np.log(tie_param)
    log_d = np.logaddexp(np.logaddexp(u, -u), tau)
    qa, qb, qt = np.exp(u - log_d), np.exp(-u - log_d), np.exp(tau - log_d)
    sign = np.where(rows.kind == WIN_A, 0.5, np.where(rows.kind == DRAW, 0.0, -0.5))
    gd = sign - 0.5 * (qa - qb)
    gt = (rows.kind == DRAW) - qt
    return np.stack([gd, gt], axis=1)
