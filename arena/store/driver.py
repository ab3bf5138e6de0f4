"""Hand-written driver-level SQL, kept because measured: the vote path's fixed statements.

Why it exists: the vote path's statements run straight on the driver's connection, skipping
SQLAlchemy's per-statement work (coercion, cache keys, compiled-statement lookup, ORM loading),
which cost several times the statement itself on SQLite: measured in process
(``benchmarks/integrity/statements.py``), about 77 us for a cached ``text()`` query against
11 us for the driver's own call. It is the only module of its kind; everything else in the
store goes through SQLAlchemy (ORM or Core). :func:`upsert` writes one multi-row
``INSERT ... ON CONFLICT`` per shape, cached, for the same reason.

The vote path's statements are fixed SQL with ``:name`` parameters (:class:`Sql`). On SQLite they go
straight to the ``sqlite3`` connection under the session's transaction; on PostgreSQL through
``Connection.exec_driver_sql`` with psycopg's ``%(name)s`` style. Driver errors surface as
SQLAlchemy's exception classes (``IntegrityError``, ``OperationalError``...), as from any other
statement, so the web edge maps them the same way. Values are what the ORM stores: datetimes on
SQLite are UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``, :meth:`Tx.time`), timezone-aware on PostgreSQL.

Rare branches that need the ORM (flagging a voter) use :attr:`Tx.session`, the same session
and transaction.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import Session, SQLModel

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """A statement with ``:name`` parameters, kept with its psycopg spelling."""

    __slots__ = ("postgresql", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.postgresql = _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))

    def __repr__(self) -> str:
        return f"Sql({self.text!r})"


Params = Mapping[str, Any]


class Tx:
    """The transaction of ``session`` (begun if need be); :meth:`commit` commits the session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        # The driver's connection itself (not the pool's proxy): one lookup less per statement.
        self._raw = self.connection.connection.dbapi_connection if self.sqlite else None

    def rows(self, sql: Sql, params: Params) -> list[Any]:
        """Run ``sql``; all its rows (tuples)."""
        if self._raw is None:
            return list(self.connection.exec_driver_sql(sql.postgresql, dict(params)).all())
        try:
            return self._raw.execute(sql.text, params).fetchall()
        except self._errors as error:
            raise self._wrap(sql, params, error) from error

    def row(self, sql: Sql, params: Params) -> Any | None:
        """Run ``sql``; its first row, or None."""
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def run(self, sql: Sql, params: Params) -> None:
        """Run ``sql`` for its effect."""
        if self._raw is None:
            self.connection.exec_driver_sql(sql.postgresql, dict(params))
            return
        try:
            self._raw.execute(sql.text, params)
        except self._errors as error:
            raise self._wrap(sql, params, error) from error

    def time(self, value: datetime) -> Any:
        """``value`` (timezone-aware) as this database stores it."""
        if value.utcoffset() is None:
            raise ValueError(f"a naive datetime for the database: {value!r}; use utcnow()")
        value = value.astimezone(UTC)
        if not self.sqlite:
            return value
        # SQLAlchemy's SQLite format (microseconds always written); isoformat is ~5x strftime.
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def read_time(value: Any) -> datetime:
        """A stored datetime, timezone-aware in UTC."""
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def _errors(self) -> type[Exception]:
        return self.connection.dialect.loaded_dbapi.Error

    def _wrap(self, sql: Sql, params: Params, error: Exception) -> StatementError:
        return DBAPIError.instance(
            sql.text, dict(params), error, self._errors, dialect=self.connection.dialect
        )


def as_tx(db: Session | Tx) -> Tx:
    """``db`` itself, or a :class:`Tx` in the session's transaction."""
    return db if isinstance(db, Tx) else Tx(db)


def values(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Parameters for a multi-row VALUES list written as ``:col_0, :col_1, ...``."""
    return {f"{c}_{i}": v for i, row in enumerate(rows) for c, v in row.items()}


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
