"""rate(): the leaderboard the app stores and shows, and its text, JSON and CSV forms."""

import csv
import io
import json

import numpy as np
import pytest

from arena.core.errors import RankingError
from arena.core.ranking.compute import rate
from arena.core.ranking.data import Comparisons
from arena.core.ranking.report import format_csv, format_json, format_table

ROWS = [
    ("veo", "sora", "a", 60), ("sora", "veo", "a", 40), ("veo", "kling", "a", 70),
    ("kling", "veo", "a", 30), ("sora", "kling", "tie", 20), ("kling", "sora", "both_bad", 10),
    ("newbie", "kling", "a", 15), ("kling", "newbie", "a", 1),
]  # fmt: skip


def test_rate_fills_every_field() -> None:
    comp = Comparisons.from_rows(ROWS, models=["veo", "sora", "kling", "newbie"])
    result = rate(comp, rounds=200, seed=3, min_votes=50)
    assert result.models == ("veo", "sora", "kling", "newbie")
    assert result.n_votes == 246 and result.seed == 3 and result.method == "bradley_terry"
    np.testing.assert_array_equal(result.votes, [200, 130, 146, 16])
    np.testing.assert_array_equal(result.provisional, [False, False, False, True])
    assert result.wins[0] == 130 and result.losses[0] == 70 and result.ties[1] == 30
    assert result.win_rate[0] == pytest.approx(130 / 200)
    assert np.all(result.lower <= result.rating) and np.all(result.rating <= result.upper)
    assert result.rank[0] == 1 and result.rating.mean() == pytest.approx(1000.0)
    assert result.comparable.all() and result.not_comparable == (None,) * 4
    # 15 wins out of 16 put "newbie" on top, but as a provisional model it ranks no one down
    assert result.rating[3] == result.rating.max() and result.rank[0] == 1
    everyone = rate(comp, rounds=200, seed=3, min_votes=0)
    assert everyone.rank[0] > 1
    assert result.params["ci"] == "bootstrap" and result.params["rounds"] == 200
    records = result.to_records()
    assert records[0]["model"] == "newbie" and [r["rank"] for r in records] == sorted(
        r["rank"] for r in records
    )
    json.dumps(result.to_dict(), allow_nan=False)


def test_outputs_render() -> None:
    result = rate(Comparisons.from_rows(ROWS), ci="sandwich", min_votes=50)
    table = format_table(result)
    assert table.splitlines()[1].split()[:2] == ["1", "newbie"]
    assert table.splitlines()[1].endswith("*") and table.splitlines()[2].split()[:2] == ["1", "veo"]
    assert "* provisional: fewer than 50 votes" in table
    assert table.splitlines()[-1] == "Bradley-Terry, prior 1: 1 virtual tie per model"
    parsed = json.loads(format_json(result))
    assert parsed["models"][1]["model"] == "veo" and parsed["params"]["ci"] == "sandwich"
    rows = list(csv.DictReader(io.StringIO(format_csv(result))))
    assert [r["model"] for r in rows] == [r["model"] for r in parsed["models"]]
    assert float(rows[0]["rating"]) == parsed["models"][0]["rating"]


def test_no_votes_and_bad_options() -> None:
    empty = Comparisons(("x", "y"), [], [], [], [])
    result = rate(empty)
    assert np.isnan(result.rating).all() and result.not_comparable == ("no_votes", "no_votes")
    assert result.provisional.all() and result.to_records()[0]["win_rate"] is None
    assert result.to_records()[0]["rating"] is None and result.to_records()[0]["rank"] is None
    comp = Comparisons.from_rows(ROWS)
    with pytest.raises(RankingError, match="Unknown ci method: 'jackknife'"):
        rate(comp, ci="jackknife")
    with pytest.raises(RankingError, match="seed must be an integer >= 0, got -1"):
        rate(comp, seed=-1)


@pytest.mark.parametrize(
    "comp",
    [
        Comparisons((), [], [], [], []),
        Comparisons(("solo",), [], [], [], []),
        Comparisons.from_rows([("x", "y", "tie", 1)]),
        Comparisons.from_rows([("x", "y", "a", 1)]),
    ],
    ids=["no models", "one model", "only a tie", "one win"],
)
@pytest.mark.parametrize("ties", ["half", "drop", "davidson"])
@pytest.mark.parametrize("ci", ["bootstrap", "sandwich", "none"])
def test_tiny_inputs_give_finite_leaderboards(comp: Comparisons, ties: str, ci: str) -> None:
    result = rate(comp, ties=ties, ci=ci, rounds=20)
    for values in (result.rating, result.lower, result.upper):
        assert np.isfinite(values[result.comparable]).all()
        assert np.isnan(values[~result.comparable]).all()
    assert len(result.to_records()) == comp.n_models
    # a tie links two models both ways (unless ties are dropped); one win does not
    linked = comp.n_votes > 0 and comp.outcome[0] >= 2 and ties != "drop"
    assert result.comparable.tolist() == [linked] * comp.n_models
    json.dumps(result.to_dict(), allow_nan=False)
