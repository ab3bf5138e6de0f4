"""Pairwise matrices."""

import numpy as np

from arena.core.ranking.data import Comparisons
from arena.core.ranking.matrices import battle_counts, predicted_win_rates, win_rates


def test_matrices() -> None:
    comp = Comparisons.from_rows(
        [("x", "y", "a", 3), ("y", "x", "a", 1), ("x", "y", "tie", 2), ("y", "z", "both_bad", 1)]
    )
    np.testing.assert_array_equal(battle_counts(comp), [[0, 6, 0], [6, 0, 1], [0, 1, 0]])
    half = win_rates(comp)
    assert half[0, 1] == (3 + 1) / 6 and half[1, 0] == (1 + 1) / 6
    assert np.isnan(half[0, 2]) and np.isnan(half[0, 0])
    drop = win_rates(comp, ties="drop")
    assert drop[0, 1] == 0.75 and drop[0, 1] + drop[1, 0] == 1 and np.isnan(drop[1, 2])
    pred = predicted_win_rates(np.array([1400.0, 1000.0]))
    np.testing.assert_allclose(pred, [[0.5, 10 / 11], [1 / 11, 0.5]])
