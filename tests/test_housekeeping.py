"""Expired battles nobody voted on: purged in batches, on a schedule and by command; counted
in the admin's health view. Voted battles are never touched."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.cli import main
from arena.core.clock import utcnow
from arena.registry.plugins import Registry
from arena.services.battles import purge_expired_battles, purge_interval
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, Vote
from arena.web.app import create_app

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def issue(engine: Engine, *, issued: datetime, ttl: int = 60, voted: bool = False) -> str:
    """A battle issued at ``issued`` for ``ttl`` seconds; ``voted``: with its vote, cast in time."""
    with session_scope(engine, write=True) as session:
        a, b = session.exec(select(Clip).where(Clip.prompt_id == "t2v-ball")).all()[:2]
        battle = store.create_battle(
            session,
            track="text-to-video",
            prompt_id="t2v-ball",
            left=a,
            right=b,
            voter_id="v1",
            ttl_seconds=ttl,
            strategy="test",
            probability=0.5,
            now=issued,
        )
    if voted:
        with session_scope(engine, write=True) as session:
            store.record_vote(
                session,
                battle_id=battle.id,
                voter_id="v1",
                outcome="a",
                watch_ms=None,
                k=4.0,
                initial=1000.0,
                now=issued + timedelta(seconds=5),
            )
    return battle.id


def battle_ids(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.exec(select(Battle.id)))


def test_purge_deletes_only_expired_unvoted_battles_in_batches(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "arena.services.battles.PURGE_SCAN", 1
    )  # one batch of ids per read: reads again
    hour_ago = utcnow() - timedelta(hours=1)
    stale = {issue(engine, issued=hour_ago) for _ in range(5)}
    voted = {issue(engine, issued=hour_ago, voted=True) for _ in range(2)}
    fresh = issue(engine, issued=utcnow())
    # Expired 30 s ago: within the grace a lagging worker's vote check still needs it.
    just_expired = issue(engine, issued=utcnow() - timedelta(seconds=90))
    assert purge_expired_battles(engine, batch=2) == 5  # reads and batches of 2, 2, 1
    assert battle_ids(engine) == voted | {fresh, just_expired}
    assert not stale & battle_ids(engine)
    with session_scope(engine) as session:
        assert {v.battle_id for v in session.exec(select(Vote))} == voted
    assert purge_expired_battles(engine) == 0
    later = utcnow() + timedelta(minutes=5)  # the fresh battle and the one in grace expire
    assert purge_expired_battles(engine, now=later) == 2
    assert battle_ids(engine) == voted


def test_purge_interval_follows_the_battle_lifetime() -> None:
    settings = Settings()
    assert purge_interval(settings) == 1800.0  # the default ARENA_BATTLE_TTL
    assert purge_interval(settings.with_(battle_ttl_seconds=90)) == 90.0
    assert purge_interval(settings.with_(battle_ttl_seconds=86_400)) == 3600.0


def test_admin_health_counts_expired_unvoted_battles(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    hour_ago = utcnow() - timedelta(hours=1)
    for _ in range(3):
        issue(engine, issued=hour_ago)
    issue(engine, issued=hour_ago, voted=True)
    with TestClient(create_app(settings.with_(admin_token=TOKEN), registry)) as client:
        client.post("/api/v1/battles?track=text-to-video")  # live: not expired
        battles = client.get("/api/v1/admin/health", headers=AUTH).json()["battles"]
    assert battles["expired_unvoted"] == 3
    assert battles["purged"] == 0 and battles["purge_runs"] == 0
    assert battles["purge_interval_seconds"] == 1800.0


def test_the_server_purges_on_a_schedule_and_the_admin_view_counts_it(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    hour_ago = utcnow() - timedelta(hours=1)
    stale = {issue(engine, issued=hour_ago) for _ in range(3)}
    kept = issue(engine, issued=hour_ago, voted=True)
    # ARENA_BATTLE_TTL=1: the server purges every second.
    app = create_app(settings.with_(admin_token=TOKEN, battle_ttl_seconds=1), registry)
    with TestClient(app) as client:
        deadline = time.monotonic() + 15
        while True:
            battles = client.get("/api/v1/admin/health", headers=AUTH).json()["battles"]
            if battles["purged"] == 3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert battles["purged"] == 3 and battles["expired_unvoted"] == 0
    assert battles["purge_runs"] >= 1 and battles["last_purge_at"]
    assert battles["last_purge_error"] is None and battles["purge_interval_seconds"] == 1.0
    assert kept in battle_ids(engine) and not stale & battle_ids(engine)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_arena_battles_purge_command(
    settings: Settings,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    hour_ago = utcnow() - timedelta(hours=1)
    issue(engine, issued=hour_ago)
    kept = issue(engine, issued=hour_ago, voted=True)
    assert main(["battles", "purge", "--data-dir", str(Path(settings.data_dir))]) == 0
    assert "purged 1 expired battles without a vote" in capsys.readouterr().out
    assert battle_ids(engine) == {kept}


def test_an_unvoted_battle_is_kept_while_its_clip_urls_still_play(engine: Engine) -> None:
    from arena.services.battles import PURGE_GRACE, purge_grace

    settings = Settings()
    assert purge_grace(settings) == timedelta(seconds=settings.clip_grace_seconds)
    assert purge_grace(settings.with_(clip_grace_seconds=0)) == PURGE_GRACE
    expired_5_min_ago = issue(engine, issued=utcnow() - timedelta(seconds=60 + 300), ttl=60)
    assert purge_expired_battles(engine, grace=purge_grace(settings)) == 0
    assert expired_5_min_ago in battle_ids(engine)
    assert purge_expired_battles(engine) == 1  # past the one-minute floor
