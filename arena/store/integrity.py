"""Integrity writes: shared rate counters, screening a vote, flagging and unflagging.

Invariant: ``PairStat`` always equals a GROUP BY over the votes that have no
``VoteExclusion`` row (:func:`arena.integrity.queries.rescan_pair_counts`). Every function
that adds or removes an exclusion adjusts ``PairStat`` in the same transaction. Locks are
taken in one order everywhere (rate counters, voter state, live ratings, pair statistics in
key order), so concurrent workers on PostgreSQL cannot deadlock.

:func:`take_rate` and :func:`screen_vote` run inside the vote's (or battle's) transaction
and leave the commit to it; the admin functions commit.
"""

from __future__ import annotations

import math
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, update
from sqlmodel import Session, col, select

from arena.errors import Conflict, NotFound, RateLimited
from arena.integrity import anomaly
from arena.integrity.policy import IntegrityPolicy, RateLimit
from arena.integrity.ratelimit import estimate, retry_after, window_of
from arena.integrity.watch import watch_problem
from arena.models import (
    Battle,
    Clip,
    IntegrityEvent,
    PairStat,
    PromptCategory,
    RateCounter,
    Vote,
    VoteExclusion,
    VoterState,
    utcnow,
)
from arena.store.sql import upsert_insert

FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
PairKey = tuple[str, str, int, int, str]
"""(track, category, model_lo, model_hi, outcome from lo's side): one PairStat row."""


# --- rate limits ----------------------------------------------------------------------------


def take_rate(
    session: Session, *, limits: Sequence[tuple[str, RateLimit]], now: float, what: str
) -> None:
    """Count one request against each ``(key, limit)``; over any limit, raise RateLimited.

    The increments are row-locking upserts, so workers never both take the last slot; a
    rejected request rolls back with its transaction and counts nothing.
    """
    if not limits:
        return
    counters = sorted(
        (f"{key}:{limit.seconds}", window_of(limit, now), limit.seconds) for key, limit in limits
    )
    table = RateCounter.__table__  # type: ignore[attr-defined]
    stmt = upsert_insert(session, RateCounter).values(
        [
            {"key": name, "window": w, "count": 1, "previous": 0, "expires": (w + 2) * size}
            for name, w, size in counters
        ]
    )
    new = stmt.excluded
    # One statement per request: roll the row into the new window if it moved on (the old
    # count becomes "previous" when the windows touch), else count one more. A worker whose
    # clock lags never rolls a row back.
    same = table.c.window >= new.window
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "previous": case(
                (same, table.c.previous), (table.c.window == new.window - 1, table.c.count), else_=0
            ),
            "count": case((same, table.c.count + 1), else_=1),
            "window": case((same, table.c.window), else_=new.window),
            "expires": case((same, table.c.expires), else_=new.expires),
        },
    ).returning(table.c.key, table.c.count, table.c.previous)
    counts = {key: (count, prev) for key, count, prev in session.execute(stmt)}
    waits = []
    for key, limit in limits:
        cur, prev = counts[f"{key}:{limit.seconds}"]
        if estimate(limit, now, prev, cur) > limit.count:
            waits.append((retry_after(limit, now, prev, cur - 1), limit, key))
    if waits:
        wait, limit, key = max(waits, key=lambda w: w[0])
        who = "this address" if ":ip:" in key else "this voter"
        raise RateLimited(
            f"too many {what} from {who}: the limit is {limit}; retry in {wait} s",
            retry_after=wait,
        )
    if secrets.randbelow(256) == 0:  # now and then, drop counters nobody will read again
        session.execute(delete(RateCounter).where(col(RateCounter.expires) < int(now)))


# --- screening a new vote -------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether a just-stored vote counts; if not, the exclusion reason and its detail."""

    reason: str | None = None
    detail: str = ""

    @property
    def counted(self) -> bool:
        return self.reason is None


def screen_vote(
    session: Session, *, vote: Vote, battle: Battle, policy: IntegrityPolicy, now: datetime
) -> Verdict:
    """Apply the watch-time rule and the anomalous-voter test to a stored, flushed vote.

    Moves the voter's test martingale; past ``1/alpha`` the voter is flagged and their
    counted votes are excluded. An excluded vote gets its ``VoteExclusion`` row here.
    """
    assert vote.id is not None
    verdict = Verdict()
    if policy.watch_rule:
        clip_seconds = session.exec(
            select(func.min(Clip.duration)).where(
                col(Clip.id).in_([battle.left_clip_id, battle.right_clip_id])
            )
        ).one()
        elapsed_ms = (now - battle.issued_at).total_seconds() * 1000
        problem = watch_problem(
            policy, watch_ms=vote.watch_ms, elapsed_ms=elapsed_ms, clip_seconds=clip_seconds or 0
        )
        if problem:
            verdict = Verdict("watch_time", problem)
    state = _voter_state(session, vote.voter_id, create=policy.anomaly_alpha > 0)
    if state is not None and state.flagged:
        verdict = verdict if not verdict.counted else Verdict("voter", "voter is flagged")
    elif state is not None and policy.anomaly_alpha > 0:
        flagged = _test_vote(session, state, vote, policy, now)
        if flagged and verdict.counted:
            verdict = Verdict("voter", state.flag_reason)
    if not verdict.counted:
        session.add(
            VoteExclusion(
                vote_id=vote.id,
                reason=verdict.reason or "",
                source="auto",
                detail=verdict.detail,
                created_at=now,
            )
        )
    return verdict


def _voter_state(session: Session, voter_id: str, *, create: bool) -> VoterState | None:
    """The voter's state row, locked; created first when ``create`` (one statement)."""
    if not create:
        return session.exec(
            select(VoterState).where(VoterState.voter_id == voter_id).with_for_update()
        ).first()
    # INSERT ... ON CONFLICT DO UPDATE (a no-op update) RETURNING: creates or locks the row
    # and reads it in one round trip, on SQLite and PostgreSQL alike.
    table = VoterState.__table__  # type: ignore[attr-defined]
    stmt = upsert_insert(session, VoterState).values(
        voter_id=voter_id, log_evidence=0.0, tested_votes=0, flagged=False, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["voter_id"], set_={"voter_id": table.c.voter_id}
    ).returning(VoterState)
    return session.scalars(stmt, execution_options={"populate_existing": True}).one()


def _test_vote(
    session: Session, state: VoterState, vote: Vote, policy: IntegrityPolicy, now: datetime
) -> bool:
    """One step of the test martingale; flag the voter (returns True) when it crosses."""
    lo, hi = sorted((vote.model_a_id, vote.model_b_id))
    side = vote.outcome if vote.model_a_id < vote.model_b_id else FLIP[vote.outcome]
    history = dict(
        session.exec(
            select(PairStat.outcome, PairStat.count).where(
                PairStat.track == vote.track,
                PairStat.category == "",
                PairStat.model_lo == lo,
                PairStat.model_hi == hi,
            )
        ).all()
    )
    if sum(history.values()) < policy.anomaly_min_history:
        return False
    p = anomaly.consensus_p_value(history, side)
    state.log_evidence += anomaly.log_e_value(p)
    state.tested_votes += 1
    state.updated_at = now
    session.add(state)
    if state.log_evidence < anomaly.threshold(policy.anomaly_alpha):
        return False
    reason = (
        f"anomalous votes: test martingale {_evidence(state.log_evidence)} >= "
        f"1/alpha = {1 / policy.anomaly_alpha:g} after {state.tested_votes} tested votes"
    )
    _flag(session, state, source="auto", actor="", reason=reason, now=now, screening=vote.id)
    return True


def _evidence(log_evidence: float) -> str:
    return f"{math.exp(min(log_evidence, 700)):.3g}"


# --- flags ----------------------------------------------------------------------------------


def flag_voter(
    session: Session, *, voter_id: str, actor: str, reason: str, now: datetime | None = None
) -> int:
    """An admin flags a voter: their counted votes stop counting. Returns how many."""
    now = now or utcnow()
    state = _voter_state(session, voter_id, create=True)
    assert state is not None
    if state.flagged:
        raise Conflict(f"voter {voter_id!r} is already flagged ({state.flag_reason})")
    excluded = _flag(session, state, source="admin", actor=actor, reason=reason, now=now)
    session.commit()
    return excluded


def _flag(
    session: Session,
    state: VoterState,
    *,
    source: str,
    actor: str,
    reason: str,
    now: datetime,
    screening: int | None = None,
) -> int:
    """Flag the voter and exclude their counted votes (but ``screening``, the vote being
    screened: it was never counted, and :func:`screen_vote` excludes it itself)."""
    state.flagged, state.flag_source, state.flag_reason, state.flagged_at = (
        True,
        source,
        reason,
        now,
    )
    state.updated_at = now
    session.add(state)
    counted = [
        vote
        for vote in session.exec(
            select(Vote)
            .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
            .where(Vote.voter_id == state.voter_id, col(VoteExclusion.vote_id).is_(None))
        ).all()
        if vote.id != screening
    ]
    for vote in counted:
        session.add(
            VoteExclusion(
                vote_id=vote.id,  # type: ignore[arg-type]
                reason="voter",
                source=source,
                actor=actor,
                detail=reason,
                created_at=now,
            )
        )
    _adjust(session, counted, -1)
    session.add(
        IntegrityEvent(
            action="flag_voter",
            voter_id=state.voter_id,
            source=source,
            actor=actor,
            reason=reason,
            votes_affected=len(counted),
            created_at=now,
        )
    )
    return len(counted)


def unflag_voter(
    session: Session, *, voter_id: str, actor: str, reason: str, now: datetime | None = None
) -> int:
    """Clear a voter's flag and restart their test; votes excluded for it count again.

    Votes excluded for another reason (watch time, an admin's flag on the vote) stay out.
    Returns how many votes count again.
    """
    now = now or utcnow()
    state = _voter_state(session, voter_id, create=False)
    if state is None or not state.flagged:
        raise Conflict(f"voter {voter_id!r} is not flagged")
    state.flagged, state.flag_source, state.flag_reason, state.flagged_at = False, "", "", None
    state.log_evidence, state.updated_at = 0.0, now
    session.add(state)
    rows = session.exec(
        select(Vote, VoteExclusion)
        .join(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(Vote.voter_id == voter_id, VoteExclusion.reason == "voter")
    ).all()
    for _, exclusion in rows:
        session.delete(exclusion)
    _adjust(session, [vote for vote, _ in rows], +1)
    session.add(
        IntegrityEvent(
            action="unflag_voter",
            voter_id=voter_id,
            source="admin",
            actor=actor,
            reason=reason,
            votes_affected=len(rows),
            created_at=now,
        )
    )
    session.commit()
    return len(rows)


def flag_vote(
    session: Session, *, vote_id: int, actor: str, reason: str, now: datetime | None = None
) -> VoteExclusion:
    """An admin excludes one vote (or takes over an automatic exclusion of it)."""
    now = now or utcnow()
    vote = _vote(session, vote_id)
    exclusion = session.get(VoteExclusion, vote_id, with_for_update=True)
    if exclusion is not None and exclusion.reason == "admin":
        raise Conflict(f"vote {vote_id} is already flagged by an admin")
    if exclusion is None:
        _adjust(session, [vote], -1)
        exclusion = VoteExclusion(vote_id=vote_id, reason="admin", source="admin")
    exclusion.reason, exclusion.source, exclusion.actor = "admin", "admin", actor
    exclusion.detail, exclusion.created_at = reason, now
    session.add(exclusion)
    session.add(
        IntegrityEvent(
            action="flag_vote",
            voter_id=vote.voter_id,
            vote_id=vote_id,
            source="admin",
            actor=actor,
            reason=reason,
            votes_affected=1,
            created_at=now,
        )
    )
    session.commit()
    return exclusion


def unflag_vote(
    session: Session, *, vote_id: int, actor: str, reason: str, now: datetime | None = None
) -> str:
    """An admin makes an excluded vote count, whatever excluded it; returns the old reason."""
    now = now or utcnow()
    vote = _vote(session, vote_id)
    exclusion = session.get(VoteExclusion, vote_id, with_for_update=True)
    if exclusion is None:
        raise Conflict(f"vote {vote_id} is not excluded")
    old = exclusion.reason
    session.delete(exclusion)
    _adjust(session, [vote], +1)
    session.add(
        IntegrityEvent(
            action="unflag_vote",
            voter_id=vote.voter_id,
            vote_id=vote_id,
            source="admin",
            actor=actor,
            reason=reason or f"was excluded for {old}",
            votes_affected=1,
            created_at=now,
        )
    )
    session.commit()
    return old


def _vote(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(f"no vote {vote_id}")
    return vote


# --- sufficient statistics --------------------------------------------------------------------


def pair_keys(track: str, categories: Iterable[str], a: int, b: int, outcome: str) -> list[PairKey]:
    """The PairStat rows one vote counts in: the whole track ("") and each prompt category."""
    lo, hi, side = (a, b, outcome) if a < b else (b, a, FLIP[outcome])
    return [(track, c, lo, hi, side) for c in sorted({"", *categories})]


def _adjust(session: Session, votes: Sequence[Vote], sign: int) -> None:
    """Add (``+1``) or remove (``-1``) votes from PairStat, rows in key order."""
    if not votes:
        return
    prompts = dict(
        session.exec(
            select(Battle.id, Battle.prompt_id).where(
                col(Battle.id).in_({v.battle_id for v in votes})
            )
        ).all()
    )
    categories: dict[str, list[str]] = {}
    for prompt_id, category in session.exec(
        select(PromptCategory.prompt_id, PromptCategory.category).where(
            col(PromptCategory.prompt_id).in_(set(prompts.values()))
        )
    ):
        categories.setdefault(prompt_id, []).append(category)
    counts: Counter[PairKey] = Counter()
    for v in votes:
        cats = categories.get(prompts[v.battle_id], [])
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


def add_pair_counts(session: Session, rows: Sequence[tuple[PairKey, int]]) -> None:
    """Upsert ``count += n`` for each PairStat key, in the order given (sort it)."""
    values = [
        {"track": t, "category": c, "model_lo": lo, "model_hi": hi, "outcome": o, "count": n}
        for (t, c, lo, hi, o), n in rows
    ]
    stmt = upsert_insert(session, PairStat).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["track", "category", "model_lo", "model_hi", "outcome"],
        set_={"count": PairStat.__table__.c.count + stmt.excluded.count},  # type: ignore[attr-defined]
    )
    session.execute(stmt)
