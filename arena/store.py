"""Every write to the database: keyword-only functions, each one transaction, each committed here.

Routes and the CLI hold no SQL and no commit: they call these. The vote path
(:func:`record_vote`) stores the vote, moves both models' live Elo ratings and bumps the
sufficient statistics in one transaction, so a crash leaves all of it or none of it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from arena.errors import Conflict, Forbidden, Gone, NotFound
from arena.media.probe import ClipInfo
from arena.models import (
    Battle,
    Clip,
    Model,
    OnlineRating,
    PairStat,
    Prompt,
    PromptCategory,
    RatingEntry,
    RatingSnapshot,
    RevealedSide,
    Vote,
    VoteResult,
    utcnow,
)
from arena.ranking.elo import elo_update
from arena.registry.base import ModelSpec, PromptSpec

SCORE = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
"""The left model's score per outcome: tie and both_bad are half a win (LMArena convention)."""

FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


class ClipLike(Protocol):
    """A clip row or a catalogue entry: anything with the clip's id and its model's id."""

    @property
    def id(self) -> int | None: ...

    @property
    def model_id(self) -> int: ...


def new_public_id() -> str:
    """An opaque, unguessable id for URLs (clips, battles, images): 128 random bits."""
    return secrets.token_urlsafe(16)


def _insert(session: Session, table: type[SQLModel]) -> Any:
    dialect = session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


# --- catalogue ----------------------------------------------------------------------------


def upsert_model(session: Session, *, spec: ModelSpec) -> Model:
    """Create the model, or refresh its metadata from the config (its votes stay)."""
    model = session.exec(select(Model).where(Model.slug == spec.id)).first()
    if model is None:
        model = Model(slug=spec.id, name=spec.name, provider=spec.provider)
    model.name = spec.name
    model.provider = spec.provider
    model.organization = spec.organization
    model.license = spec.license
    model.release_date = spec.release_date
    model.link = spec.link
    session.add(model)
    session.commit()
    return model


def upsert_prompt(session: Session, *, spec: PromptSpec, image_file: str | None) -> Prompt:
    """Create or update a prompt and its categories."""
    prompt = session.get(Prompt, spec.id) or Prompt(id=spec.id, track=spec.track, text=spec.text)
    prompt.track, prompt.text, prompt.image_file = spec.track, spec.text, image_file
    session.add(prompt)
    current = set(
        session.exec(select(PromptCategory.category).where(PromptCategory.prompt_id == spec.id))
    )
    wanted = set(spec.categories)
    for category in wanted - current:
        session.add(PromptCategory(prompt_id=spec.id, category=category))
    for category in current - wanted:
        stale = session.get(PromptCategory, (spec.id, category))
        if stale is not None:
            session.delete(stale)
    session.commit()
    return prompt


def put_clip(
    session: Session,
    *,
    model_id: int,
    prompt_id: str,
    track: str,
    public_id: str,
    file: str,
    digest: str,
    info: ClipInfo,
) -> Clip:
    """Store a model's clip for a prompt, replacing an older one (a new file gets a new id)."""
    clip = session.exec(
        select(Clip).where(Clip.model_id == model_id, Clip.prompt_id == prompt_id)
    ).first()
    if clip is None:
        clip = Clip(
            model_id=model_id,
            prompt_id=prompt_id,
            public_id=public_id,
            track=track,
            file=file,
            size_bytes=info.size_bytes,
            duration=info.duration,
            width=info.width,
            height=info.height,
            fps=info.fps,
            video_codec=info.video_codec,
            has_audio=info.has_audio,
        )
    clip.public_id, clip.track, clip.file, clip.source_digest = public_id, track, file, digest
    clip.size_bytes, clip.duration, clip.width, clip.height = (
        info.size_bytes,
        info.duration,
        info.width,
        info.height,
    )
    clip.fps, clip.video_codec, clip.audio_codec, clip.has_audio = (
        info.fps,
        info.video_codec,
        info.audio_codec,
        info.has_audio,
    )
    session.add(clip)
    session.commit()
    return clip


# --- battles and votes --------------------------------------------------------------------


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
        _insert(session, OnlineRating)
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
    stmt = _insert(session, PairStat).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["track", "category", "model_lo", "model_hi", "outcome"],
        set_={"count": PairStat.__table__.c.count + stmt.excluded.count},  # type: ignore[attr-defined]
    )
    session.execute(stmt)


# --- ratings ------------------------------------------------------------------------------


def save_snapshot(
    session: Session,
    *,
    track: str,
    category: str,
    method: str,
    params: Mapping[str, Any],
    seed: int,
    vote_count: int,
    fingerprint: str,
    entries: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> RatingSnapshot:
    """Store one recompute's result; ``entries`` are :class:`RatingEntry` fields per model."""
    snapshot = RatingSnapshot(
        track=track,
        category=category,
        method=method,
        params=json.dumps(dict(params)),
        seed=seed,
        vote_count=vote_count,
        fingerprint=fingerprint,
        created_at=now or utcnow(),
    )
    session.add(snapshot)
    session.flush()
    assert snapshot.id is not None
    for entry in entries:
        session.add(RatingEntry(snapshot_id=snapshot.id, **entry))
    session.commit()
    return snapshot
