"""The vote path in process, without HTTP: SQL statements, write transactions and wall time
per "battle + vote" cycle on SQLite (the tests' small arena, each vote by a new voter from a
new address, default limits and anomaly test on, watch-time rule off).

    python benchmarks/integrity/statements.py

It runs whichever ``arena`` is importable (this layout: ``arena.core``, ``arena.store``...).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event

from arena import store
from arena.registry.config import load_config
from arena.registry.plugins import build_registry
from arena.registry.procedural import ProceduralProvider
from arena.services.battles import new_battle
from arena.services.demo import prepare_demo_config
from arena.services.ingest import sync
from arena.settings import Settings, integrity_policy
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.reads.pools import load_catalog

SMALL = Path(__file__).resolve().parents[2] / "tests" / "data" / "small.toml"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="arena-statements-"))
    config = prepare_demo_config(work / "data", template=SMALL)
    sources = Path(tempfile.gettempdir()) / "arena-bench-sources"
    extra: dict[str, object] = {}
    settings = Settings(
        data_dir=work / "data", sources_dir=sources, min_watch_ms=0, min_watch_fraction=0.0
    )
    policy, label = integrity_policy(settings), "with the integrity checks"
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    registry = build_registry(load_config(config), {"procedural": ProceduralProvider()})
    sync(engine, registry, settings)
    catalog, rng = load_catalog(engine), np.random.default_rng(0)
    counts = {"statements": 0, "transactions": 0}

    def _statement(sql: str) -> None:
        # The driver's own trace: it sees the statements the vote path runs on the sqlite3
        # connection directly (arena.store.driver) as well as SQLAlchemy's. COMMIT is not counted.
        if not sql.startswith(("COMMIT", "PRAGMA")):
            counts["statements"] += 1

    @event.listens_for(engine, "checkout")
    def _trace(dbapi_connection: Any, *_: object) -> None:
        dbapi_connection.set_trace_callback(_statement)

    @event.listens_for(engine, "begin")
    def _transaction(*_: object) -> None:
        counts["transactions"] += 1

    def cycles(n: int, first: int) -> None:
        for i in range(first, first + n):
            voter = f"v{i}"
            if policy is not None:
                extra.update(policy=policy, ip_hash=f"address-{i}")
            with session_scope(engine, write=True) as session:
                battle, _ = new_battle(
                    session,
                    catalog=catalog,
                    rng=rng,
                    settings=settings,
                    track="text-to-video",
                    voter_id=voter,
                    **extra,  # type: ignore[arg-type]
                )
            with session_scope(engine, write=True) as session:
                store.record_vote(
                    session,
                    battle_id=battle.id,
                    voter_id=voter,
                    outcome="a",
                    watch_ms=5000,
                    k=4.0,
                    initial=1000.0,
                    **extra,  # type: ignore[arg-type]
                )

    cycles(30, 0)
    counts.update(statements=0, transactions=0)
    cycles(100, 1000)
    per = {k: v / 100 for k, v in counts.items()}
    best = float("inf")
    for r in range(3):
        started = time.perf_counter()
        cycles(150, 10_000 * (r + 1))
        best = min(best, (time.perf_counter() - started) / 150 * 1000)
    print(
        f"{label}: {per['statements']:.1f} statements and {per['transactions']:.1f} write "
        f"transactions per battle + vote; best of 3: {best:.2f} ms per cycle"
    )
    engine.dispose()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
