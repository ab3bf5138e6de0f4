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


def empty_columns(board: Leaderboard) -> dict[str, str]:
    """The page's columns with nothing to show in this view, each with the reason it is left
    out (the page hides them and says why; the JSON and CSV keep every field)."""
    rows = board.rows
    hidden: dict[str, str] = {}
    if not board.live.elo_available:
        hidden["live"] = "Live Elo is kept for whole tracks only, so a category view leaves it out"
    if rows and all(r.rating is None for r in rows):
        hidden["rank"] = hidden["rating"] = hidden["ci"] = "no official rating in this view yet"
    elif rows and all(r.ci_plus is None for r in rows):
        hidden["ci"] = "no interval in this view yet"
    if rows and all(r.rank_lower is None for r in rows):
        hidden["ranks"] = hidden["tier"] = "no rank ranges in this view yet (the next recompute)"
    if rows and all(r.win_rate is None for r in rows):
        hidden["win_rate"] = "no counted votes in this view yet"
    if rows and not any(r.organization for r in rows):
        hidden["organization"] = "no model here names its organization"
    if rows and not any(r.license for r in rows):
        hidden["license"] = "no model here states its license"
    return hidden
