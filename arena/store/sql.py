"""Helpers the store modules share: opaque ids and dialect-aware upserts."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel


def new_public_id() -> str:
    """An opaque, unguessable id for URLs (clips, battles, images): 128 random bits."""
    return secrets.token_urlsafe(16)


def upsert_insert(session: Session, table: type[SQLModel]) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on both SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


def upsert(
    session: Session,
    table: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: tuple[str, ...],
    update: str,
    returning: str = "",
) -> Any:
    """``INSERT ... VALUES (...), ... ON CONFLICT (conflict) DO UPDATE SET update [RETURNING]``.

    The same SQL runs on SQLite and PostgreSQL. It is written once per shape (table, columns,
    row count) and cached, with each bind typed like its column: SQLAlchemy cannot cache its
    dialect ``insert().on_conflict_do_update()`` construct, and building it anew cost about
    5 ms per call on the vote path. ``update`` and ``returning`` are SQL with double-quoted
    column names (``excluded."count"``); rows must not repeat a conflict key.
    """
    columns = tuple(rows[0])
    stmt = _upsert_sql(table, columns, len(rows), conflict, update, returning)
    params = {f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in columns}
    return session.execute(stmt, params)


@functools.lru_cache(maxsize=64)
def _upsert_sql(
    table: type[SQLModel],
    columns: tuple[str, ...],
    rows: int,
    conflict: tuple[str, ...],
    update: str,
    returning: str,
) -> TextClause:
    name = table.__tablename__
    values = ", ".join("(" + ", ".join(f":{c}_{i}" for c in columns) + ")" for i in range(rows))
    sql = (
        f"INSERT INTO {name} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
        f"VALUES {values} ON CONFLICT ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in conflict)}) "
        f"DO UPDATE SET {update}"
    ) + (f" RETURNING {returning}" if returning else "")
    types = table.__table__.c  # type: ignore[attr-defined]
    return text(sql).bindparams(
        *(bindparam(f"{c}_{i}", type_=types[c].type) for i in range(rows) for c in columns)
    )
