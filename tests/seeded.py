"""A small arena with votes and snapshots, built once per session and copied for each test.

Casting a few hundred votes through the real battle and vote path takes seconds, so the
seeded arena (the small test arena synced, 300 simulated votes, one recompute, then 12 more
votes) is made once; each test gets its own copy of the SQLite file and media folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Integer, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from arena import store
from arena.registry.plugins import Registry
from arena.services.demo import seed_votes
from arena.services.ingest import sync
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema, session_scope

VOTES, LATER = 300, 12
OPTIONS = RecomputeOptions(rounds=100)


def template(shared_dir: Path, registry: Registry, settings: Settings) -> Path:
    """The seeded arena's data directory (made on first use in the session's shared dir)."""
    data = shared_dir / "seeded"
    done = data / "ready"
    if done.exists():
        return data
    shutil.rmtree(data, ignore_errors=True)
    seeded = settings.with_(data_dir=data, database_url="", media_dir=Path())
    engine = make_engine(seeded.database_url)
    prepare_schema(engine)
    report = sync(engine, registry, seeded)
    assert not report.rejected, report.rejected
    seed_votes(engine, seeded, registry.config, votes=VOTES, seed=7)
    recompute_all(engine, seeded, OPTIONS)
    seed_votes(engine, seeded, registry.config, votes=LATER, seed=8)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    done.touch()
    return data


def copy_of(shared_dir: Path, registry: Registry, settings: Settings) -> Engine:
    """A fresh copy of the seeded arena at ``settings``' database and media folder.

    On SQLite the file is copied; on PostgreSQL every row is copied into the test's database.
    """
    source = template(shared_dir, registry, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "media", settings.media_dir, dirs_exist_ok=True)
    if settings.is_sqlite:
        shutil.copyfile(source / "arena.db", settings.data_dir / "arena.db")
        engine = make_engine(settings.database_url)
        prepare_schema(engine)
        return engine
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    copy_rows(make_engine(f"sqlite:///{source / 'arena.db'}"), engine)
    return engine


def copy_rows(source: Engine, dest: Engine) -> None:
    """Copy every table's rows from ``source`` into the empty tables of ``dest`` (PostgreSQL),
    parents first, then move each id sequence past the copied ids."""
    with source.connect() as src, dest.begin() as dst:
        for table in SQLModel.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(table.select())]
            if rows:
                dst.execute(table.insert(), rows)
            key = table.c.get("id")
            if key is not None and key.primary_key and isinstance(key.type, Integer):
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    source.dispose()


def claim_grain_pro(engine: Engine, note: str = "") -> None:
    """Reveal that the test arena's "Grainy Two" (grainy-2) is Real Lab's "Grain Pro"."""
    with session_scope(engine, write=True) as session:
        store.claim_model(
            session,
            slug="grainy-2",
            new_slug="grain-pro",
            name="Grain Pro",
            organization="Real Lab",
            note=note,
        )
