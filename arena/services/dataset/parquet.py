"""A release's tables as parquet files, written in batches (pyarrow: the ``release`` extra).

pyarrow is optional: it is imported only here, when a parquet file is written, and its absence
is one clear error naming the extra to install.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from arena.core.errors import Invalid, Unavailable
from arena.core.ranking.battlefile import RELEASE_EXTRA
from arena.services.dataset.records import Column

BATCH = 5000


def pyarrow() -> tuple[ModuleType, ModuleType]:
    """``pyarrow`` and ``pyarrow.parquet``, or :class:`Unavailable` saying how to get them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise Unavailable(
            f"parquet files need pyarrow, which is not installed: {RELEASE_EXTRA}"
        ) from None
    return pa, pq


def schema(columns: Iterable[Column]) -> Any:
    """The Arrow schema of a table described by (name, type, meaning) columns."""
    pa, _ = pyarrow()
    types = {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string(),
        "date32": pa.date32(),
        "list<string>": pa.list_(pa.string()),
        "timestamp[us, UTC]": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([(name, types[kind]) for name, kind, _ in columns])


class TableWriter:
    """Write records (dicts with every column) to one parquet file, ``BATCH`` rows at a time.

    Use as a context manager; the file is complete (footer written) when the block ends.
    """

    def __init__(self, path: Path, columns: Iterable[Column], *, batch: int = BATCH) -> None:
        self.pa, pq = pyarrow()
        self.schema = schema(columns)
        self.path = path
        self.batch = batch
        self.rows: list[Mapping[str, Any]] = []
        self.written = 0
        try:
            self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        except OSError as exc:
            raise Invalid(f"{path}: cannot write it ({exc.strerror or exc})") from None

    def add(self, record: Mapping[str, Any]) -> None:
        self.rows.append(record)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            table = self.pa.Table.from_pylist(self.rows, schema=self.schema)
            self.writer.write_table(table)
            self.written += len(self.rows)
            self.rows = []

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.flush()
        self.writer.close()


def write_table(path: Path, columns: Iterable[Column], records: Iterable[Mapping[str, Any]]) -> int:
    """Write ``records`` to ``path``; returns how many rows."""
    with TableWriter(path, columns) as writer:
        for record in records:
            writer.add(record)
    return writer.written
