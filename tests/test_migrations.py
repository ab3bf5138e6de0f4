"""Schema migrations: a database made by release 0.1.0 upgrades without losing a vote."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import SQLModel

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import alembic_config, make_engine, prepare_schema
from arena.web.app import create_app
from tests.conftest import DATA


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("vote", "battle", "onlinerating", "pairstat", "clip", "model")
        }
    engine.dispose()
    return out


def test_release_0_1_0_database_upgrades_and_keeps_every_vote(
    tmp_path: Path, registry: Registry, settings: Settings
) -> None:
    db = tmp_path / "old.db"
    shutil.copyfile(DATA / "arena-0.1.0.db", db)
    url = f"sqlite:///{db}"
    before = counts(url)
    assert before["vote"] == 60
    engine = make_engine(url)
    prepare_schema(engine)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(model)"))}
        mismatched = conn.execute(
            text(
                "SELECT COUNT(*) FROM vote JOIN battle ON battle.id = vote.battle_id "
                "WHERE vote.prompt_id IS NULL OR vote.prompt_id != battle.prompt_id"
            )
        ).scalar_one()
    engine.dispose()
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
    assert version == head
    assert {"retired_at", "claimed_at"} <= columns
    assert mismatched == 0  # every old vote got its battle's prompt
    assert counts(url) == before
    # The upgraded database serves: its old votes stay, a new vote lands beside them.
    upgraded = settings.with_(database_url=url)
    with TestClient(create_app(upgraded, registry)) as client:
        board = client.get("/api/v1/leaderboard?track=text-to-video").json()
        assert sum(row["live_votes"] for row in board["rows"]) > 0
    assert counts(url)["vote"] == 60


def test_migrations_build_the_same_schema_as_the_models(tmp_path: Path) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []
