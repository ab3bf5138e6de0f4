"""Models retire without losing votes, and codenamed models are claimed with their votes."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.errors import Conflict, NotFound
from arena.registry.base import ModelSpec
from arena.registry.plugins import Registry
from arena.services.ingest import sync
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.pools import load_catalog
from arena.store.tables import Model, ModelClaim
from tests.invariants import assert_stats_equal_group_by


def vote_until_rated(client: TestClient, track: str, slug: str) -> dict[str, dict]:
    """Vote on battles of ``track`` until ``slug`` has live votes; return the live board."""
    for _ in range(60):
        battle = client.post(f"/api/v1/battles?track={track}").json()
        client.post(battle["vote_url"], json={"outcome": "b"})
        board = client.get(f"/api/v1/leaderboard?track={track}").json()
        rows = {r["model"]: r for r in board["rows"]}
        if slug in rows:
            return rows
    raise AssertionError(f"{slug} never got a battle")


def model_id(engine: Engine, slug: str) -> int:
    with session_scope(engine) as session:
        model = session.exec(select(Model).where(Model.slug == slug)).one()
    assert model.id is not None
    return model.id


def test_retired_model_gets_no_new_battles_but_keeps_its_line(
    client: TestClient, engine: Engine
) -> None:
    vote_until_rated(client, "text-to-video", "broken-3")
    broken = model_id(engine, "broken-3")
    with session_scope(engine, write=True) as session:
        store.set_retired(session, slug="broken-3", retired=True)
    pool = load_catalog(engine).pool("text-to-video")
    assert pool is not None and broken not in pool.models
    for _ in range(20):
        client.post("/api/v1/battles?track=text-to-video")
    from arena.store.tables import Battle

    with session_scope(engine) as session:
        battles = session.exec(select(Battle).order_by(Battle.issued_at)).all()[-20:]
    assert all(broken not in (b.left_model_id, b.right_model_id) for b in battles)
    board = client.get("/api/v1/leaderboard?track=text-to-video").json()
    rows = {r["model"]: r for r in board["rows"]}
    assert rows["broken-3"]["retired"] is True and rows["broken-3"]["live_votes"] > 0


def test_claim_renames_keeps_votes_and_survives_a_stale_config(
    client: TestClient, engine: Engine
) -> None:
    before = vote_until_rated(client, "image-to-video", "mute-4")
    with session_scope(engine, write=True) as session:
        claim = store.claim_model(
            session,
            slug="mute-4",
            new_slug="acme-video-2",
            name="Acme Video 2",
            organization="Acme",
            note="announced at launch",
        )
    assert_stats_equal_group_by(engine)
    assert (claim.from_slug, claim.to_slug, claim.from_name) == (
        "mute-4",
        "acme-video-2",
        "Mute Four",
    )
    after = {
        r["model"]: r for r in client.get("/api/v1/leaderboard?track=image-to-video").json()["rows"]
    }
    assert "mute-4" not in after
    assert after["acme-video-2"]["live_votes"] == before["mute-4"]["live_votes"]
    assert after["acme-video-2"]["live_rating"] == before["mute-4"]["live_rating"]
    assert after["acme-video-2"]["name"] == "Acme Video 2"
    # The config still says mute-4: syncing finds the claimed model and keeps its real name.
    spec = ModelSpec(
        id="mute-4", name="Mute Four", provider="procedural", tracks=("image-to-video",)
    )
    with session_scope(engine, write=True) as session:
        found = store.upsert_model(session, spec=spec)
        assert (found.slug, found.name, found.organization) == (
            "acme-video-2",
            "Acme Video 2",
            "Acme",
        )
        assert len(session.exec(select(ModelClaim)).all()) == 1
        assert len(session.exec(select(Model)).all()) == 4
    assert_stats_equal_group_by(engine)


def test_lifecycle_errors_name_the_model(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        with pytest.raises(NotFound, match="no model 'ghost'"):
            store.set_retired(session, slug="ghost", retired=True)
        with pytest.raises(Conflict, match="'clean-1' is already taken"):
            store.claim_model(
                session, slug="mute-4", new_slug="clean-1", name="X", organization="Y"
            )


def test_a_model_synced_while_the_server_runs_enters_battles(
    client: TestClient, engine: Engine, registry: Registry, settings: Settings
) -> None:
    """No restart: the running app's catalogue (TTL 0 here) picks the new clips up."""
    newcomer = ModelSpec(
        id="newcomer-6",
        name="Newcomer Six",
        organization="Late Labs",
        provider="procedural",
        tracks=("text-to-video",),
        options={"width": 160, "height": 96, "fps": 12, "seconds": 1.0, "workers": 1},
    )
    seen: set[str] = set()
    for _ in range(10):
        battle = client.post("/api/v1/battles?track=text-to-video").json()
        reveal = client.post(battle["vote_url"], json={"outcome": "tie"}).json()
        seen |= {reveal["left"]["model"], reveal["right"]["model"]}
    assert "newcomer-6" not in seen
    config = dataclasses.replace(registry.config, models=(*registry.config.models, newcomer))
    report = sync(engine, Registry(config, registry.providers), settings)
    assert report.added == 2
    for _ in range(80):
        battle = client.post("/api/v1/battles?track=text-to-video").json()
        reveal = client.post(battle["vote_url"], json={"outcome": "tie"}).json()
        if "newcomer-6" in (reveal["left"]["model"], reveal["right"]["model"]):
            break
    else:
        raise AssertionError("the new model never got a battle")
    board = client.get("/api/v1/leaderboard?track=text-to-video").json()
    assert "newcomer-6" in {row["model"] for row in board["rows"]}
