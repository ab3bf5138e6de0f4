"""Migration 0005: imported battles without clips; it upgrades and downgrades in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from arena.store.engine import alembic_config, make_engine, prepare_schema
from tests.conftest import DATA


def notnull(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        cols = {r[1]: r[3] for r in conn.execute(text("PRAGMA table_info(battle)"))}
        check = conn.execute(text("PRAGMA foreign_key_check")).all()
        integrity = conn.execute(text("PRAGMA integrity_check")).scalar_one()
    engine.dispose()
    assert check == [] and integrity == "ok"
    return {c: cols[c] for c in ("left_clip_id", "right_clip_id", "left_model_id")}


def test_upgrade_and_downgrade_keep_every_battle(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copyfile(DATA / "arena-0.1.0.db", db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    prepare_schema(engine)
    assert notnull(url) == {"left_clip_id": 0, "right_clip_id": 0, "left_model_id": 1}
    with engine.begin() as conn:
        battles = conn.execute(text("SELECT COUNT(*) FROM battle")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO battle SELECT 'imp-x', track, prompt_id, NULL, NULL, left_model_id, "
                "right_model_id, voter_id, issued_at, expires_at, 'imported', 0 FROM battle LIMIT 1"
            )
        )
    with engine.begin() as conn, pytest.raises(RuntimeError, match="1 imported battles"):
        command.downgrade(alembic_config(conn), "0004")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM battle WHERE id = 'imp-x'"))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    assert notnull(url) == {"left_clip_id": 1, "right_clip_id": 1, "left_model_id": 1}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM battle")).scalar_one() == battles
        command.upgrade(alembic_config(conn), "head")
    assert notnull(url)["left_clip_id"] == 0
    engine.dispose()
