"""Render a :class:`Ratings` leaderboard as a text table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from arena.core.ranking.compute import Ratings
from arena.core.ranking.graph import NOT_COMPARABLE

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
    "not_comparable",
    "rank_lower",
    "rank_upper",
    "tier",
)


def describe_prior(prior: float) -> str:
    """One line naming the prior a fit used (every view of a leaderboard states it)."""
    if prior == 0:
        return "prior 0: the exact maximum-likelihood fit"
    return f"prior {prior:g}: {prior:g} virtual tie{'' if prior == 1 else 's'} per model"


def format_table(ratings: Ratings, *, limit: int | None = None) -> str:
    """Fixed-width table, best first; provisional models are marked with '*', models not
    comparable with the ranked ones with '-' (no rank, rating or interval) and their reason
    below. Beside the rank: the simultaneous rank interval ("ranks") and the tier; a line
    after the table says what they mean, the last line states the prior."""
    records = ratings.to_records()[:limit]
    width = max([len("model"), *(len(r["model"]) for r in records)])
    level = float(ratings.params.get("level", 0.95))
    interval = f"{level:.0%} interval"
    lines = [
        f"{'rank':>4}  {'model':<{width}}  {'ranks':>7}  {'tier':>4}  {'rating':>8}  "
        f"{interval:>20}  {'votes':>8}  {'win%':>6}"
    ]
    for r in records:
        win = "" if r["win_rate"] is None else f"{100 * r['win_rate']:.1f}"
        mark = "*" if r["provisional"] else " "
        if r["not_comparable"]:
            lines.append(
                f"{'-':>4}  {r['model']:<{width}}  {'-':>7}  {'-':>4}  {'-':>8}  {'-':>20}  "
                f"{r['votes']:>8.0f}  {win:>6}{mark}"
            )
            continue
        tier = "-" if r["tier"] is None else str(r["tier"])
        lines.append(
            f"{r['rank']:>4}  {r['model']:<{width}}  "
            f"{rank_range(r['rank_lower'], r['rank_upper']):>7}  {tier:>4}  {r['rating']:>8.1f}  "
            f"[{r['lower']:>8.1f}, {r['upper']:>8.1f}]  {r['votes']:>8.0f}  {win:>6}{mark}"
        )
    if any(r["provisional"] for r in records):
        lines.append(f"* provisional: fewer than {ratings.params.get('min_votes')} votes")
    lines.append(
        f"ranks: the ranks each model could hold, all at once with {level:.0%} confidence; "
        f"tier: models a tier above are better at that level "
        f"({ratings.tiers} tier{'' if ratings.tiers == 1 else 's'})"
    )
    left = [r for r in records if r["not_comparable"]]
    if left:
        lines.append("- not comparable yet (no rank, rating or interval):")
        lines.extend(f"  {r['model']}: {NOT_COMPARABLE[r['not_comparable']]}" for r in left)
    lines.append(f"Bradley-Terry, {describe_prior(float(ratings.params['prior']))}")
    return "\n".join(lines) + "\n"


def rank_range(lower: int | None, upper: int | None) -> str:
    """A rank interval as text: "3", "2-5", or "-" when there is none."""
    if lower is None or upper is None:
        return "-"
    return str(lower) if lower == upper else f"{lower}-{upper}"


def format_json(ratings: Ratings, *, indent: int | None = 2) -> str:
    """JSON of :meth:`Ratings.to_dict` (metadata and one record per model)."""
    return json.dumps(ratings.to_dict(), indent=indent, sort_keys=False, allow_nan=False) + "\n"


def format_csv(ratings: Ratings) -> str:
    """CSV with a header row, one row per model, best first; the last column, ``prior``, holds
    the fit's prior on every row (empty cells for the ratings of models not comparable)."""
    out = io.StringIO()
    columns = (*_COLUMNS, "prior")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    prior = float(ratings.params["prior"])
    for record in ratings.to_records():
        cells = {k: ("" if record[k] is None else record[k]) for k in _COLUMNS}
        writer.writerow({**cells, "prior": prior})
    return out.getvalue()
