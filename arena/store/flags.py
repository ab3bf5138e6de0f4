"""Flags: admins (and the anomaly test) exclude or re-include a voter's votes or one vote.

Each change writes ``VoteExclusion`` rows, appends an ``IntegrityEvent`` and adjusts
``PairStat`` in the same transaction. Votes themselves are never touched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from arena.core.clock import utcnow
from arena.core.errors import Conflict, NotFound
from arena.store.driver import Tx, as_tx, upsert
from arena.store.pairstats import adjust
from arena.store.tables import IntegrityEvent, Vote, VoteExclusion, VoterState


def voter_state(session: Session, voter_id: str, *, create: bool) -> VoterState | None:
    """The voter's state row, locked; created first when ``create``."""
    if not create:
        return session.exec(
            select(VoterState).where(VoterState.voter_id == voter_id).with_for_update()
        ).first()
    lock_voter(as_tx(session), voter_id)
    return session.get(VoterState, voter_id, populate_existing=True)


def lock_voter(tx: Tx, voter_id: str, *, returning: str = "") -> list[Any]:
    """Create the voter's state row or, if it exists, lock it unchanged; RETURNING rows.

    One INSERT ... ON CONFLICT DO UPDATE with a no-op update.
    """
    row = {
        "voter_id": voter_id,
        "log_evidence": 0.0,
        "tested_votes": 0,
        "flagged": False,
        "flag_source": "",
        "flag_reason": "",
        "updated_at": tx.time(utcnow()),
    }
    return upsert(
        tx,
        VoterState,
        [row],
        conflict=("voter_id",),
        update='"voter_id" = excluded."voter_id"',
        returning=returning,
    )


def flag_voter(
    session: Session, *, voter_id: str, actor: str, reason: str, now: datetime | None = None
) -> int:
    """An admin flags a voter: their counted votes stop counting. Returns how many."""
    now = now or utcnow()
    state = voter_state(session, voter_id, create=True)
    assert state is not None
    if state.flagged:
        raise Conflict(f"voter {voter_id!r} is already flagged ({state.flag_reason})")
    excluded = flag_state(session, state, source="admin", actor=actor, reason=reason, now=now)
    session.commit()
    return excluded


def flag_state(
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
    adjust(session, counted, -1)
    _log(
        session,
        "flag_voter",
        voter_id=state.voter_id,
        source=source,
        actor=actor,
        reason=reason,
        votes_affected=len(counted),
        now=now,
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
    state = voter_state(session, voter_id, create=False)
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
    adjust(session, [vote for vote, _ in rows], +1)
    _log(
        session,
        "unflag_voter",
        voter_id=voter_id,
        source="admin",
        actor=actor,
        reason=reason,
        votes_affected=len(rows),
        now=now,
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
        adjust(session, [vote], -1)
        exclusion = VoteExclusion(vote_id=vote_id, reason="admin", source="admin")
    exclusion.reason, exclusion.source, exclusion.actor = "admin", "admin", actor
    exclusion.detail, exclusion.created_at = reason, now
    session.add(exclusion)
    _log(
        session,
        "flag_vote",
        voter_id=vote.voter_id,
        vote_id=vote_id,
        source="admin",
        actor=actor,
        reason=reason,
        votes_affected=1,
        now=now,
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
    adjust(session, [vote], +1)
    _log(
        session,
        "unflag_vote",
        voter_id=vote.voter_id,
        vote_id=vote_id,
        source="admin",
        actor=actor,
        reason=reason or f"was excluded for {old}",
        votes_affected=1,
        now=now,
    )
    session.commit()
    return old


def _vote(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(f"no vote {vote_id}")
    return vote


def _log(
    session: Session,
    action: str,
    *,
    voter_id: str,
    source: str,
    actor: str,
    reason: str,
    votes_affected: int,
    now: datetime,
    vote_id: int | None = None,
) -> None:
    """Append one line to the audit trail."""
    session.add(
        IntegrityEvent(
            action=action,
            voter_id=voter_id,
            vote_id=vote_id,
            source=source,
            actor=actor,
            reason=reason,
            votes_affected=votes_affected,
            created_at=now,
        )
    )
