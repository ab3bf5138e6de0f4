"""Matchmaking in the app: strategy per track, recorded probabilities, retired models, reloads."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.matchmaking import MatchConfig, plan_for
from arena.registry.plugins import Registry
from arena.services.battles import new_battle
from arena.services.demo import seed_votes
from arena.services.pools import CatalogCache
from arena.settings import Settings, SettingsError, match_config
from arena.store.engine import session_scope
from arena.store.reads.pools import load_catalog
from arena.store.tables import Battle, Model
from arena.web.app import create_app


def battles(engine: Engine) -> list[Battle]:
    with session_scope(engine) as session:
        return list(session.exec(select(Battle).order_by(Battle.issued_at)).all())


def test_each_battle_records_its_strategy_and_the_exact_pair_probability(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    seed_votes(engine, settings, registry.config, votes=60, seed=1)
    tuned = settings.with_(
        match_strategy="active", match_strategy_by_track=(("image-to-video", "weighted"),)
    )
    with TestClient(create_app(tuned, registry, seed=0)) as client:
        for track in ("text-to-video", "image-to-video"):
            client.post(f"/api/v1/battles?track={track}")
    catalog = load_catalog(engine)
    for battle in battles(engine)[-2:]:
        strategy = tuned.strategy_for(battle.track)
        assert battle.strategy == strategy
        pool = catalog.pool(battle.track)
        assert pool is not None
        pair = (
            min(battle.left_model_id, battle.right_model_id),
            max(battle.left_model_id, battle.right_model_id),
        )
        k = [(a, b) for a, b, _ in pool.pairs].index(pair)
        plan = plan_for(pool, strategy, match_config(tuned))
        assert battle.pair_probability == plan.probability[k]
    assert {b.strategy for b in battles(engine)[-2:]} == {"active", "weighted"}


@pytest.mark.parametrize("strategy", ["uniform", "weighted", "active"])
def test_a_retired_model_is_never_chosen(
    strategy: str, settings: Settings, engine: Engine, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=40, seed=2)
    with session_scope(engine, write=True) as session:
        store.set_retired(session, slug="clean-1", retired=True)
        retired = session.exec(select(Model.id).where(Model.slug == "clean-1")).one()
    catalog = load_catalog(engine)
    tuned = settings.with_(match_strategy=strategy)
    rng = np.random.default_rng(0)
    for _ in range(60):
        with session_scope(engine, write=True) as session:
            battle, _ = new_battle(
                session,
                catalog=catalog,
                rng=rng,
                settings=tuned,
                track="text-to-video",
                voter_id="v",
            )
        assert retired not in (battle.left_model_id, battle.right_model_id)


def test_the_catalogue_reloads_in_the_background_and_serves_the_old_one_meanwhile(
    engine: Engine,
) -> None:
    cache = CatalogCache(engine, ttl=0.05)
    first = cache.get()
    pool = first.pool("text-to-video")
    assert pool is not None and len(pool.models) == 4
    served = plan_for(pool, "active", MatchConfig(sharpness=2.0))
    with session_scope(engine, write=True) as session:
        store.set_retired(session, slug="mute-4", retired=True)
    time.sleep(0.1)
    assert cache.get() is first  # stale: served at once while a thread reloads
    deadline = time.monotonic() + 30
    while cache.get() is first and time.monotonic() < deadline:
        time.sleep(0.02)
    fresh = cache.get()
    assert fresh is not first
    pool = fresh.pool("text-to-video")
    assert pool is not None and len(pool.models) == 3
    assert fresh.rotation is first.rotation  # prompt and side counts carry over
    # the plan the old catalogue served was built for the new one before it served
    warmed = pool.cache[("plan", "active", MatchConfig(sharpness=2.0))]
    assert warmed is not served and warmed.probability.shape == (3,)


def test_strategy_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "ARENA_MATCH_STRATEGY": "weighted, image-to-video=uniform,text-to-video-audio=active",
            "ARENA_MATCH_WEIGHTS": "aurora-2=2, static-0=0.25",
            "ARENA_MATCH_EXPOSURE_MIN": "0.3",
            "ARENA_MATCH_EXPOSURE_MAX": "3",
        }
    )
    assert settings.strategy_for("text-to-video") == "weighted"
    assert settings.strategy_for("image-to-video") == "uniform"
    assert settings.strategy_for("text-to-video-audio") == "active"
    config = match_config(settings)
    assert config.weight_of("aurora-2") == 2.0 and config.weight_of("other") == 1.0
    assert (config.exposure_min, config.exposure_max) == (0.3, 3.0)
    assert Settings.from_env({}).strategy_for("text-to-video") == "active"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARENA_MATCH_STRATEGY": "greedy"}, "ARENA_MATCH_STRATEGY: unknown strategy 'greedy'"),
        ({"ARENA_MATCH_STRATEGY": "active,uniform"}, "two default strategies"),
        ({"ARENA_MATCH_STRATEGY": "video=uniform"}, "unknown track 'video'"),
        ({"ARENA_MATCH_WEIGHTS": "aurora-2"}, "ARENA_MATCH_WEIGHTS items must be MODEL=NUMBER"),
        ({"ARENA_MATCH_WEIGHTS": "aurora-2=0"}, "weight of 'aurora-2' must be a positive"),
        ({"ARENA_MATCH_EXPOSURE_MIN": "1.5"}, "ARENA_MATCH_EXPOSURE_MIN must be between 0 and 1"),
        ({"ARENA_MATCH_EXPOSURE_MAX": "0.5"}, "ARENA_MATCH_EXPOSURE_MAX must be 1 or more"),
        ({"ARENA_MATCH_EXPLORE": "0"}, "ARENA_MATCH_EXPLORE must be in (0, 1]"),
        ({"ARENA_MATCH_BOOST": "x"}, "ARENA_MATCH_BOOST must be a finite number, got 'x'"),
        ({"ARENA_CATALOG_TTL": "-1"}, "ARENA_CATALOG_TTL must be 0 or more"),
    ],
)
def test_a_bad_strategy_setting_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)
