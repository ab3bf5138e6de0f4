"""Helpers the store modules share: opaque ids and dialect-aware upserts."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

from arena.store.driver import Sql, Tx, as_tx, values


def new_public_id() -> str:
    """An opaque, unguessable id for URLs (clips, battles, images): 128 random bits."""
    return secrets.token_urlsafe(16)


def upsert_insert(session: Session, table: type[SQLModel]) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


def upsert(
    db: Session | Tx,
    table: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: tuple[str, ...],
    update: str,
    returning: str = "",
) -> list[Any]:
    """``INSERT ... VALUES (...), ... ON CONFLICT (conflict) DO UPDATE SET update [RETURNING]``.

    The same SQL runs on SQLite and PostgreSQL, written once per shape (table, columns, row
    count) and cached: SQLAlchemy cannot cache its dialect ``insert().on_conflict_do_update()``
    construct, and building it anew cost about 5 ms per call on the vote path. Values must be
    as stored (:meth:`Tx.time` for datetimes). ``update`` and ``returning`` are SQL with
    double-quoted column names (``excluded."count"``); rows must not repeat a conflict key.
    Returns the RETURNING rows (none without ``returning``).
    """
    columns = tuple(rows[0])
    sql = _upsert_sql(table.__tablename__, columns, len(rows), conflict, update, returning)
    tx = as_tx(db)
    if returning:
        return tx.rows(sql, values(rows))
    tx.run(sql, values(rows))
    return []


@functools.lru_cache(maxsize=64)
def _upsert_sql(
    name: str,
    columns: tuple[str, ...],
    rows: int,
    conflict: tuple[str, ...],
    update: str,
    returning: str,
) -> Sql:
    listed = ", ".join(f'"{c}"' for c in columns)
    keys = ", ".join(f'"{c}"' for c in conflict)
    rows_sql = ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")" for i in range(rows))
    sql = f"INSERT INTO {name} ({listed}) VALUES {rows_sql} ON CONFLICT ({keys}) DO UPDATE SET "
    return Sql(sql + update + (f" RETURNING {returning}" if returning else ""))
