"""Sufficient statistics: the PairStat rows a vote counts in, added or removed in key order.

Invariant: ``PairStat`` equals a GROUP BY over the votes that have no ``VoteExclusion`` row,
with the categories their prompts have now (:func:`arena.store.reads.integrity.rescan_pair_counts`).
Every write that changes what counts keeps it in its own transaction: a vote
(:func:`arena.store.votes.record_vote`, :func:`arena.store.imports.import_votes`), an
exclusion added or removed (:func:`adjust`), a prompt's categories changed
(:func:`recategorize`); ``arena recompute --rescan`` rebuilds it
(:func:`arena.store.ratings.rebuild_pair_stats`).

Locks, on PostgreSQL. Rows are touched in key order, so concurrent transactions lock them in
one order and cannot deadlock. A transaction reads a prompt's categories only while it holds
a share lock on the prompt's row (a vote's foreign key takes it when the vote is inserted;
:func:`adjust` takes it explicitly), and a change of categories holds the row's exclusive
lock (:func:`lock_prompt`): so a vote or a flag never counts a vote in the categories of
before a change that counted it in those of after. The rebuild relies on every such
transaction changing PairStat by exactly its own amount (see ``rebuild_pair_stats``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import delete
from sqlmodel import Session, col, select

from arena.core.vocabulary import FLIP
from arena.store.driver import Tx, upsert
from arena.store.tables import PairStat, Prompt, PromptCategory, Vote, VoteExclusion

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
    prompts = sorted({v.prompt_id for v in votes})
    # Share-lock the prompts before reading their categories (see the module's docstring).
    session.execute(
        sa.select(col(Prompt.id))
        .where(col(Prompt.id).in_(prompts))
        .order_by(col(Prompt.id))
        .with_for_update(read=True, key_share=True)
    )
    categories: dict[str, list[str]] = {}
    for prompt_id, category in session.exec(
        select(PromptCategory.prompt_id, PromptCategory.category).where(
            col(PromptCategory.prompt_id).in_(prompts)
        )
    ):
        categories.setdefault(prompt_id, []).append(category)
    counts: Counter[PairKey] = Counter()
    for v in votes:
        cats = categories.get(v.prompt_id, [])
        counts.update(pair_keys(v.track, cats, v.model_a_id, v.model_b_id, v.outcome))
    apply_counts(session, {key: sign * n for key, n in counts.items()})


def lock_prompt(session: Session, prompt_id: str) -> Prompt | None:
    """The prompt's row, locked against votes and flags on it until the transaction ends."""
    return session.get(Prompt, prompt_id, with_for_update=True, populate_existing=True)


def recategorize(
    session: Session, *, prompt_id: str, added: Iterable[str], removed: Iterable[str]
) -> None:
    """Move the prompt's counted votes into the ``added`` categories and out of ``removed``.

    Call it in the transaction that changes the prompt's categories, after
    :func:`lock_prompt`: one GROUP BY over the prompt's votes that count.
    """
    sign = {c: +1 for c in added} | {c: -1 for c in removed}
    if not sign:
        return
    counted = (
        sa.select(col(Vote.track), col(Vote.model_a_id), col(Vote.model_b_id), col(Vote.outcome))
        .add_columns(sa.func.count())
        .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(col(Vote.prompt_id) == prompt_id, col(VoteExclusion.vote_id).is_(None))
        .group_by(col(Vote.track), col(Vote.model_a_id), col(Vote.model_b_id))
        .group_by(col(Vote.outcome))
    )
    counts: Counter[PairKey] = Counter()
    for track, a, b, outcome, n in session.execute(counted):
        for key in pair_keys(track, sign, a, b, outcome):
            if key[1]:  # the whole track's row stays as it is
                counts[key] += sign[key[1]] * n
    apply_counts(session, counts)


def apply_counts(db: Session | Tx, counts: Mapping[PairKey, int]) -> None:
    """Add ``n`` (negative: remove) to each PairStat key, rows in key order, a few hundred
    per statement; a row whose count reaches 0 is deleted."""
    items = sorted((key, n) for key, n in counts.items() if n)
    emptied = []
    for start in range(0, len(items), _BATCH):
        rows = add_pair_counts(db, items[start : start + _BATCH], returning=_KEY + ', "count"')
        emptied += [tuple(row[:5]) for row in rows if row[5] <= 0]
    table = PairStat.__table__  # type: ignore[attr-defined]
    session = db.session if isinstance(db, Tx) else db
    for track, category, lo, hi, side in sorted(emptied):
        session.execute(
            delete(table).where(
                (table.c.track == track)
                & (table.c.category == category)
                & (table.c.model_lo == lo)
                & (table.c.model_hi == hi)
                & (table.c.outcome == side)
                & (table.c.count <= 0)
            )
        )


_BATCH = 500
"""Rows per upsert: 6 parameters each, well under SQLite's 32766 per statement."""
_KEY = '"track", "category", "model_lo", "model_hi", "outcome"'


def add_pair_counts(
    db: Session | Tx, rows: Sequence[tuple[PairKey, int]], *, returning: str = ""
) -> list[Any]:
    """Upsert ``count += n`` for each PairStat key, in the order given (sort it); the
    ``returning`` columns of each row."""
    return upsert(
        db,
        PairStat,
        [
            {"track": t, "category": c, "model_lo": lo, "model_hi": hi, "outcome": o, "count": n}
            for (t, c, lo, hi, o), n in rows
        ],
        conflict=("track", "category", "model_lo", "model_hi", "outcome"),
        update='"count" = pairstat."count" + excluded."count"',
        returning=returning,
    )
