"""Comparisons: validation, canonical aggregation, and the invariances of the ratings."""

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking.compute import rate
from arena.core.ranking.data import FLIPPED, Comparisons, fingerprint, inverse_propensity_weights


def sample(n: int = 3000, seed: int = 0) -> Comparisons:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 1, 7)
    a = rng.integers(0, 7, n)
    b = (a + rng.integers(1, 7, n)) % 7
    win = rng.random(n) < 1 / (1 + np.exp(theta[b] - theta[a]))
    outcome = np.where(rng.random(n) < 0.2, 2 + (rng.random(n) < 0.5), np.where(win, 0, 1))
    return Comparisons(tuple("gfedcba"), a, b, outcome, np.ones(n))


def same_ratings(x: Comparisons, y: Comparisons) -> None:
    rx, ry = rate(x, rounds=50), rate(y, rounds=50)
    assert rx.fingerprint == ry.fingerprint
    for field in ("rating", "lower", "upper", "rank", "votes", "wins", "ties"):
        np.testing.assert_array_equal(getattr(rx, field), getattr(ry, field), err_msg=field)


def test_from_rows_and_tallies() -> None:
    comp = Comparisons.from_rows(
        [("x", "y", "a", 2), ("y", "x", "tie", 1), ("z", "x", "both_bad", 3)]
    )
    assert comp.models == ("x", "y", "z") and comp.n_votes == 6
    np.testing.assert_array_equal(comp.per_model_votes(), [6, 3, 3])
    wins, losses, ties = comp.per_model_tallies()
    np.testing.assert_array_equal(wins, [2, 0, 0])
    np.testing.assert_array_equal(losses, [0, 2, 0])
    np.testing.assert_array_equal(ties, [4, 1, 3])


def test_aggregate_merges_rows_in_canonical_order() -> None:
    comp = Comparisons.from_rows(
        [("y", "x", "a", 2), ("x", "y", "b", 1), ("x", "y", "tie", 1), ("y", "x", "tie", 4)]
    )
    agg = comp.aggregate()
    assert (agg.a < agg.b).all()
    assert agg.outcome.tolist() == [1, 2] and agg.count.tolist() == [3, 5]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": [7]}, "Unknown outcome code: 7"),
        ({"b": [0]}, "compares model 'p' with itself"),
        ({"count": [-1.0]}, "got -1.0"),
        ({"weight": [0.0]}, "Weights must be finite and > 0, got 0.0"),
        ({"a": [5]}, "a index out of range 0..1: 5"),
        ({"covariates": [[np.nan]], "covariate_names": ("len",)}, "Covariates must be finite"),
    ],
)
def test_bad_values_are_named(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "models": ("p", "q"),
        "a": [0],
        "b": [1],
        "outcome": [0],
        "count": [1.0],
    }
    with pytest.raises(RankingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Comparisons(**{**base, **kwargs})  # type: ignore[arg-type]


def test_unknown_outcome_label_in_rows() -> None:
    with pytest.raises(RankingError, match="Row 1: unknown outcome 'draw'"):
        Comparisons.from_rows([("x", "y", "a", 1), ("x", "y", "draw", 1)])
    with pytest.raises(RankingError, match="Duplicate model names"):
        Comparisons(("x", "x"), [0], [1], [0], [1])


def test_swapping_sides_with_flipped_outcomes_changes_nothing() -> None:
    comp = sample()
    swapped = Comparisons(comp.models, comp.b, comp.a, FLIPPED[comp.outcome], comp.count)
    same_ratings(comp, swapped)


def test_reordering_votes_and_models_changes_nothing() -> None:
    comp = sample()
    perm = np.random.default_rng(1).permutation(comp.count.shape[0])
    shuffled = Comparisons(
        comp.models, comp.a[perm], comp.b[perm], comp.outcome[perm], comp.count[perm]
    )
    same_ratings(comp, shuffled)
    reordered = comp.with_models(sorted(comp.models))
    rx, ry = rate(comp, rounds=50), rate(reordered, rounds=50)
    back = [reordered.models.index(m) for m in comp.models]
    np.testing.assert_array_equal(rx.lower, ry.lower[back])
    assert rx.fingerprint == ry.fingerprint


def test_splitting_rows_with_the_same_total_changes_nothing() -> None:
    agg = sample().aggregate()
    parts = np.random.default_rng(2).integers(0, agg.count.astype(int) + 1)
    split = Comparisons(
        agg.models,
        np.concatenate([agg.a, agg.a]),
        np.concatenate([agg.b, agg.b]),
        np.concatenate([agg.outcome, agg.outcome]),
        np.concatenate([parts, agg.count - parts]).astype(float),
    )
    same_ratings(agg, split)


def test_fingerprint_tracks_the_data() -> None:
    comp = sample()
    more = Comparisons(comp.models, comp.a, comp.b, comp.outcome, comp.count * 2)
    assert fingerprint(comp) != fingerprint(more)
    assert len(fingerprint(comp)) == 64


def test_inverse_propensity_weights_follow_pair_frequency() -> None:
    comp = Comparisons.from_rows([("x", "y", "a", 200), ("x", "z", "a", 10), ("y", "x", "b", 100)])
    w = inverse_propensity_weights(comp, min_pair_count=50)
    assert w[0] == w[2] and w[1] / w[0] == pytest.approx(300 / 50)
    assert float((w * comp.count).sum()) == pytest.approx(comp.n_votes)
