"""Sufficient statistics: the PairStat rows a vote counts in, added or removed in key order.

Invariant: ``PairStat`` equals a GROUP BY over the votes that have no ``VoteExclusion`` row
(:func:`arena.integrity.queries.rescan_pair_counts`); every write that adds or removes an
exclusion calls :func:`adjust` in the same transaction. Rows are touched in key order, so
concurrent transactions on PostgreSQL lock them in one order and cannot deadlock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from arena.models import PairStat, PromptCategory
from arena.store.sql import upsert
from arena.store.tx import Tx

FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
PairKey = tuple[str, str, int, int, str]
"""(track, category, model_lo, model_hi, outcome from lo's side): one PairStat row."""


def pair_keys(track: str, categories: Iterable[str], a: int, b: int, outcome: str) -> list[PairKey]:
    """The PairStat rows one vote counts in: the whole track ("") and each prompt category."""
    lo, hi, side = (a, b, outcome) if a < b else (b, a, FLIP[outcome])
    return [(track, c, lo, hi, side) for c in sorted({"", *categories})]


class Counted(Protocol):
    """A vote as the statistics see it (a :class:`Vote` row, or one being imported)."""

    @property
    def track(self) -> str: ...
    @property
    def prompt_id(self) -> str: ...
    @property
    def model_a_id(self) -> int: ...
    @property
    def model_b_id(self) -> int: ...
    @property
    def outcome(self) -> str: ...


def adjust(session: Session, votes: Sequence[Counted], sign: int) -> None:
    """Add (``+1``) or remove (``-1``) votes from PairStat, rows in key order."""
    if not votes:
        return
    categories: dict[str, list[str]] = {}
    for prompt_id, category in session.exec(
        select(PromptCategory.prompt_id, PromptCategory.category).where(
            col(PromptCategory.prompt_id).in_({v.prompt_id for v in votes})
        )
    ):
        categories.setdefault(prompt_id, []).append(category)
    counts: Counter[PairKey] = Counter()
    for v in votes:
        cats = categories.get(v.prompt_id, [])
        counts.update(pair_keys(v.track, cats, v.model_a_id, v.model_b_id, v.outcome))
    if sign > 0:
        add_pair_counts(session, sorted(counts.items()))
        return
    table = PairStat.__table__  # type: ignore[attr-defined]
    for (track, category, lo, hi, side), n in sorted(counts.items()):
        where = (
            (table.c.track == track)
            & (table.c.category == category)
            & (table.c.model_lo == lo)
            & (table.c.model_hi == hi)
            & (table.c.outcome == side)
        )
        session.execute(update(table).where(where).values(count=table.c.count - n))
        session.execute(delete(table).where(where & (table.c.count <= 0)))


def add_pair_counts(db: Session | Tx, rows: Sequence[tuple[PairKey, int]]) -> None:
    """Upsert ``count += n`` for each PairStat key, in the order given (sort it)."""
    upsert(
        db,
        PairStat,
        [
            {"track": t, "category": c, "model_lo": lo, "model_hi": hi, "outcome": o, "count": n}
            for (t, c, lo, hi, o), n in rows
        ],
        conflict=("track", "category", "model_lo", "model_hi", "outcome"),
        update='"count" = pairstat."count" + excluded."count"',
    )
