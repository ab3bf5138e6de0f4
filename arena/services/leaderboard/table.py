"""The leaderboard as CSV: the same rows, in the same order, as the page and the JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from arena.services.leaderboard.schema import BoardRow, Leaderboard

COLUMNS: tuple[str, ...] = (*(f for f in BoardRow.model_fields if f != "url"), "prior")
"""Every row field but the page link, in schema order, then the snapshot's prior."""


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_csv(board: Leaderboard) -> str:
    """A header row, then one row per model; empty cells for missing values. The last column
    repeats the official snapshot's prior on every row (empty before the first recompute)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    prior = board.official.prior if board.official else None
    for row in board.rows:
        data = {**row.model_dump(), "prior": prior}
        writer.writerow([_cell(data[c]) for c in COLUMNS])
    return out.getvalue()


def csv_filename(board: Leaderboard) -> str:
    return f"arena-leaderboard-{board.track}-{board.category or 'all'}.csv"
