"""What the integrity filters keep out, per UTC day and track: the tallies the vote path
writes (refused attempts, failed filters) and the reads the integrity monitor needs.

Excluded votes are counted from ``VoteExclusion`` by reason, whatever the reason is, so a new
filter shows up in the monitor as soon as it writes its exclusions. A filter that raises is
run through :func:`run_filter`: the error is logged, tallied as ``failed`` and the vote goes
on as if the filter had let it through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import String, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from arena.errors import RateLimited
from arena.models import FilterTally, Vote, VoteExclusion
from arena.store.sql import upsert
from arena.store.tx import Tx

log = logging.getLogger("arena.integrity")

T = TypeVar("T")

REFUSED = "refused"
FAILED = "failed"


def day_of(moment: datetime) -> str:
    """The UTC day of ``moment``, ``YYYY-MM-DD``."""
    return moment.astimezone(UTC).date().isoformat()


def tally(tx: Tx, *, now: datetime, track: str, filter: str, kind: str) -> None:
    """Count one ``kind`` (``refused`` or ``failed``) for ``filter`` on ``track`` today."""
    upsert(
        tx,
        FilterTally,
        [{"day": day_of(now), "track": track, "filter": filter, "kind": kind, "count": 1}],
        conflict=("day", "track", "filter", "kind"),
        update='"count" = filtertally."count" + 1',
    )


def run_filter(
    tx: Tx,
    name: str,
    check: Callable[[], T],
    *,
    track: str,
    now: datetime,
    savepoint: bool = False,
) -> T | None:
    """``check()``; if it raises, log it, tally it as failed and return None (the vote is kept).

    ``savepoint``: run it in a SAVEPOINT, for a filter that writes more than one statement, or
    on PostgreSQL (where a failed statement aborts the transaction), so what it half did is
    undone and the vote goes on. On SQLite a failed statement undoes itself alone.
    :class:`RateLimited` is a verdict, not a failure: it passes through.
    """
    # On the connection itself: the vote path's statements bypass the session, which would
    # emit its own SAVEPOINT only on its next use of the connection.
    nested = tx.connection.begin_nested() if savepoint else None
    try:
        result = check()
    except RateLimited:
        if nested is not None:
            nested.rollback()
        raise
    except Exception:
        if nested is not None:
            nested.rollback()
            # ORM objects the filter added or loaded (flagging uses the session) are gone
            # from the database now: forget them, or the commit would write them again.
            tx.session.expunge_all()
        log.exception(
            "integrity filter %r failed on a %s vote; the vote is kept and counted as failed",
            name,
            track,
        )
        tally(tx, now=now, track=track, filter=name, kind=FAILED)
        return None
    if nested is not None:
        nested.commit()
    return result


@dataclass(frozen=True)
class FilterCounts:
    """Raw counts since a day: the rows the monitor (:mod:`arena.integrity.monitor`) reads."""

    votes: list[tuple[str, str, int]]
    """(day, track, stored votes)"""
    excluded: list[tuple[str, str, str, int]]
    """(day, track, reason, votes excluded): by the vote's day, whatever excluded it"""
    tallies: list[tuple[str, str, str, str, int]]
    """(day, track, filter, kind, count)"""


def _day(session: Session, column: object) -> ColumnElement[str]:
    """A stored UTC datetime's day as ``YYYY-MM-DD`` text, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as UTC text, "YYYY-MM-DD HH:MM:SS.ffffff".
        return func.substr(column, 1, 10, type_=String)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD", type_=String)


def filter_counts(session: Session, *, since: datetime) -> FilterCounts:
    """Stored votes, exclusions by reason and tallies per day and track, from ``since``'s day."""
    start = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = _day(session, col(Vote.created_at)).label("day")
    votes = session.exec(
        select(day, Vote.track, func.count())
        .where(col(Vote.created_at) >= start)
        .group_by(day, col(Vote.track))
    ).all()
    excluded = session.exec(
        select(day, Vote.track, VoteExclusion.reason, func.count())
        .join(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(col(Vote.created_at) >= start)
        .group_by(day, col(Vote.track), col(VoteExclusion.reason))
    ).all()
    tallies = session.exec(select(FilterTally).where(col(FilterTally.day) >= day_of(start))).all()
    return FilterCounts(
        votes=[(d, t, n) for d, t, n in votes],
        excluded=[(d, t, r, n) for d, t, r, n in excluded],
        tallies=[(r.day, r.track, r.filter, r.kind, r.count) for r in tallies],
    )
