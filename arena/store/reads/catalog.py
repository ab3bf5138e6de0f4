"""Read-only views of the database for the CLI and admin pages (writes live in arena.store)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from arena.core.vocabulary import TRACKS, Side
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, Model, ModelClaim, OnlineRating, Prompt


def model_listing(engine: Engine, prompts: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every model: metadata, provider, tracks, status (retired, claimed), clips per track, and
    the prompts of its tracks it has no clip for.

    ``prompts`` (prompt id to track) restricts "lacking" to the configured prompts; by default
    every prompt in the database counts.
    """
    with session_scope(engine) as session:
        models = session.exec(select(Model).order_by(Model.slug)).all()
        clips = session.exec(select(Clip.model_id, Clip.track, Clip.prompt_id)).all()
        if prompts is None:
            prompts = {p.id: p.track for p in session.exec(select(Prompt))}
        claims = session.exec(select(ModelClaim).order_by(col(ModelClaim.id))).all()
    have: dict[int, dict[str, set[str]]] = {}
    for model_id, track, prompt_id in clips:
        have.setdefault(model_id, {}).setdefault(track, set()).add(prompt_id)
    codenames: dict[int, list[str]] = {}
    for claim in claims:
        codenames.setdefault(claim.model_id, []).append(claim.from_slug)
    rows = []
    for m in models:
        assert m.id is not None
        tracks = m.tracks.split() if m.tracks else sorted(have.get(m.id, {}))
        mine = have.get(m.id, {})
        lacking = sorted(
            pid
            for pid, track in prompts.items()
            if track in tracks and pid not in mine.get(track, set())
        )
        rows.append(
            {
                "model": m.slug,
                "name": m.name,
                "organization": m.organization,
                "license": m.license,
                "provider": m.provider,
                "tracks": tracks,
                "retired": m.retired,
                "retired_at": m.retired_at,
                "claimed_from": codenames.get(m.id, []),
                "claimed_at": m.claimed_at,
                "clips": {t: len(p) for t, p in sorted(mine.items())},
                "lacking": lacking,
            }
        )
    return rows


@dataclass(frozen=True)
class StoredClip:
    """What ingestion needs to know about a clip already in the database."""

    prompt_id: str
    public_id: str
    file: str
    source_digest: str
    source_file: str
    source_duration: float
    norm_key: str


def stored_clips(engine: Engine, model_id: int) -> dict[str, StoredClip]:
    """A model's clips by prompt id."""
    with session_scope(engine) as session:
        rows = session.exec(select(Clip).where(Clip.model_id == model_id)).all()
    return {
        c.prompt_id: StoredClip(
            c.prompt_id,
            c.public_id,
            c.file,
            c.source_digest,
            c.source_file,
            c.source_duration,
            c.norm_key,
        )
        for c in rows
    }


def clip_files(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    """(model slug, prompt id, track, served file, original's file) of every clip of every
    model that is not retired: what battles can show."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Model.slug, Clip)
            .join(Model, col(Model.id) == col(Clip.model_id))
            .where(col(Model.retired).is_(False))
            .order_by(col(Clip.track), col(Clip.prompt_id), col(Model.slug))
        ).all()
    return [(slug, c.prompt_id, c.track, c.file, c.source_file) for slug, c in rows]


@dataclass(frozen=True)
class BattleClip:
    """What serving one side of a battle needs: whose battle, until when, which file."""

    voter_id: str
    expires_at: datetime
    file: str


def battle_clip(session: Session, *, battle_id: str, side: Side) -> BattleClip | None:
    """The clip shown on ``side`` of battle ``battle_id``, or None (no such battle or clip)."""
    clip_id = Battle.left_clip_id if side == "left" else Battle.right_clip_id
    row = session.exec(
        select(Battle.voter_id, Battle.expires_at, Clip.file)
        .join(Clip, col(Clip.id) == clip_id)
        .where(Battle.id == battle_id)
    ).first()
    if row is None:
        return None
    voter_id, expires_at, file = row
    if expires_at.tzinfo is None:  # SQLite keeps UTC without the zone
        expires_at = expires_at.replace(tzinfo=UTC)
    return BattleClip(voter_id, expires_at, file)


def showcase_prompts(session: Session, per_track: int) -> dict[str, str]:
    """Prompt id -> track of the showcased prompts: the first ``per_track`` of each track (by
    id). Model pages show their clips; battles never do."""
    out: dict[str, str] = {}
    if per_track <= 0:
        return out
    for track in TRACKS:
        for prompt_id in session.exec(
            select(Prompt.id).where(Prompt.track == track).order_by(col(Prompt.id)).limit(per_track)
        ):
            out[prompt_id] = track
    return out


def model_by_slug(session: Session, slug: str) -> Model | None:
    """The model whose current id is ``slug``."""
    return session.exec(select(Model).where(Model.slug == slug)).first()


def claimed_model(session: Session, slug: str) -> Model | None:
    """The model that last claimed the codename ``slug`` (None if none did)."""
    claim = session.exec(
        select(ModelClaim).where(ModelClaim.from_slug == slug).order_by(col(ModelClaim.id).desc())
    ).first()
    return None if claim is None else session.get(Model, claim.model_id)


def claims_of(session: Session, model_id: int) -> list[ModelClaim]:
    """The codenames a model claimed, oldest first."""
    query = select(ModelClaim).where(ModelClaim.model_id == model_id)
    return list(session.exec(query.order_by(col(ModelClaim.id))).all())


def model_clip(session: Session, model_id: int, prompt_id: str) -> Clip | None:
    """The model's clip of a prompt."""
    query = select(Clip).where(Clip.model_id == model_id, Clip.prompt_id == prompt_id)
    return session.exec(query).first()


def model_clips(
    session: Session, model_id: int, prompt_ids: Iterable[str]
) -> list[tuple[Clip, Prompt]]:
    """The model's clips of ``prompt_ids`` with their prompts, by track then prompt."""
    return list(
        session.exec(
            select(Clip, Prompt)
            .join(Prompt, col(Prompt.id) == col(Clip.prompt_id))
            .where(Clip.model_id == model_id, col(Clip.prompt_id).in_(list(prompt_ids)))
            .order_by(col(Clip.track), col(Clip.prompt_id))
        ).all()
    )


def online_ratings(session: Session, model_id: int) -> dict[str, OnlineRating]:
    """The model's live Elo rating per track."""
    rows = session.exec(select(OnlineRating).where(OnlineRating.model_id == model_id))
    return {r.track: r for r in rows}


def model_slugs(session: Session) -> dict[int, str]:
    """Every model's current id (slug), by database id."""
    return {m.id: m.slug for m in session.exec(select(Model)) if m.id is not None}
