"""The integrity monitor's reads: stored votes, exclusions by reason and the vote path's tallies
(refused attempts, failed filters) per UTC day and track, and the report built from them.

Excluded votes are counted from ``VoteExclusion`` by reason, whatever the reason is, so a new
filter shows up in the monitor as soon as it writes its exclusions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from arena.core.clock import utcnow
from arena.core.integrity.monitor import MonitorReport, build_report, window_start
from arena.settings import Settings, monitor_rules
from arena.store.monitor import day_of
from arena.store.tables import FilterTally, Vote, VoteExclusion


@dataclass(frozen=True)
class FilterCounts:
    """Raw counts since a day: the rows the monitor (:mod:`arena.core.integrity.monitor`) reads."""

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


def integrity_monitor(
    session: Session, *, settings: Settings, now: datetime | None = None
) -> MonitorReport:
    """The integrity monitor (:mod:`arena.core.integrity.monitor`) over the last
    ``settings.monitor_days`` days, with its alarms."""
    today = (now or utcnow()).astimezone(UTC).date()
    rules = monitor_rules(settings)
    counts = filter_counts(
        session, since=window_start(today, days=settings.monitor_days, rules=rules)
    )
    return build_report(
        votes=counts.votes,
        excluded=counts.excluded,
        tallies=counts.tallies,
        today=today,
        days=settings.monitor_days,
        rules=rules,
    )
