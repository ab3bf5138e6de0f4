"""The leaderboard (page, JSON, CSV) never ranks models the votes do not compare both ways."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from arena.core.ranking.graph import NOT_COMPARABLE
from arena.services.dataset.importer import import_votes_file
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings

WINNER = {"a": "model_a", "b": "model_b"}


def import_votes(engine: Engine, settings: Settings, path: Path, rows: list[tuple]) -> None:
    with path.open("w") as fh:
        for a, b, outcome, count in rows:
            line = json.dumps({"model_a": a, "model_b": b, "winner": WINNER[outcome]})
            fh.write((line + "\n") * count)
    report = import_votes_file(engine, settings, path)
    assert not report.rejected, report.rejected


def views(client: TestClient) -> tuple[dict, list[dict], str]:
    board = client.get("/api/v1/leaderboard?track=text-to-video").json()
    table = client.get("/api/v1/leaderboard.csv?track=text-to-video").text
    page = client.get("/leaderboard?track=text-to-video").text
    return board, list(csv.DictReader(io.StringIO(table))), page


def page_row(page: str, model: str) -> str:
    found = re.search(rf'<tr data-model="{model}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, model
    return found.group(0)


def test_two_one_way_pairs_get_no_rank_on_any_view(
    client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # the case: x>y 10 times, w>z 7 times; it used to give ranks 1, 3, 1, 3
    import_votes(engine, settings, tmp_path / "v.jsonl", [("x", "y", "a", 10), ("w", "z", "a", 7)])
    recompute_all(engine, settings, RecomputeOptions(rounds=50), categories=[""])
    board, rows, page = views(client)
    official = board["official"]
    assert official["vote_count"] == 17 and not official["stale"] and official["prior"] == 1.0
    shown = {r["model"]: r for r in board["rows"] if r["model"] in "xywz"}
    assert set(shown) == {"x", "y", "w", "z"}
    for row in shown.values():
        assert row["rank"] is None and row["rating"] is None and row["lower"] is None
        assert row["not_comparable"] == "no_group"
    assert shown["x"]["wins"] == 10 and shown["x"]["votes"] == 10 and shown["z"]["losses"] == 7
    listed = {r["model"]: r for r in rows if r["model"] in "xywz"}
    assert {r["not_comparable"] for r in listed.values()} == {"no_group"}
    assert {r["rank"] for r in listed.values()} == {""} and {r["prior"] for r in rows} == {"1.0"}
    for model in "xywz":
        html = page_row(page, model)
        assert "not comparable yet" in html and NOT_COMPARABLE["no_group"] in html
        assert 'data-col="rank">\u2013<' in html and "not yet rated" not in html
    assert 'id="not-comparable-note">4 models are not comparable yet' in page
    assert "prior 1: 1 virtual tie per model" in page


def test_the_largest_group_is_ranked_and_the_others_say_why(
    client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [("p", "q", "a", 3), ("q", "r", "a", 3), ("r", "p", "a", 3), ("q", "p", "a", 1)]
    rows += [("top", "p", "a", 4), ("x", "y", "a", 6), ("y", "x", "a", 6)]
    import_votes(engine, settings, tmp_path / "v.jsonl", rows)
    recompute_all(engine, settings, RecomputeOptions(ci="sandwich"), categories=[""])
    board, listed, page = views(client)
    shown = {r["model"]: r for r in board["rows"]}
    assert [r["model"] for r in board["rows"][:3]] == sorted(
        "pqr", key=lambda m: -shown[m]["rating"]
    )
    assert all(shown[m]["rank"] is not None for m in "pqr")
    assert {m: shown[m]["not_comparable"] for m in ("top", "x", "y")} == {
        "top": "only_won",
        "x": "separate",
        "y": "separate",
    }
    assert shown["top"]["rating"] is None and shown["top"]["wins"] == 4
    assert {r["model"]: r["not_comparable"] for r in listed}["top"] == "only_won"
    assert NOT_COMPARABLE["only_won"] in page_row(page, "top")
    assert NOT_COMPARABLE["separate"] in page_row(page, "x")
    assert not board["official"]["stale"]
