"""PostgreSQL for the tests: a fresh database per test, cloned from a template in ~50 ms.

``ARENA_TEST_POSTGRES_URL`` names a server where the test user may create databases (``.ci/run``
starts a throwaway cluster and exports it). The template holds nothing but the current schema,
so each test still syncs its own catalogue (and media files) like the SQLite tests do.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from arena.store.engine import make_engine, prepare_schema

PG_URL = os.environ.get("ARENA_TEST_POSTGRES_URL", "")
TEMPLATE = f"arena_template_{os.getpid()}"


def _admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


def _db_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _execute(*statements: str) -> None:
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def create_template() -> None:
    """(Re)create this test session's template database at the current schema."""
    _execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)', f'CREATE DATABASE "{TEMPLATE}"')
    engine = make_engine(_db_url(TEMPLATE))
    prepare_schema(engine)
    engine.dispose()


def drop_template() -> None:
    _execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@contextmanager
def fresh_database(*, empty: bool = False) -> Iterator[str]:
    """A new database (from the schema template, or ``empty``) and its URL; dropped after."""
    name = f"arena_t_{secrets.token_hex(6)}"
    _execute(f'CREATE DATABASE "{name}"' + ("" if empty else f' TEMPLATE "{TEMPLATE}"'))
    try:
        yield _db_url(name)
    finally:
        _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
