"""Bootstrap refits of Bradley-Terry (ties "half" or "drop"), many rounds at once on dense arrays.

Without covariates a resample's log-posterior depends on its votes only through, per pair, the
games n and the score s_a of the lower-indexed side (its wins plus half the ties, weighted).
With N the symmetric (M, M) matrix of games and score_i the total score of model i, the gradient
of the log-posterior is

    g_i = score_i - pi_i * sum_j N[i, j] / (pi_i + pi_j) - prior / 2 * tanh(x_i / 2)

with pi = exp(x) (pi_i / (pi_i + pi_j) is the logistic of x_i - x_j; a common factor cancels, so
pi is scaled by each round's largest strength). Laid out (M, M, rounds), one evaluation is three
contiguous passes over M * M * rounds numbers and M exponentials per round: no per-pair gather,
scatter or exponential. Each round is solved by chord steps with the full-data inverse
information (as :func:`arena.core.ranking.newton.chord_ascent`), to the same tolerance.

Resampled counts come category-major, one category per (kind, pair) slot: row kind * P + p holds
pair p's WIN_A, WIN_B or DRAW votes (zero where the data have none), so each kind is one
contiguous (P, rounds) block; the last row holds the votes ``ties="drop"`` leaves out.
"""

from __future__ import annotations

import numpy as np

from arena.core.ranking.fitrows import FitRows
from arena.core.ranking.newton import NewtonResult

#: a round whose strengths spread over more than this many log units (a resample where a model
#: never loses, far beyond any real rating) is left to Newton: its pi would underflow
MAX_SPREAD = 300.0


def dense_applies(rows: FitRows) -> bool:
    """True when :class:`DenseRefit` can refit these rows.

    That is Bradley-Terry ties (no Davidson), no covariates, at most one row per pair and kind
    (always so for aggregated votes with per-pair weights or none), and a comparison graph dense
    enough that (M, M) arrays do not waste most of their work.
    """
    if rows.ties == "davidson" or rows.covariates is not None or rows.n_rows == 0:
        return False
    key = (rows.a * rows.n_models + rows.b) * 3 + rows.kind
    return bool((np.diff(key) > 0).all()) and rows.n_models**2 <= 8 * rows.pair_i.size


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start of each run of equal sorted ``keys``, the key of each run)."""
    starts = np.flatnonzero(np.diff(keys, prepend=-1))
    return starts, keys[starts]


class DenseRefit:
    """Refits of resampled counts of ``rows`` from the full-data optimum ``x0`` (M,).

    ``inverse`` (M, M) is the chord matrix (inverse full-data information).
    """

    def __init__(self, rows: FitRows, x0: np.ndarray, inverse: np.ndarray, prior: float) -> None:
        m, i, j = rows.n_models, rows.pair_i, rows.pair_j
        self.m, self.n_pairs, self.x0, self.inverse, self.prior = m, i.size, x0, inverse, prior
        sizes = np.diff(np.append(rows.starts, rows.n_rows))
        #: the category (slot) of each fit row
        self.slot = rows.kind.astype(np.int64) * i.size + np.repeat(np.arange(i.size), sizes)
        weight = np.ones(3 * i.size)
        weight[self.slot] = rows.weight
        self.weight = None if (weight == 1.0).all() else weight.reshape(3, -1, 1)
        self.ab, self.ba = i * m + j, j * m + i
        self.a_starts, self.a_models = _groups(i)  # pairs are sorted by i
        self.b_order = np.argsort(j, kind="stable")
        self.b_starts, self.b_models = _groups(j[self.b_order])
        self._work: dict[int, tuple[np.ndarray, ...]] = {}

    def categories(self, rows: FitRows) -> np.ndarray:
        """(3 P + 1,) the vote counts in slot order, the dropped votes last."""
        cats = np.zeros(3 * self.n_pairs + 1)
        cats[self.slot] = rows.count
        cats[-1] = rows.dropped
        return cats

    def row_counts(self, major: np.ndarray, rounds: np.ndarray) -> np.ndarray:
        """(len(rounds), R) float64 fit-row counts of the given rounds of category-major draws."""
        return major[self.slot][:, rounds].T.astype(np.float64)

    def workspace(self, size: int) -> tuple[np.ndarray, ...]:
        """(games (M * M, size), buffer (M, M, size), three (P, size)) arrays, kept per size
        (the slots of absent pairs and the diagonal of ``games`` stay zero)."""
        if size not in self._work:
            m, p = self.m, self.n_pairs
            shape = (p, size)
            self._work[size] = (
                np.zeros((m * m, size)),
                np.empty((m, m, size)),
                np.empty(shape),
                np.empty(shape),
                np.empty(shape),
            )
        return self._work[size]

    def matrices(self, major: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N (M, M, B) games, score (M, B)) from category-major counts (3 P + 1, B)."""
        m, size = self.m, major.shape[1]
        games, _, n, s_a, s_b = self.workspace(size)
        x = major[:-1].reshape(3, self.n_pairs, size)
        if self.weight is not None:
            x = x * self.weight
        np.add(x[0], x[1], out=n)
        n += x[2]
        np.multiply(x[2], 0.5, out=s_a)
        s_a += x[0]
        games[self.ab] = n
        games[self.ba] = n
        score = np.zeros((m, size))
        score[self.a_models] = np.add.reduceat(s_a, self.a_starts, axis=0)
        np.subtract(n, s_a, out=n)  # now the score of side b
        np.take(n, self.b_order, axis=0, out=s_b, mode="clip")
        score[self.b_models] += np.add.reduceat(s_b, self.b_starts, axis=0)
        return games.reshape(m, m, size), score

    def refit(self, major: np.ndarray, *, tol: float, max_iter: int = 40) -> NewtonResult:
        """Chord steps for each round (column) of category-major counts; x is (B, M)."""
        games, score = self.matrices(major)
        size = major.shape[1]
        x = np.repeat(self.x0[:, None], size, axis=1)
        buf = self.workspace(size)[1]
        pi = np.empty_like(x)
        converged = np.zeros(size, dtype=bool)
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            np.subtract(x, x.max(axis=0), out=pi)
            np.maximum(pi, -MAX_SPREAD, out=pi)
            np.exp(pi, out=pi)
            np.add(pi[:, None, :], pi[None, :, :], out=buf)
            np.divide(games, buf, out=buf)
            grad = buf.sum(axis=1)
            grad *= pi
            np.subtract(score, grad, out=grad)
            if self.prior:
                grad -= 0.5 * self.prior * np.tanh(0.5 * x)
            step = self.inverse @ grad
            x += step
            converged = np.abs(step).max(axis=0, initial=0.0) < tol
            if converged.all():
                break
        converged &= np.isfinite(x).all(axis=0)
        converged &= (x.max(axis=0) - x.min(axis=0)) < MAX_SPREAD
        return NewtonResult(x=x.T.copy(), iterations=it, converged=converged)
