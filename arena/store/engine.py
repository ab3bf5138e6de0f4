"""Engines for SQLite and PostgreSQL, schema creation, and sessions.

SQLite gets WAL, enforced foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for sessions
opened with ``write=True``: a vote reads two ratings and writes them back, and only an
immediate transaction makes that read-modify-write safe under concurrent writers (a deferred
one would fail with SQLITE_BUSY_SNAPSHOT when it upgrades to a write lock).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from arena.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

_IMMEDIATE = "arena_sqlite_immediate"
BASELINE = "0001"
"""The revision whose schema release 0.1.0 created without migrations."""


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=pool_size
        )
        _configure_sqlite(engine)
        return engine
    # pre_ping: a connection the server dropped (restart, failover) is replaced before use;
    # connect_timeout: an unreachable server fails a request in seconds (503), not minutes.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"connect_timeout": 5},
    )


def holds_arena(url: str) -> bool:
    """Whether the database at ``url`` holds an arena's tables; creates nothing.

    A SQLite file that does not exist is no arena (and is not created by asking).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return False
        if not Path(parsed.database).is_file():
            return False
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return inspect(connection).has_table("vote")
    finally:
        engine.dispose()


def describe_url(url: str) -> str:
    """Where ``url`` points, for messages: a SQLite file's path, else the URL without password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_writer_engine(engine: Engine) -> Engine:
    """An engine of one connection for a writer thread (SQLite; :mod:`arena.store.writer`).

    No automatic WAL checkpoints on it: an automatic checkpoint runs in the commit that crosses
    the WAL's size threshold and, with ``synchronous=NORMAL``, fsyncs the WAL and the database
    file there, which stalls every write queued behind it (it was the largest source of tail
    latency on the vote path: p99 at one connection fell from 11-16 ms to 5-8 ms without it).
    :func:`background_checkpoints` does them instead.
    """
    writer = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)

    @event.listens_for(writer, "connect")
    def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    return writer


@contextmanager
def background_checkpoints(engine: Engine, every: float = 1.0) -> Iterator[None]:
    """While the context lasts, checkpoint ``engine``'s SQLite WAL every ``every`` seconds
    from a thread of its own.

    PASSIVE checkpoints never wait for readers or writers, and writers go on appending to the
    WAL meanwhile. Connections of other engines keep SQLite's automatic checkpoints, so the
    WAL stays bounded even if this thread falls behind.
    """
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy or vanished database: try again next time
                log.warning("WAL checkpoint failed", exc_info=True)

    thread = threading.Thread(target=run, name="arena-checkpoints", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def alembic_config(connection: Connection) -> Config:
    """An Alembic config that runs Arena's migrations on ``connection`` (no alembic.ini)."""
    from alembic.config import Config  # imported when used: most commands never migrate

    config = Config()
    config.set_main_option("script_location", "arena.store:migrations")
    config.attributes["connection"] = connection
    return config


def prepare_schema(engine: Engine) -> None:
    """Bring the schema to the current version.

    A new, empty database gets every table at once and is stamped with the latest revision;
    an existing one is upgraded through the migrations, which keep every vote. On PostgreSQL
    an advisory lock makes workers starting together take turns.
    """
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
        config = alembic_config(connection)
        existing = inspect(connection)
        if not existing.has_table("alembic_version"):
            if not existing.has_table("vote"):
                SQLModel.metadata.create_all(connection)
                command.stamp(config, "head")
                return
            command.stamp(config, BASELINE)  # made by release 0.1.0, before migrations
        command.upgrade(config, "head")


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def writer_queue(engine: Engine) -> threading.Lock | None:
    """This process's queue of writers to ``engine``'s SQLite database (None on PostgreSQL).

    One lock per database URL, so every engine on the same file shares it.
    """
    if engine.dialect.name != "sqlite":
        return None
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(str(engine.url), threading.Lock())


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session; ``write=True`` takes SQLite's write lock at BEGIN (no-op on PostgreSQL).

    On SQLite, writers in one process also queue on a lock of their own first
    (:func:`writer_queue`): SQLite's busy handler makes a waiting writer sleep and poll (up to
    100 ms a nap), which under a few concurrent votes turned a 5 ms transaction into a p99 of
    over a second. One writer at a time is what SQLite allows anyway; the queue just makes the
    wait exact. The web's own writes come through one thread (:mod:`arena.store.writer`).
    """
    bind = engine.execution_options(**{_IMMEDIATE: True}) if write else engine
    queue = writer_queue(engine) if write else None
    with queue or nullcontext(), Session(bind, expire_on_commit=False) as session:
        yield session
