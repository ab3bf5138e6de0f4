"""Integrity reads: counted (non-excluded) votes for the recompute, and what admins review.

:func:`counted_votes` and :func:`rescan_pair_counts` define "the votes that count": every
vote without a ``VoteExclusion`` row. ``PairStat`` is kept equal to
:func:`rescan_pair_counts` by every write (:mod:`arena.store.pairstats`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from arena.core.integrity.bias import PositionBias, position_bias
from arena.core.vocabulary import SCORE, TRACKS
from arena.store.engine import session_scope
from arena.store.pairstats import PairKey
from arena.store.tables import IntegrityEvent, Model, PairStat, Vote, VoteExclusion, VoterState


def counted_votes_query(track: str | None = None) -> SelectOfScalar[Vote]:
    """SELECT the votes that count (no exclusion), oldest first; optionally of one track."""
    query = (
        select(Vote)
        .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(col(VoteExclusion.vote_id).is_(None))
        .order_by(col(Vote.id))
    )
    return query.where(Vote.track == track) if track else query


def counted_votes(
    engine: Engine, *, track: str | None = None, batch: int = 10_000
) -> Iterator[Vote]:
    """Every vote that counts, oldest first, read in batches (for ``arena recompute --rescan``)."""
    last = 0
    while True:
        with session_scope(engine) as session:
            rows = session.exec(
                counted_votes_query(track).where(col(Vote.id) > last).limit(batch)
            ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last


# The oracle for PairStat, written apart from the code that maintains and rebuilds it: one
# GROUP BY over the votes that count for the whole tracks, one over those votes joined with
# their prompts' categories.
_LO_FIRST = "v.model_a_id < v.model_b_id"
_RESCAN = f"""
SELECT v.track, {{category}},
  CASE WHEN {_LO_FIRST} THEN v.model_a_id ELSE v.model_b_id END,
  CASE WHEN {_LO_FIRST} THEN v.model_b_id ELSE v.model_a_id END,
  CASE WHEN {_LO_FIRST} OR v.outcome IN ('tie', 'both_bad') THEN v.outcome
       WHEN v.outcome = 'a' THEN 'b' ELSE 'a' END,
  COUNT(*)
FROM vote v {{join}}
WHERE NOT EXISTS (SELECT 1 FROM voteexclusion x WHERE x.vote_id = v.id)
GROUP BY {{groups}}
"""


def rescan_pair_counts(session: Session) -> dict[PairKey, int]:
    """PairStat recomputed from the raw votes that count (categories as the prompts have now):
    a GROUP BY in SQL, with nothing shared with the code that keeps PairStat."""
    whole = _RESCAN.format(category="''", join="", groups="1, 3, 4, 5")
    per_category = _RESCAN.format(
        category="pc.category",
        join="JOIN promptcategory pc ON pc.prompt_id = v.prompt_id",
        groups="1, 2, 3, 4, 5",
    )
    return {
        (track, category, lo, hi, outcome): n
        for query in (whole, per_category)
        for track, category, lo, hi, outcome, n in session.execute(text(query))
    }


def pair_stat_counts(session: Session) -> dict[PairKey, int]:
    """The maintained PairStat rows, as :func:`rescan_pair_counts` returns them."""
    return {
        (s.track, s.category, s.model_lo, s.model_hi, s.outcome): s.count
        for s in session.exec(select(PairStat))
        if s.count
    }


# --- for admins ----------------------------------------------------------------------------


class VoterReport(BaseModel):
    voter_id: str
    flagged: bool
    flag_source: str
    flag_reason: str
    flagged_at: datetime | None
    evidence: float
    """The test martingale's value (flagged at ``1/alpha``)."""
    tested_votes: int
    votes: int
    excluded_votes: int


class ExcludedVote(BaseModel):
    vote_id: int
    battle_id: str
    voter_id: str
    track: str
    left: str
    right: str
    outcome: str
    watch_ms: int | None
    created_at: datetime
    reason: str
    source: str
    actor: str
    detail: str
    excluded_at: datetime


class EventOut(BaseModel):
    id: int
    action: str
    voter_id: str | None
    vote_id: int | None
    source: str
    actor: str
    reason: str
    votes_affected: int
    created_at: datetime


def _voter_report(session: Session, state: VoterState) -> VoterReport:
    votes, excluded = session.exec(
        select(func.count(col(Vote.id)), func.count(col(VoteExclusion.vote_id)))
        .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(Vote.voter_id == state.voter_id)
    ).one()
    return VoterReport(
        voter_id=state.voter_id,
        flagged=state.flagged,
        flag_source=state.flag_source,
        flag_reason=state.flag_reason,
        flagged_at=state.flagged_at,
        evidence=math.exp(min(state.log_evidence, 700.0)),
        tested_votes=state.tested_votes,
        votes=votes,
        excluded_votes=excluded,
    )


def flagged_voters(session: Session, *, limit: int = 100, offset: int = 0) -> list[VoterReport]:
    """Flagged voters, most recently flagged first."""
    states = session.exec(
        select(VoterState)
        .where(col(VoterState.flagged).is_(True))
        .order_by(col(VoterState.flagged_at).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [_voter_report(session, s) for s in states]


def voter_report(session: Session, voter_id: str) -> VoterReport:
    """One voter's standing (a voter never tested reads as unflagged, evidence 1)."""
    state = session.get(VoterState, voter_id) or VoterState(voter_id=voter_id)
    return _voter_report(session, state)


def excluded_votes(
    session: Session, *, reason: str | None = None, limit: int = 100, offset: int = 0
) -> list[ExcludedVote]:
    """Votes that do not count, newest exclusion first, with who voted what."""
    query = (
        select(Vote, VoteExclusion)
        .join(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .order_by(col(VoteExclusion.created_at).desc(), col(Vote.id).desc())
    )
    if reason:
        query = query.where(VoteExclusion.reason == reason)
    rows = session.exec(query.offset(offset).limit(limit)).all()
    slugs = dict(session.exec(select(Model.id, Model.slug)).all())
    return [
        ExcludedVote(
            vote_id=v.id or 0,
            battle_id=v.battle_id,
            voter_id=v.voter_id,
            track=v.track,
            left=slugs.get(v.model_a_id, "?"),
            right=slugs.get(v.model_b_id, "?"),
            outcome=v.outcome,
            watch_ms=v.watch_ms,
            created_at=v.created_at,
            reason=e.reason,
            source=e.source,
            actor=e.actor,
            detail=e.detail,
            excluded_at=e.created_at,
        )
        for v, e in rows
    ]


def integrity_events(
    session: Session, *, voter_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[EventOut]:
    """The audit trail, newest first."""
    query = select(IntegrityEvent).order_by(col(IntegrityEvent.id).desc())
    if voter_id:
        query = query.where(IntegrityEvent.voter_id == voter_id)
    return [
        EventOut(**e.model_dump()) for e in session.exec(query.offset(offset).limit(limit)).all()
    ]


def position_bias_report(session: Session) -> list[PositionBias]:
    """Left/right bias per track over the votes that count (``a`` is always the left clip)."""
    counts: dict[str, dict[str, int]] = {t: {} for t in TRACKS}
    rows = session.exec(
        select(Vote.track, Vote.outcome, func.count())
        .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(col(VoteExclusion.vote_id).is_(None))
        .group_by(col(Vote.track), col(Vote.outcome))
    ).all()
    for track, outcome, n in rows:
        counts.setdefault(track, {})[outcome] = n
    every: Counter[str] = Counter()
    for per_track in counts.values():
        every.update(per_track)
    return [position_bias(t, c) for t, c in counts.items()] + [position_bias("all", dict(every))]


class VoteSources(BaseModel):
    """Where one model's counted wins come from: a sybil ring shows as many wins from new
    voters on few addresses, which no per-voter test can see."""

    model: str
    votes: int
    wins: float
    """Wins, ties counting half."""
    new_voter_win_share: float | None
    """Share of the wins from voters with fewer than ``new_below`` votes in the window."""
    addresses: int
    """Distinct client addresses among the wins."""
    top_address_win_share: float | None
    """Share of the wins from the ``top`` addresses that gave the model the most wins."""


def vote_sources(
    session: Session, *, track: str, since: datetime, new_below: int = 5, top: int = 5
) -> list[VoteSources]:
    """Per model of ``track``: who its counted wins since ``since`` come from (most wins first)."""
    rows = session.exec(counted_votes_query(track).where(col(Vote.created_at) >= since)).all()
    per_voter = Counter(v.voter_id for v in rows)
    slugs = dict(session.exec(select(Model.id, Model.slug)).all())
    votes: Counter[int] = Counter()
    wins: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    new: dict[int, float] = defaultdict(float)
    for v in rows:
        for model, score in (
            (v.model_a_id, SCORE[v.outcome]),
            (v.model_b_id, 1 - SCORE[v.outcome]),
        ):
            votes[model] += 1
            if score:
                wins[model][v.ip_hash or "?"] += score
                if per_voter[v.voter_id] < new_below:
                    new[model] += score
    report = []
    for model, n in votes.items():
        by_address = sorted(wins.get(model, {}).values(), reverse=True)
        total = sum(by_address)
        report.append(
            VoteSources(
                model=slugs.get(model, "?"),
                votes=n,
                wins=total,
                new_voter_win_share=round(new[model] / total, 4) if total else None,
                addresses=len(by_address),
                top_address_win_share=(round(sum(by_address[:top]) / total, 4) if total else None),
            )
        )
    return sorted(report, key=lambda r: -r.wins)
