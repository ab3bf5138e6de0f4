"""The vote path's SQL: fixed statements run on the session's own connection, with little
in between.

The vote path's statements are fixed SQL with ``:name`` parameters (:class:`Sql`). On SQLite
they go straight to the ``sqlite3`` connection under the session's transaction; on
PostgreSQL through ``Connection.exec_driver_sql`` with psycopg's ``%(name)s`` style. That
skips SQLAlchemy's per-statement work (coercion, cache keys, compiled-statement lookup, ORM
loading), which cost several times the statement itself on SQLite: measured in process
(``benchmarks/integrity/statements.py``), about 77 us for a cached ``text()`` query against
11 us for the driver's own call. Driver errors surface as SQLAlchemy's exception classes
(``IntegrityError``, ``OperationalError``...), as from any other statement, so the web edge
maps them the same way. Values are what the ORM stores: datetimes on SQLite are UTC text
(``YYYY-MM-DD HH:MM:SS.ffffff``, :meth:`Tx.time`), timezone-aware on PostgreSQL.

Rare branches that need the ORM (flagging a voter) use :attr:`Tx.session`, the same session
and transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import Session

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
