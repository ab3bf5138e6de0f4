"""Battle and vote writes: issue a battle; record its one vote with the live rating update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from arena.errors import Conflict, Forbidden, Gone, NotFound
from arena.integrity.policy import IntegrityPolicy, RateLimit
from arena.models import (
    Battle,
    Model,
    OnlineRating,
    PromptCategory,
    RevealedSide,
    Vote,
    VoteResult,
    utcnow,
)
from arena.ranking.elo import elo_update
from arena.store.integrity import screen_vote
from arena.store.pairstats import add_pair_counts, pair_keys
from arena.store.ratelimits import take_rate
from arena.store.sql import new_public_id, upsert

SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
"""The left model's score per outcome: tie and both_bad are half a win (LMArena convention)."""

NO_RULES = IntegrityPolicy()
"""No watch-time rule, no limits, no anomaly test: for simulations and imports."""

NOTES = {
    "watch_time": "Your vote was recorded but does not count: the clips did not play long "
    "enough before it. Watch both clips, then vote.",
    "voter": "Your vote was recorded and is held for review; it does not count for now.",
}
"""What the voter is told when a vote is stored but excluded (never the exact rule hit)."""


class ClipLike(Protocol):
    """A clip row or a catalogue entry: anything with the clip's id and its model's id."""

    @property
    def id(self) -> int | None: ...

    @property
    def model_id(self) -> int: ...


def create_battle(
    session: Session,
    *,
    track: str,
    prompt_id: str,
    left: ClipLike,
    right: ClipLike,
    voter_id: str,
    ttl_seconds: int,
    strategy: str,
    probability: float,
    now: datetime | None = None,
    limits: Sequence[tuple[str, RateLimit]] = (),
) -> Battle:
    """Issue a battle to ``voter_id``: single use, expiring ``ttl_seconds`` from now.

    ``limits`` are ``(key, limit)`` rate limits this request counts against
    (:func:`arena.store.ratelimits.take_rate`); over one, :class:`RateLimited` is raised.
    """
    issued = now or utcnow()
    assert left.id is not None and right.id is not None
    take_rate(session, limits=limits, now=issued.timestamp(), what="battles")
    battle = Battle(
        id=new_public_id(),
        track=track,
        prompt_id=prompt_id,
        left_clip_id=left.id,
        right_clip_id=right.id,
        left_model_id=left.model_id,
        right_model_id=right.model_id,
        voter_id=voter_id,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=ttl_seconds),
        strategy=strategy,
        pair_probability=probability,
    )
    session.add(battle)
    session.commit()
    return battle


def record_vote(
    session: Session,
    *,
    battle_id: str,
    voter_id: str,
    outcome: str,
    watch_ms: int | None,
    k: float,
    initial: float,
    now: datetime | None = None,
    policy: IntegrityPolicy = NO_RULES,
    ip_hash: str | None = None,
) -> VoteResult:
    """Store the one vote of a battle; if it counts, update the live ratings and statistics.

    Raises :class:`NotFound` (no such battle), :class:`Forbidden` (issued to another voter),
    :class:`Conflict` (already voted), :class:`Gone` (expired) or :class:`RateLimited` (the
    voter or address is over a vote limit of ``policy``; nothing is stored). A vote that
    fails the watch-time rule, or comes from a flagged voter, is stored with an exclusion
    and moves nothing (``counted`` is false). Open the session with
    ``session_scope(engine, write=True)`` so SQLite takes its write lock first.
    """
    now = now or utcnow()
    found = session.exec(
        select(Battle, Vote.id)
        .outerjoin(Vote, col(Vote.battle_id) == col(Battle.id))
        .where(Battle.id == battle_id)
    ).first()
    if found is None:
        raise NotFound(f"no battle {battle_id!r}")
    battle, voted = found
    if battle.voter_id != voter_id:
        raise Forbidden(f"battle {battle_id!r} was issued to another voter")
    if voted is not None:
        raise Conflict(f"battle {battle_id!r} already has a vote")
    if now > battle.expires_at:
        raise Gone(f"battle {battle_id!r} expired at {battle.expires_at.isoformat()}")
    limits = [(f"vote:v:{voter_id}", limit) for limit in policy.voter_vote_limits]
    if ip_hash:
        limits += [(f"vote:ip:{ip_hash}", limit) for limit in policy.ip_vote_limits]
    take_rate(session, limits=limits, now=now.timestamp(), what="votes")
    a, b = battle.left_model_id, battle.right_model_id
    vote = Vote(
        battle_id=battle_id,
        track=battle.track,
        prompt_id=battle.prompt_id,
        model_a_id=a,
        model_b_id=b,
        outcome=outcome,
        voter_id=voter_id,
        created_at=now,
        watch_ms=watch_ms,
        ip_hash=ip_hash,
    )
    session.add(vote)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"battle {battle_id!r} already has a vote") from None
    verdict = screen_vote(session, vote=vote, battle=battle, policy=policy, now=now)
    models = {m.id: m for m in session.exec(select(Model).where(col(Model.id).in_([a, b])))}
    if not verdict.counted:
        ratings = _current_ratings(session, battle.track, a, b, initial)
        session.commit()
        return _result(battle_id, outcome, models[a], models[b], ratings, ratings, verdict.reason)
    before_a, before_b = _lock_ratings(session, battle.track, a, b, initial)
    after = elo_update(before_a, before_b, SCORE[outcome], k=k)
    session.execute(
        _MOVE_RATING,
        [
            {
                "track": battle.track,
                "model": model,
                "rating": rating,
                "win": int(score == 1.0),
                "loss": int(score == 0.0),
                "tie": int(score == 0.5),
            }
            for model, rating, score in (
                (a, after[0], SCORE[outcome]),
                (b, after[1], 1.0 - SCORE[outcome]),
            )
        ],
    )
    categories = session.exec(
        select(PromptCategory.category).where(PromptCategory.prompt_id == battle.prompt_id)
    ).all()
    add_pair_counts(
        session, [(key, 1) for key in pair_keys(battle.track, categories, a, b, outcome)]
    )
    session.commit()
    return _result(battle_id, outcome, models[a], models[b], (before_a, before_b), after, None)


def _result(
    battle_id: str,
    outcome: str,
    model_a: Model,
    model_b: Model,
    before: tuple[float, float],
    after: tuple[float, float],
    excluded: str | None,
) -> VoteResult:
    """The reveal (built from rows read inside the vote's transaction: no second one)."""
    return VoteResult(
        battle_id=battle_id,
        outcome=outcome,  # type: ignore[arg-type]
        left=_reveal(model_a, before[0], after[0]),
        right=_reveal(model_b, before[1], after[1]),
        counted=excluded is None,
        note=NOTES.get(excluded or ""),
    )


def _current_ratings(
    session: Session, track: str, a: int, b: int, initial: float
) -> tuple[float, float]:
    """Both models' live ratings, unlocked (an excluded vote changes neither)."""
    rows = dict(
        session.exec(
            select(OnlineRating.model_id, OnlineRating.rating).where(
                OnlineRating.track == track, col(OnlineRating.model_id).in_([a, b])
            )
        ).all()
    )
    return rows.get(a, initial), rows.get(b, initial)


def _reveal(model: Model, before: float, after: float) -> RevealedSide:
    return RevealedSide(
        model=model.slug,
        name=model.name,
        organization=model.organization,
        rating_before=round(before, 2),
        rating=round(after, 2),
    )


def _lock_ratings(
    session: Session, track: str, a: int, b: int, initial: float
) -> tuple[float, float]:
    """Both models' live ratings, created at ``initial`` if new, locked in id order.

    One INSERT ... ON CONFLICT DO UPDATE (a no-op update) RETURNING creates, locks and reads
    both rows; the VALUES are in id order, so concurrent votes lock in the same order.
    """
    rows = upsert(
        session,
        OnlineRating,
        [
            {"track": track, "model_id": m, "rating": initial, "votes": 0}
            | {"wins": 0, "losses": 0, "ties": 0}
            for m in sorted({a, b})
        ],
        conflict=("track", "model_id"),
        update='"rating" = onlinerating."rating"',
        returning='"model_id", "rating"',
    )
    by_id: dict[int, float] = {model: rating for model, rating in rows}
    return by_id[a], by_id[b]


_MOVE_RATING = text(
    'UPDATE onlinerating SET "rating" = :rating, "votes" = "votes" + 1, "wins" = "wins" + :win, '
    '"losses" = "losses" + :loss, "ties" = "ties" + :tie '
    'WHERE "track" = :track AND "model_id" = :model'
)
