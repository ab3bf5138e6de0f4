"""Rank intervals and tiers on the leaderboard: page, JSON and CSV, from a real recompute."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.registry.plugins import Registry
from arena.services.dataset.importer import import_votes_file
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import RatingSnapshot
from arena.web.app import create_app
from tests.test_leaderboard import DASH, html_rows

#: the true Elo the votes are drawn from, for the small arena's text-to-video models
TRUE = {"clean-1": 1150, "grainy-2": 1000, "mute-4": 985, "broken-3": 850}
PER_PAIR = 120


def votes_file(path: Path) -> Path:
    """PER_PAIR votes on every pair, won in the Bradley-Terry share of the true ratings."""
    names = list(TRUE)
    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            wins = round(PER_PAIR / (1 + 10 ** ((TRUE[b] - TRUE[a]) / 400)))
            for k in range(PER_PAIR):
                record = {
                    "model_a": a,
                    "model_b": b,
                    "outcome": "a" if k < wins else "b",
                    "prompt_id": "t2v-ball" if k % 2 else "t2v-sign",
                }
                lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    return path


def ranges(value: dict) -> str:
    lo, hi = value["rank_lower"], value["rank_upper"]
    return DASH if lo is None else str(lo) if lo == hi else f"{lo}{DASH}{hi}"


def test_page_json_and_csv_show_rank_intervals_and_tiers(
    engine: Engine, settings: Settings, registry: Registry, tmp_path: Path
) -> None:
    report = import_votes_file(engine, settings, votes_file(tmp_path / "votes.jsonl"))
    assert report.imported == 6 * PER_PAIR
    recompute_all(engine, settings, RecomputeOptions(rounds=300), categories=[""])
    with TestClient(create_app(settings, registry, seed=0)) as client:
        board = client.get("/api/v1/leaderboard?track=text-to-video").json()
        page = client.get("/leaderboard?track=text-to-video")
        table = client.get("/api/v1/leaderboard.csv?track=text-to-video")
    rows = board["rows"]
    assert [r["model"] for r in rows] == list(TRUE)
    # 135 Elo and more stand apart at 120 votes a pair; the two 15 Elo apart share a tier
    assert board["official"]["tiers"] == 3
    assert [(r["rank_lower"], r["rank_upper"], r["tier"]) for r in rows] == [
        (1, 1, 1),
        (2, 3, 2),
        (2, 3, 2),
        (4, 4, 3),
    ]
    assert [r["rank"] for r in rows] == [1, 2, 2, 4]
    # the page: a range and a tier beside each rank, and the method under the table
    assert page.status_code == 200
    shown = html_rows(page.text)
    assert [(h["ranks"], h["tier"]) for h in shown] == [(ranges(r), str(r["tier"])) for r in rows]
    assert "Rank range and tier" in page.text and "(3 tiers here)" in page.text
    # the CSV: the same values
    listed = list(csv.DictReader(io.StringIO(table.text)))
    for line, row in zip(listed, rows, strict=True):
        assert (line["rank_lower"], line["rank_upper"], line["tier"]) == (
            str(row["rank_lower"]),
            str(row["rank_upper"]),
            str(row["tier"]),
        )


def test_a_snapshot_from_before_rank_intervals_shows_none(
    engine: Engine, settings: Settings, registry: Registry, tmp_path: Path
) -> None:
    import_votes_file(engine, settings, votes_file(tmp_path / "votes.jsonl"))
    recompute_all(engine, settings, RecomputeOptions(rounds=50), categories=[""])
    with session_scope(engine, write=True) as session:
        for snapshot in session.exec(select(RatingSnapshot)).all():
            meta = json.loads(snapshot.params)
            del meta["ranks"], meta["tiers"]
            snapshot.params = json.dumps(meta)
            session.add(snapshot)
        session.commit()
    with TestClient(create_app(settings, registry, seed=0)) as client:
        board = client.get("/api/v1/leaderboard?track=text-to-video").json()
        page = client.get("/leaderboard?track=text-to-video")
    assert board["official"]["tiers"] is None
    assert all(r["rank"] and r["rank_lower"] is None and r["tier"] is None for r in board["rows"])
    # No range in the whole view: the page leaves both columns out and says why.
    assert all("ranks" not in h and "tier" not in h for h in html_rows(page.text))
    assert 'id="hidden-columns"' in page.text and "no rank ranges in this view yet" in page.text
