"""Pairwise matrices for the leaderboard: battle counts, observed and predicted win rates."""

from __future__ import annotations

import numpy as np

from arena.core.errors import RankingError
from arena.core.ranking.data import A_WINS, B_WINS, TIE, Comparisons


def _pair_totals(comp: Comparisons, mask: np.ndarray) -> np.ndarray:
    m = comp.n_models
    out = np.bincount(comp.a * m + comp.b, comp.count * mask, m * m).reshape(m, m)
    return out


def battle_counts(comp: Comparisons) -> np.ndarray:
    """(M, M) float64 symmetric: votes between each pair (all outcomes); zero diagonal."""
    out = _pair_totals(comp, np.ones(comp.count.shape[0]))
    return out + out.T


def win_rates(comp: Comparisons, ties: str = "half") -> np.ndarray:
    """(M, M) float64: [i, j] = share of i-vs-j votes that i won; NaN where they never met.

    ``ties="half"`` counts tie and both_bad as half a win for each side; ``"drop"`` leaves them
    out (then [i, j] + [j, i] = 1 wherever defined). The diagonal is NaN.
    """
    if ties not in ("half", "drop"):
        raise RankingError(f"Unknown ties rule for win rates: {ties!r}")
    a_won = _pair_totals(comp, comp.outcome == A_WINS)
    b_won = _pair_totals(comp, comp.outcome == B_WINS)
    drawn = _pair_totals(comp, comp.outcome >= TIE)
    wins = a_won + b_won.T
    drawn = drawn + drawn.T
    total = wins + wins.T + (drawn if ties == "half" else 0.0)
    score = wins + (0.5 * drawn if ties == "half" else 0.0)
    out = np.full(total.shape, np.nan)
    np.divide(score, total, out=out, where=total > 0)
    return out


def predicted_win_rates(rating: np.ndarray) -> np.ndarray:
    """(M, M) float64: [i, j] = Bradley-Terry P(i beats j) from (M,) Elo ratings; 0.5 diagonal."""
    r = np.asarray(rating, dtype=np.float64)
    return 1.0 / (1.0 + 10.0 ** ((r[None, :] - r[:, None]) / 400.0))
