"""Screening a just-stored vote: the watch-time rule and the anomalous-voter test.

Runs inside the vote's transaction (the caller commits). Locks are taken in one order
everywhere (rate counters, voter state, live ratings, pair statistics in key order), so
concurrent workers on PostgreSQL cannot deadlock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from arena.integrity import anomaly
from arena.integrity.policy import IntegrityPolicy
from arena.integrity.watch import watch_problem
from arena.models import Battle, Clip, PairStat, Vote, VoteExclusion, VoterState
from arena.store.flags import flag_state, voter_state
from arena.store.pairstats import FLIP


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
    state = voter_state(session, vote.voter_id, create=policy.anomaly_alpha > 0)
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
    flag_state(session, state, source="auto", actor="", reason=reason, now=now, screening=vote.id)
    return True


def _evidence(log_evidence: float) -> str:
    return f"{math.exp(min(log_evidence, 700)):.3g}"
