"""The data behind the plots: pairwise matrices of a slice, and its rating history.

The matrices come from the maintained vote counts (what has been counted up to now), in
leaderboard order; the predicted win rates from the latest official ratings. The history
samples a slice's snapshots evenly (the first and the latest always), so a plot of a year of
five-minute recomputes still reads a bounded number of rows.
"""

from __future__ import annotations

import math

import numpy as np

from arena.core.ranking.data import Comparisons
from arena.core.ranking.matrices import battle_counts, predicted_win_rates, win_rates
from arena.services.leaderboard.schema import (
    HistoryPoint,
    HistorySeries,
    Leaderboard,
    PairMatrix,
    RatingHistory,
)
from arena.store import Session
from arena.store.reads import leaderboard as reads
from arena.store.tables import Model

HISTORY_POINTS = 60
"""At most this many snapshots per history (evenly spaced over the slice's snapshots)."""


def _cell(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


def pair_matrix(session: Session, board: Leaderboard) -> PairMatrix:
    """Battles, observed and predicted win rates between the board's models, in its order."""
    slugs = [r.model for r in board.rows]
    ids = {m.id: m.slug for m in reads.models_by_id(session).values()}
    rows = [
        (ids[lo], ids[hi], outcome, n)
        for lo, hi, outcome, n in reads.pair_rows(session, board.track, board.category)
        if ids.get(lo) in set(slugs) and ids.get(hi) in set(slugs)
    ]
    comp = Comparisons.from_rows(rows, models=slugs)
    counts = battle_counts(comp)
    observed = win_rates(comp, ties="half")
    rated = [r.rating is not None for r in board.rows]
    predicted = None
    if any(rated):
        p = predicted_win_rates(np.array([r.rating or 0.0 for r in board.rows]))
        predicted = [
            [_cell(p[i, j]) if rated[i] and rated[j] else None for j in range(len(slugs))]
            for i in range(len(slugs))
        ]
    return PairMatrix(
        track=board.track,
        category=board.category,
        models=slugs,
        names=[r.name for r in board.rows],
        battles=[[int(x) for x in row] for row in counts],
        win_rate=[[_cell(x) for x in row] for row in observed],
        predicted=predicted,
    )


def sample_evenly(items: list[int], limit: int) -> list[int]:
    """At most ``limit`` items, evenly spaced, always the first and the last."""
    if len(items) <= limit:
        return list(items)
    if limit <= 1:
        return items[-1:]
    picks = {round(k * (len(items) - 1) / (limit - 1)) for k in range(limit)}
    return [items[k] for k in sorted(picks)]


def rating_history(
    session: Session, track: str, category: str, *, limit: int = HISTORY_POINTS
) -> RatingHistory:
    """Each model's official rating at each sampled snapshot of the slice, oldest first."""
    every = reads.snapshot_ids(session, track, category)
    chosen = sample_evenly(every, limit)
    snaps = {s.id: s for s in reads.snapshots(session, chosen)}
    models: dict[int, Model] = reads.models_by_id(session)
    series: dict[int, list[HistoryPoint]] = {}
    for e in sorted(reads.snapshot_entries(session, chosen), key=lambda e: e.snapshot_id):
        snap = snaps[e.snapshot_id]
        series.setdefault(e.model_id, []).append(
            HistoryPoint(
                snapshot_id=e.snapshot_id,
                created_at=snap.created_at,
                vote_count=snap.vote_count,
                rating=round(e.rating, 1),
                lower=round(e.lower, 1),
                upper=round(e.upper, 1),
                rank=e.rank,
            )
        )
    ordered = sorted(series.items(), key=lambda kv: (-kv[1][-1].rating, models[kv[0]].slug))
    return RatingHistory(
        track=track,
        category=category,
        snapshots=len(every),
        series=[
            HistorySeries(model=models[m].slug, name=models[m].name, points=points)
            for m, points in ordered
            if m in models
        ],
    )
