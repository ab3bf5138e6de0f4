"""Models the votes do not compare both ways are never ranked with the others."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking.bradley_terry import fit_bradley_terry
from arena.core.ranking.compute import rate
from arena.core.ranking.data import Comparisons
from arena.core.ranking.graph import (
    NOT_COMPARABLE,
    comparison_graph,
    ranked_group,
    strong_components,
)
from arena.core.ranking.report import format_csv, format_json, format_table


def by_model(result_records: list[dict]) -> dict[str, dict]:
    return {r["model"]: r for r in result_records}


@pytest.mark.parametrize("ci", ["bootstrap", "sandwich"])
@pytest.mark.parametrize("prior", [1.0, 5.0])
def test_two_one_way_pairs_are_not_ranked_at_all(ci: str, prior: float) -> None:
    # The case: x>y (10 votes) and w>z (7 votes) used to give x and w rank 1 and y and
    # z rank 3, with intervals that made it look settled. Neither pair has been compared both
    # ways, so no group has a defined fit: nothing is ranked, every model says why.
    comp = Comparisons.from_rows([("x", "y", "a", 10), ("w", "z", "a", 7)])
    result = rate(comp, ci=ci, rounds=100, prior=prior)
    assert result.not_comparable == ("no_group",) * 4
    assert not result.comparable.any() and (result.rank == 0).all()
    assert np.isnan(result.rating).all() and np.isnan(result.lower).all()
    records = by_model(result.to_records())
    assert {r["rank"] for r in records.values()} == {None}
    assert records["x"]["wins"] == 10 and records["z"]["losses"] == 7
    parsed = json.loads(format_json(result))
    assert [m["not_comparable"] for m in parsed["models"]] == ["no_group"] * 4
    rows = list(csv.DictReader(io.StringIO(format_csv(result))))
    assert {r["not_comparable"] for r in rows} == {"no_group"} and {r["rank"] for r in rows} == {""}
    assert {r["prior"] for r in rows} == {str(prior)}
    table = format_table(result)
    assert "- not comparable yet (no rank, rating or interval):" in table
    assert f"  x: {NOT_COMPARABLE['no_group']}" in table
    assert [line.split()[0] for line in table.splitlines()[1:5]] == ["-"] * 4


def test_disconnected_groups_rank_the_largest_only() -> None:
    # both pairs compared both ways: equal size, so the pair with more votes is ranked
    comp = Comparisons.from_rows(
        [("x", "y", "a", 6), ("y", "x", "a", 4), ("w", "z", "a", 4), ("z", "w", "a", 3)]
    )
    result = rate(comp, rounds=100, min_votes=0)
    records = by_model(result.to_records())
    assert records["x"]["rank"] == records["y"]["rank"] == 1
    assert records["w"]["not_comparable"] == records["z"]["not_comparable"] == "separate"
    assert records["w"]["rating"] is None and records["w"]["lower"] is None
    # the ranked pair is fitted and centred on its own votes, as if the others did not exist
    alone = rate(Comparisons.from_rows([("x", "y", "a", 6), ("y", "x", "a", 4)]), rounds=100)
    assert records["x"]["rating"] == alone.to_records()[0]["rating"]
    assert records["x"]["lower"] == alone.to_records()[0]["lower"]
    # more models beat more votes
    pair = [("x", "y", "a", 60), ("y", "x", "a", 40)]
    bigger = Comparisons.from_rows(
        [*pair, ("p", "q", "a", 1), ("q", "r", "a", 1), ("r", "p", "a", 1)]
    )
    ranked = rate(bigger, ci="none")
    assert ranked.comparable.tolist() == [True, True, True, False, False]  # p q r x y
    assert ranked.not_comparable[3:] == ("separate", "separate")


def test_one_way_results_leave_their_models_out_with_the_reason() -> None:
    group = [("a", "b", "a", 30), ("b", "a", "a", 20), ("b", "c", "a", 25), ("c", "a", "a", 15)]
    comp = Comparisons.from_rows(
        [
            *group,
            ("top", "a", "a", 5),  # "top" only won against the group
            ("top", "c", "a", 2),
            ("b", "floor", "a", 4),  # "floor" only lost
            ("top", "side", "a", 3),  # "side" is linked only through a model that only won
            ("far", "away", "a", 2),  # a separate pair
            ("away", "far", "a", 2),
        ]
    )
    result = rate(comp, rounds=100, min_votes=0)
    reasons = dict(zip(result.models, result.not_comparable, strict=True))
    assert reasons == {
        "a": None, "b": None, "c": None, "top": "only_won", "floor": "only_lost",
        "side": "one_way", "far": "separate", "away": "separate",
    }  # fmt: skip
    ranked = [r["model"] for r in result.to_records() if r["rank"] is not None]
    assert sorted(ranked) == ["a", "b", "c"]
    assert np.mean(result.rating[result.comparable]) == pytest.approx(1000.0)
    with pytest.raises(RankingError, match="Anchor model 'top' is not comparable yet: it has only"):
        rate(comp, ci="none", anchor="top")
    # a prior makes the whole fit finite, but the ranks across groups would mean nothing
    whole = fit_bradley_terry(comp, prior=1.0)
    assert np.isfinite(whole.rating).all() and len(whole.components) == 2


def test_dropped_ties_link_nothing() -> None:
    comp = Comparisons.from_rows([("x", "y", "tie", 5), ("x", "y", "a", 3)])
    assert rate(comp, ci="none").comparable.all()  # a tie scores both ways
    dropped = rate(comp, ci="none", ties="drop")
    assert dropped.not_comparable == ("no_group", "no_group")


def test_ranked_group_ties_break_by_votes_then_name() -> None:
    beats = np.zeros((4, 4), dtype=bool)
    beats[0, 1] = beats[1, 0] = beats[2, 3] = beats[3, 2] = True
    games = np.zeros((4, 4))
    games[0, 1] = games[1, 0] = 5.0
    games[2, 3] = games[3, 2] = 5.0
    assert ranked_group(beats, games).ranked.tolist() == [True, True, False, False]
    games[2, 3] = games[3, 2] = 6.0
    assert ranked_group(beats, games).reason == ("separate", "separate", "", "")
    none = ranked_group(np.zeros((2, 2), dtype=bool), np.zeros((2, 2)))
    assert none.reason == ("no_votes", "no_votes")
    b, g = comparison_graph(Comparisons.from_rows([("x", "y", "b", 2)]), "half")
    assert b.tolist() == [[False, False], [True, False]] and g[0, 1] == g[1, 0] == 2.0


def test_prior_zero_names_the_models_without_a_fit() -> None:
    comp = Comparisons.from_rows(
        [("a", "b", "a", 3), ("b", "a", "a", 2), ("top", "a", "a", 4), ("x", "y", "a", 1)]
    )
    with pytest.raises(RankingError) as info:
        rate(comp, prior=0, ci="none")
    message = str(info.value)
    assert "exact maximum-likelihood fit, which does not exist" in message
    for part in ("'top': it has only won", "'x': no chain of votes", "'y': no chain of votes"):
        assert part in message
    assert "'a'" not in message and "'b'" not in message


def brute_force_components(beats: np.ndarray) -> list[np.ndarray]:
    """Strong components from the transitive closure (Warshall): slow and obviously right."""
    m = beats.shape[0]
    reach = beats | np.eye(m, dtype=bool)
    for k in range(m):
        reach |= reach[:, k : k + 1] & reach[k : k + 1, :]
    same, groups, done = reach & reach.T, [], np.zeros(m, dtype=bool)
    for i in range(m):
        if not done[i]:
            done[same[i]] = True
            groups.append(np.flatnonzero(same[i]))
    return sorted(groups, key=lambda g: (-g.size, int(g[0])))


def test_strong_components_match_a_brute_force_reference() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        m = int(rng.integers(0, 14))
        beats = rng.random((m, m)) < rng.random() * 0.35
        np.fill_diagonal(beats, False)
        got, want = strong_components(beats), brute_force_components(beats)
        assert [g.tolist() for g in got] == [g.tolist() for g in want]
    chain = np.eye(2000, k=1, dtype=bool)  # 2000 one-way results in a row: still quick
    assert len(strong_components(chain)) == 2000
