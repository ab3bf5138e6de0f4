"""Battle and vote writes: issue a battle; record its one vote with the live rating update."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from arena.errors import Conflict, Forbidden, Gone, NotFound
from arena.models import (
    Battle,
    Model,
    OnlineRating,
    PairStat,
    PromptCategory,
    RevealedSide,
    Vote,
    VoteResult,
    utcnow,
)
from arena.ranking.elo import elo_update
from arena.store.sql import new_public_id, upsert_insert

SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
"""The left model's score per outcome: tie and both_bad are half a win (LMArena convention)."""

FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


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
) -> Battle:
    """Issue a battle to ``voter_id``: single use, expiring ``ttl_seconds`` from now."""
    issued = now or utcnow()
    assert left.id is not None and right.id is not None
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
) -> VoteResult:
    """Store the one vote of a battle and update the live ratings and statistics.

    Raises :class:`NotFound` (no such battle), :class:`Forbidden` (issued to another voter),
    :class:`Conflict` (already voted) or :class:`Gone` (expired). Open the session with
    ``session_scope(engine, write=True)`` so SQLite takes its write lock first.
    """
    now = now or utcnow()
    battle = session.get(Battle, battle_id)
    if battle is None:
        raise NotFound(f"no battle {battle_id!r}")
    if battle.voter_id != voter_id:
        raise Forbidden(f"battle {battle_id!r} was issued to another voter")
    if session.exec(select(Vote.id).where(Vote.battle_id == battle_id)).first() is not None:
        raise Conflict(f"battle {battle_id!r} already has a vote")
    if now > battle.expires_at:
        raise Gone(f"battle {battle_id!r} expired at {battle.expires_at.isoformat()}")
    a, b = battle.left_model_id, battle.right_model_id
    session.add(
        Vote(
            battle_id=battle_id,
            track=battle.track,
            prompt_id=battle.prompt_id,
            model_a_id=a,
            model_b_id=b,
            outcome=outcome,
            voter_id=voter_id,
            created_at=now,
            watch_ms=watch_ms,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"battle {battle_id!r} already has a vote") from None
    ra, rb = _lock_ratings(session, battle.track, a, b, initial)
    before_a, before_b = ra.rating, rb.rating
    ra.rating, rb.rating = elo_update(before_a, before_b, SCORE[outcome], k=k)
    for rating, score in ((ra, SCORE[outcome]), (rb, 1.0 - SCORE[outcome])):
        rating.votes += 1
        rating.wins += score == 1.0
        rating.losses += score == 0.0
        rating.ties += score == 0.5
        session.add(rating)
    categories = session.exec(
        select(PromptCategory.category).where(PromptCategory.prompt_id == battle.prompt_id)
    ).all()
    _count_pair(session, battle.track, ["", *categories], a, b, outcome, 1)
    session.commit()
    model_a, model_b = session.get(Model, a), session.get(Model, b)
    assert model_a is not None and model_b is not None
    return VoteResult(
        battle_id=battle_id,
        outcome=outcome,  # type: ignore[arg-type]
        left=_reveal(model_a, before_a, ra.rating),
        right=_reveal(model_b, before_b, rb.rating),
    )


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
) -> tuple[OnlineRating, OnlineRating]:
    """Both models' live ratings, created at ``initial`` if new, locked in id order."""
    stmt = (
        upsert_insert(session, OnlineRating)
        .values([{"track": track, "model_id": m, "rating": initial} for m in sorted({a, b})])
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    rows = session.exec(
        select(OnlineRating)
        .where(OnlineRating.track == track, col(OnlineRating.model_id).in_([a, b]))
        .order_by(col(OnlineRating.model_id))
        .with_for_update()
    ).all()
    by_id = {r.model_id: r for r in rows}
    return by_id[a], by_id[b]


def _count_pair(
    session: Session, track: str, categories: Iterable[str], a: int, b: int, outcome: str, n: int
) -> None:
    lo, hi, side = (a, b, outcome) if a < b else (b, a, FLIP[outcome])
    rows = [
        {"track": track, "category": c, "model_lo": lo, "model_hi": hi, "outcome": side, "count": n}
        for c in categories
    ]
    stmt = upsert_insert(session, PairStat).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["track", "category", "model_lo", "model_hi", "outcome"],
        set_={"count": PairStat.__table__.c.count + stmt.excluded.count},  # type: ignore[attr-defined]
    )
    session.execute(stmt)
