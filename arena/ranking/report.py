"""Render a :class:`Ratings` leaderboard as a text table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from arena.ranking.leaderboard import Ratings

_COLUMNS = (
    "rank",
    "model",
    "rating",
    "lower",
    "upper",
    "votes",
    "wins",
    "losses",
    "ties",
    "win_rate",
    "provisional",
)


def format_table(ratings: Ratings, *, limit: int | None = None) -> str:
    """Fixed-width table, best first; provisional models are marked with '*'."""
    records = ratings.to_records()[:limit]
    width = max([len("model"), *(len(r["model"]) for r in records)])
    interval = f"{float(ratings.params.get('level', 0.95)):.0%} interval"
    lines = [
        f"{'rank':>4}  {'model':<{width}}  {'rating':>8}  {interval:>20}  {'votes':>8}  {'win%':>6}"
    ]
    for r in records:
        win = "" if r["win_rate"] is None else f"{100 * r['win_rate']:.1f}"
        mark = "*" if r["provisional"] else " "
        lines.append(
            f"{r['rank']:>4}  {r['model']:<{width}}  {r['rating']:>8.1f}  "
            f"[{r['lower']:>8.1f}, {r['upper']:>8.1f}]  {r['votes']:>8.0f}  {win:>6}{mark}"
        )
    if any(r["provisional"] for r in records):
        lines.append(f"* provisional: fewer than {ratings.params.get('min_votes')} votes")
    return "\n".join(lines) + "\n"


def format_json(ratings: Ratings, *, indent: int | None = 2) -> str:
    """JSON of :meth:`Ratings.to_dict` (metadata and one record per model)."""
    return json.dumps(ratings.to_dict(), indent=indent, sort_keys=False, allow_nan=False) + "\n"


def format_csv(ratings: Ratings) -> str:
    """CSV with a header row, one row per model, best first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for record in ratings.to_records():
        writer.writerow({k: ("" if record[k] is None else record[k]) for k in _COLUMNS})
    return out.getvalue()
