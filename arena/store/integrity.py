"""Screening a just-stored vote: blindness, the watch-time rule and the anomalous-voter test.

Runs inside the vote's transaction (the caller commits). Locks are taken in one order
everywhere (rate counters, voter state, live ratings, pair statistics in key order), so
concurrent workers on PostgreSQL cannot deadlock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import col, select

from arena.core.integrity import anomaly, identity
from arena.core.integrity.policy import IntegrityPolicy
from arena.core.integrity.watch import watch_problem
from arena.core.vocabulary import FLIP
from arena.store.driver import Sql, Tx
from arena.store.flags import flag_state, lock_voter
from arena.store.invitations import holds_live_invitation
from arena.store.monitor import run_filter
from arena.store.tables import VoterState


@dataclass(frozen=True)
class Verdict:
    """Whether a just-stored vote counts; if not, the exclusion reason and its detail."""

    reason: str | None = None
    detail: str = ""

    @property
    def counted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Ballot:
    """A vote just stored (its row id), as screening sees it."""

    id: int
    voter_id: str
    track: str
    model_a_id: int
    model_b_id: int
    outcome: str
    watch_ms: int | None


_STATE_COLUMNS = '"flagged", "log_evidence", "tested_votes"'
_STATE = f'SELECT {_STATE_COLUMNS} FROM voterstate WHERE "voter_id" = :v'
_READ_STATE = Sql(_STATE)
_LOCK_STATE = Sql(_STATE + " FOR UPDATE")
_HISTORY = Sql(
    'SELECT "outcome", "count" FROM pairstat WHERE "track" = :track AND "category" = \'\' '
    'AND "model_lo" = :lo AND "model_hi" = :hi'
)
_MOVE_STATE = Sql(
    'UPDATE voterstate SET "log_evidence" = :evidence, "tested_votes" = :tested, '
    '"updated_at" = :now WHERE "voter_id" = :v'
)
_EXCLUDE = Sql(
    'INSERT INTO voteexclusion ("vote_id", "reason", "source", "actor", "detail", "created_at") '
    "VALUES (:vote, :reason, 'auto', '', :detail, :now)"
)


def screen_vote(
    tx: Tx,
    *,
    vote: Ballot,
    seen: Sequence[int] = (),
    elapsed_ms: float,
    clip_seconds: float,
    policy: IntegrityPolicy,
    now: datetime,
) -> Verdict:
    """Apply the blindness rule, the watch-time rule, the identity rule and the anomalous-voter
    test to a stored vote; the first that excludes it names the reason.

    Each filter runs through :func:`arena.store.monitor.run_filter`: one that raises is logged
    and tallied as failed, and lets the vote through.

    ``seen`` are the battle's clips an earlier vote had revealed to the voter: with
    ``policy.exclude_seen`` the vote is not blind and is excluded as ``seen`` (before the
    watch-time rule: one reason per vote). ``elapsed_ms`` is the time since the battle was
    issued, ``clip_seconds`` the shorter clip's duration. Moves the voter's test martingale;
    past ``1/alpha`` the voter is flagged and their counted votes are excluded.
    An excluded vote gets its ``VoteExclusion`` row here.
    """
    verdict = Verdict()
    if seen and policy.exclude_seen:
        verdict = Verdict("seen", f"clip {', '.join(map(str, seen))} revealed by an earlier vote")
    problem = run_filter(
        tx,
        "watch_time",
        partial(
            watch_problem,
            policy,
            watch_ms=vote.watch_ms,
            elapsed_ms=elapsed_ms,
            clip_seconds=clip_seconds,
        ),
        track=vote.track,
        now=now,
    )
    if problem and verdict.counted:
        verdict = Verdict("watch_time", problem)
    if policy.require_identity and verdict.counted:
        missing = run_filter(
            tx,
            "identity",
            partial(_missing_identity, tx, vote.voter_id),
            track=vote.track,
            now=now,
            savepoint=not tx.sqlite,
        )
        if missing:
            verdict = Verdict("identity", missing)
    # In a savepoint when the voter filter writes (the test's state, a flag) or on PostgreSQL
    # (where any failed statement aborts the transaction): a failure half way leaves nothing.
    testing = policy.anomaly_alpha > 0
    flagged = run_filter(
        tx,
        "voter",
        partial(_screen_voter, tx, vote, policy, now),
        track=vote.track,
        now=now,
        savepoint=testing or not tx.sqlite,
    )
    if flagged and verdict.counted:
        verdict = Verdict("voter", flagged)
    if not verdict.counted:
        tx.run(
            _EXCLUDE,
            {
                "vote": vote.id,
                "reason": verdict.reason,
                "detail": verdict.detail,
                "now": tx.time(now),
            },
        )
    return verdict


def _screen_voter(tx: Tx, vote: Ballot, policy: IntegrityPolicy, now: datetime) -> str | None:
    """Why the vote's voter is (or is now) flagged, or None: a flagged voter's votes do not
    count; otherwise, with the test on, this vote is one more step of the voter's test."""
    testing = policy.anomaly_alpha > 0
    if testing:
        state = lock_voter(tx, vote.voter_id, returning=_STATE_COLUMNS)[0]
    else:
        state = tx.row(_READ_STATE if tx.sqlite else _LOCK_STATE, {"v": vote.voter_id})
    if state is not None and state[0]:
        return "voter is flagged"
    if state is not None and testing:
        return _test_vote(tx, vote, state[1], state[2], policy, now)
    return None


def _missing_identity(tx: Tx, voter_id: str) -> str | None:
    """Why ``voter_id`` is not an identity whose votes count, or None if it is."""
    kind = identity.kind(voter_id)
    if kind == "header":
        return None
    if kind == "invitation":
        return None if holds_live_invitation(tx, voter_id) else "its invitation was revoked"
    return "an anonymous voter: no invitation, not signed in"


def _test_vote(
    tx: Tx,
    vote: Ballot,
    log_evidence: float,
    tested: int,
    policy: IntegrityPolicy,
    now: datetime,
) -> str | None:
    """One step of the test martingale; flag the voter (returns the reason) when it crosses."""
    lo, hi = sorted((vote.model_a_id, vote.model_b_id))
    side = vote.outcome if vote.model_a_id < vote.model_b_id else FLIP[vote.outcome]
    history = dict(tx.rows(_HISTORY, {"track": vote.track, "lo": lo, "hi": hi}))
    if sum(history.values()) < policy.anomaly_min_history:
        return None
    p = anomaly.consensus_p_value(history, side)
    log_evidence += anomaly.log_e_value(p)
    tested += 1
    tx.run(
        _MOVE_STATE,
        {"evidence": log_evidence, "tested": tested, "now": tx.time(now), "v": vote.voter_id},
    )
    if log_evidence < anomaly.threshold(policy.anomaly_alpha):
        return None
    reason = (
        f"anomalous votes: test martingale {_evidence(log_evidence)} >= "
        f"1/alpha = {1 / policy.anomaly_alpha:g} after {tested} tested votes"
    )
    # Rare: flagging excludes the voter's earlier votes through the ORM, in this transaction.
    session = tx.session
    state = session.exec(select(VoterState).where(col(VoterState.voter_id) == vote.voter_id)).one()
    session.refresh(state)
    flag_state(session, state, source="auto", actor="", reason=reason, now=now, screening=vote.id)
    return reason


def _evidence(log_evidence: float) -> str:
    return f"{math.exp(min(log_evidence, 700)):.3g}"
