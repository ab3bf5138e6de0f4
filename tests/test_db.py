"""SQLite engines: the writer thread's engine and the WAL checkpoints done in the background."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from arena.store.engine import background_checkpoints, make_engine, make_writer_engine


def test_writer_engine_leaves_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    """The writer's writes never run a checkpoint themselves (its fsyncs would stall every
    write queued behind it); the background thread copies their pages into the database file."""
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    writer = make_writer_engine(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x BLOB)"))
        base = path.stat().st_size
        with writer.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            for _ in range(2000):  # about 2 MB: past the automatic threshold of 1000 pages
                connection.execute(text("INSERT INTO t VALUES (randomblob(1000))"))
        assert path.stat().st_size == base  # all of it still in the WAL
        with background_checkpoints(engine, every=0.05):
            deadline = time.monotonic() + 10
            while path.stat().st_size == base and time.monotonic() < deadline:
                time.sleep(0.05)
        assert path.stat().st_size > 2_000_000
    finally:
        writer.dispose()
        engine.dispose()
