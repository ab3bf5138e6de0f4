"""Placement of a model new to an established board: its opponents, its share, its mark.

The pure part runs on pools built like the catalogue's; the battle path and the leaderboard
run on the real store (SQLite and PostgreSQL) over real HTTP, with votes stored by the import
path (the same statistics and online Elo a voted battle keeps).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.matchmaking import MatchConfig, plan_for
from arena.core.matchmaking.placement import (
    live_intervals,
    placement_plan,
    placing,
    placing_models,
)
from arena.core.matchmaking.state import StatRow
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.imports import ImportedVote
from arena.store.tables import Battle, Model
from arena.web.app import create_app
from tests.test_matchmaking import make_pool

TRACK = "text-to-video"
PROMPT = "t2v-ball"


def board_stats(newcomer: list[StatRow]) -> list[StatRow]:
    """Models 1-5 established 100 Elo apart (about 64% wins between neighbours, 1 on top),
    plus the newcomer's rows (model 6)."""
    rows: list[StatRow] = []
    for i in range(1, 6):
        for j in range(i + 1, 6):
            p = 1 / (1 + 10 ** (-(j - i) * 100 / 400))
            rows += [(i, j, "a", round(400 * p)), (i, j, "b", round(400 * (1 - p)))]
    return rows + newcomer


# The newcomer (6) has beaten 4 and 5 and mostly lost to 1: its estimate sits near 1 and 2.
NEWCOMER = [(4, 6, "b", 5), (5, 6, "b", 5), (1, 6, "a", 4), (1, 6, "b", 1)]


def test_placement_sends_a_newcomer_to_opponents_near_its_estimate() -> None:
    pool = make_pool(models=6, stats=board_stats(NEWCOMER))
    config = MatchConfig(placement_share=0.3)
    assert placing(pool.state, config.placement_width).tolist() == [False] * 5 + [True]
    # the leaderboard's mark applies the same rule to the same counts
    assert placing_models(range(1, 7), board_stats(NEWCOMER), config.placement_width) == {6}
    r = placement_plan(pool, config)
    assert r is not None and r.sum() == pytest.approx(1.0)
    pairs = [(a, b) for a, b, _ in pool.pairs]
    against = {a: r[pairs.index((a, 6))] for a in range(1, 6)}
    assert sum(against.values()) == pytest.approx(1.0)  # all placement traffic is the newcomer's
    theta = pool.state.theta
    nearest = min(range(1, 6), key=lambda a: abs(theta[a - 1] - theta[5]))
    assert nearest in (1, 2)
    assert max(against, key=lambda a: against[a]) == nearest
    assert against[nearest] > 5 * against[5]  # the weakest opponent is far from its estimate


@pytest.mark.parametrize("strategy", ["uniform", "weighted", "active"])
def test_placement_takes_at_most_its_share_of_any_strategy(strategy: str) -> None:
    pool = make_pool(models=6, stats=board_stats(NEWCOMER))
    share = 0.3
    base = plan_for(pool, strategy, MatchConfig(placement_share=0.0)).probability
    mixed = plan_for(pool, strategy, MatchConfig(placement_share=share)).probability
    assert mixed.sum() == pytest.approx(1.0)
    assert np.all(mixed >= (1 - share) * base - 1e-12)  # the strategy keeps 1 - share
    moved = mixed - (1 - share) * base
    assert moved.sum() == pytest.approx(share)
    newcomer = np.array([6 in (a, b) for a, b, _ in pool.pairs])
    assert moved[~newcomer] == pytest.approx(0.0)  # and the share goes only to the newcomer


def test_no_placement_on_a_new_board_or_a_settled_one() -> None:
    fresh = make_pool(models=6)
    assert placing(fresh.state, 60.0).all()  # every model is new: nothing to place against
    assert placement_plan(fresh, MatchConfig()) is None
    settled = make_pool(models=5, stats=board_stats([]))
    assert not placing(settled.state, 60.0).any()
    assert placement_plan(settled, MatchConfig()) is None


def test_live_intervals_are_finite_and_wide_without_votes() -> None:
    none = live_intervals([1, 2, 3], [])
    for rating, lower, upper in none.values():
        assert rating == pytest.approx(1000.0)
        assert upper - lower > 500
    some = live_intervals([1, 2, 3], [(1, 2, "a", 3)])
    assert some[1][0] > some[3][0] > some[2][0]
    assert some[3][2] - some[3][1] > some[1][2] - some[1][1]  # no votes: the widest


# --- the real store, over HTTP --------------------------------------------------------------


def ids(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {m.slug: m.id for m in session.exec(select(Model)) if m.id is not None}


def add_votes(engine: Engine, settings: Settings, votes: list[tuple[str, str, str, int]]) -> None:
    """Store ``n`` votes ``(a, b, outcome, n)`` on the track through the import path."""
    model = ids(engine)
    now = datetime.now(UTC)
    rows = [
        ImportedVote(
            battle_id=f"{a}-{b}-{o}-{k}-{n}",
            track=TRACK,
            prompt_id=PROMPT,
            model_a_id=model[a],
            model_b_id=model[b],
            outcome=o,
            voter_id=f"voter-{k}",
            created_at=now,
            watch_ms=None,
        )
        for a, b, o, n in votes
        for k in range(n)
    ]
    with session_scope(engine, write=True) as session:
        store.import_votes(session, votes=rows, k=settings.elo_k, initial=settings.elo_initial)


# clean-1, grainy-2 and broken-3 are established; mute-4 arrives with a few votes that put it
# near grainy-2 (it beats broken-3, loses to clean-1).
ESTABLISHED = [
    ("clean-1", "grainy-2", "a", 64),
    ("clean-1", "grainy-2", "b", 36),
    ("grainy-2", "broken-3", "a", 70),
    ("grainy-2", "broken-3", "b", 30),
    ("clean-1", "broken-3", "a", 85),
    ("clean-1", "broken-3", "b", 15),
]
ARRIVAL = [("mute-4", "broken-3", "a", 4), ("mute-4", "clean-1", "b", 4)]
TUNED = {"placement_share": 0.4, "placement_width": 300.0, "match_strategy": "uniform"}


def test_battles_over_http_give_the_newcomer_its_placement_share(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    add_votes(engine, settings, ESTABLISHED + ARRIVAL)
    tuned = settings.with_(**TUNED, catalog_ttl_seconds=3600.0)  # one catalogue: these votes
    with TestClient(create_app(tuned, registry, seed=0)) as client:
        for _ in range(40):
            assert client.post(f"/api/v1/battles?track={TRACK}").status_code == 201
    model = ids(engine)
    new = model["mute-4"]
    with session_scope(engine) as session:
        issued = list(session.exec(select(Battle).where(Battle.strategy == "uniform")))
    assert len(issued) == 40
    probability = {}
    for b in issued:
        pair = frozenset((b.left_model_id, b.right_model_id))
        probability[pair] = b.pair_probability
    against = {
        slug: probability.get(frozenset((new, model[slug])))
        for slug in ("clean-1", "grainy-2", "broken-3")
    }
    share = TUNED["placement_share"]
    # uniform over 6 pairs, plus the placement share spread over the newcomer's 3 pairs
    others = [p for pair, p in probability.items() if new not in pair]
    assert others and all(p == pytest.approx((1 - share) / 6) for p in others)
    seen = {k: v for k, v in against.items() if v is not None}
    assert seen and all(p > (1 - share) / 6 for p in seen.values())
    if against["grainy-2"] is not None and against["broken-3"] is not None:
        assert against["grainy-2"] > against["broken-3"]
    newcomer_battles = sum(new in (b.left_model_id, b.right_model_id) for b in issued)
    # expected share (1 - 0.4) / 2 + 0.4 = 0.7 of 40 battles; without placement 0.5
    assert newcomer_battles >= 22


def test_the_placing_mark_appears_and_clears(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    add_votes(engine, settings, ESTABLISHED + ARRIVAL)
    tuned = settings.with_(**TUNED)
    with TestClient(create_app(tuned, registry, seed=0)) as client:
        board = client.get(f"/api/v1/leaderboard?track={TRACK}").json()
        marks = {r["model"]: r["placing"] for r in board["rows"]}
        assert marks == {"clean-1": False, "grainy-2": False, "broken-3": False, "mute-4": True}
        assert board["placement_width"] == 300.0
        table = list(csv.DictReader(io.StringIO(client.get(board["links"]["csv"]).text)))
        assert {r["model"]: r["placing"] for r in table}["mute-4"] == "true"
        page = client.get(f"/leaderboard?track={TRACK}").text
        row = page.split('data-model="mute-4"')[1].split("</tr>")[0]
        assert 'class="mark placing"' in row
        assert 'class="mark placing"' not in page.split('data-model="clean-1"')[1].split("</tr>")[0]
        add_votes(
            engine,
            settings,
            [
                ("mute-4", "grainy-2", "a", 40),
                ("mute-4", "grainy-2", "b", 40),
                ("mute-4", "clean-1", "a", 30),
                ("mute-4", "broken-3", "b", 20),
            ],
        )
        board = client.get(f"/api/v1/leaderboard?track={TRACK}").json()
        assert not any(r["placing"] for r in board["rows"])
        page = client.get(f"/leaderboard?track={TRACK}").text
        assert (
            'data-model="mute-4"' in page
            and 'class="mark placing"' not in page.split("<tbody>")[1].split("</tbody>")[0]
        )


def test_a_board_with_no_or_few_votes_shows_provisional_ratings(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    with TestClient(create_app(settings, registry, seed=0)) as client:
        board = client.get(f"/api/v1/leaderboard?track={TRACK}").json()
        assert board["official"] is None
        rows = {r["model"]: r for r in board["rows"]}
        assert set(rows) == {"clean-1", "grainy-2", "broken-3", "mute-4"}
        for r in rows.values():
            assert r["rating_source"] == "live" and r["provisional"] and r["rank"] is None
            assert r["rating"] == pytest.approx(1000.0, abs=0.1)
            assert r["upper"] - r["lower"] > 500  # no votes: a very wide interval
        page = client.get(f"/leaderboard?track={TRACK}").text
        assert 'id="board"' in page and "No votes on this track yet" not in page
        add_votes(
            engine, settings, [("clean-1", "grainy-2", "a", 2), ("mute-4", "broken-3", "a", 1)]
        )
        rows = {
            r["model"]: r for r in client.get(f"/api/v1/leaderboard?track={TRACK}").json()["rows"]
        }
        assert rows["clean-1"]["rating"] > 1000 > rows["grainy-2"]["rating"]
        assert all(r["upper"] - r["lower"] > 300 for r in rows.values())  # still wide
        table = client.get(f"/api/v1/leaderboard.csv?track={TRACK}").text
        first = next(csv.DictReader(io.StringIO(table)))
        assert first["rating"] and first["rating_source"] == "live"
