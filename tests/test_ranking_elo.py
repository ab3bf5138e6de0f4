"""Online Elo: the per-vote update and the ordered replay."""

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking.data import Comparisons
from arena.core.ranking.elo import elo_update, online_elo


def test_update_matches_the_formula_and_conserves_points() -> None:
    # 1200 vs 1000: expected score 1 / (1 + 10^(-0.5)) = 0.759746926...
    new_a, new_b = elo_update(1200.0, 1000.0, 0.0, k=32.0)
    assert new_a == pytest.approx(1200.0 - 32 * 0.7597469266479578)
    assert new_a + new_b == pytest.approx(2200.0)
    assert elo_update(1000.0, 1000.0, 0.5) == (1000.0, 1000.0)
    with pytest.raises(RankingError, match="score_a must be between 0 and 1, got 2"):
        elo_update(1000.0, 1000.0, 2)


def test_replay_is_sequential_and_order_dependent() -> None:
    comp = Comparisons.from_rows([("x", "y", "a", 2), ("y", "z", "tie", 1), ("z", "x", "a", 1)])
    expected = {"x": 1000.0, "y": 1000.0, "z": 1000.0}
    for a, b, s in [("x", "y", 1.0), ("x", "y", 1.0), ("y", "z", 0.5), ("z", "x", 1.0)]:
        expected[a], expected[b] = elo_update(expected[a], expected[b], s)
    np.testing.assert_allclose(online_elo(comp), [expected["x"], expected["y"], expected["z"]])
    reversed_ = Comparisons(
        comp.models, comp.a[::-1], comp.b[::-1], comp.outcome[::-1], comp.count[::-1]
    )
    assert not np.allclose(online_elo(reversed_), online_elo(comp))
    one_per_row = np.repeat(np.arange(3), comp.count.astype(int))
    arrays = (comp.a[one_per_row], comp.b[one_per_row], comp.outcome[one_per_row], comp.models)
    np.testing.assert_array_equal(online_elo(arrays, k=4.0), online_elo(comp))
