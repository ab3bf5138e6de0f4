"""What the adapters hold of the database: opening it, sessions for their reads, the writer.

The web and the command line never import :mod:`arena.store` (an import contract checks it):
they open the database and hand sessions and writes to services through this module.
"""

from __future__ import annotations

from arena.store import Engine, Session
from arena.store.engine import (
    background_checkpoints,
    describe_url,
    holds_arena,
    make_engine,
    prepare_schema,
    session_scope,
)
from arena.store.errors import UNAVAILABLE, DatabaseError, OutOfRange
from arena.store.writer import Write, Writes, WriteTimeout, direct, writes_for

__all__ = [
    "UNAVAILABLE",
    "DatabaseError",
    "Engine",
    "OutOfRange",
    "Session",
    "Write",
    "WriteTimeout",
    "Writes",
    "background_checkpoints",
    "describe_url",
    "direct",
    "holds_arena",
    "make_engine",
    "prepare_schema",
    "session_scope",
    "writes_for",
]
