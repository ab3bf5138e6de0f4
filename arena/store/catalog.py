"""Catalogue writes: models (and their lifecycle: retire, claim), prompts, clips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from arena.core.clock import utcnow
from arena.core.errors import Conflict, NotFound
from arena.registry.base import ModelSpec, PromptSpec
from arena.store.pairstats import lock_prompt, recategorize
from arena.store.tables import Clip, Model, ModelClaim, Prompt, PromptCategory

if TYPE_CHECKING:  # PyAV is slow to import and the vote path never needs it
    from arena.media.probe import ClipInfo


def upsert_model(session: Session, *, spec: ModelSpec) -> Model:
    """Create the model, or refresh its metadata from the config (its votes stay).

    A config that still names a claimed model by its codename finds the claimed model, whose
    real name and maker are kept: the claim, not the stale config, says who made it.
    """
    model = session.exec(select(Model).where(Model.slug == spec.id)).first()
    if model is None:
        claim = session.exec(
            select(ModelClaim).where(ModelClaim.from_slug == spec.id).order_by(col(ModelClaim.id))
        ).first()
        if claim is not None:
            claimed = session.get(Model, claim.model_id)
            assert claimed is not None
            claimed.provider, claimed.tracks = spec.provider, " ".join(spec.tracks)
            session.add(claimed)
            session.commit()
            return claimed
        model = Model(slug=spec.id, name=spec.name, provider=spec.provider)
    model.name = spec.name
    model.provider = spec.provider
    model.tracks = " ".join(spec.tracks)
    model.organization = spec.organization
    model.license = spec.license
    model.release_date = spec.release_date
    model.link = spec.link
    session.add(model)
    session.commit()
    return model


def _model(session: Session, slug: str) -> Model:
    model = session.exec(select(Model).where(Model.slug == slug)).first()
    if model is None:
        raise NotFound(f"no model {slug!r}")
    return model


def set_retired(session: Session, *, slug: str, retired: bool) -> Model:
    """Retire a model (no new battles; its votes and leaderboard line stay) or bring it back."""
    model = _model(session, slug)
    model.retired = retired
    model.retired_at = utcnow() if retired else None
    session.add(model)
    session.commit()
    return model


def claim_model(
    session: Session,
    *,
    slug: str,
    new_slug: str,
    name: str,
    organization: str,
    license: str | None = None,
    link: str | None = None,
    note: str = "",
) -> ModelClaim:
    """Reveal who made a model launched under a codename: rename it, keep its votes, record it."""
    model = _model(session, slug)
    if new_slug != slug and session.exec(select(Model).where(Model.slug == new_slug)).first():
        raise Conflict(f"model id {new_slug!r} is already taken")
    assert model.id is not None
    now = utcnow()
    claim = ModelClaim(
        model_id=model.id,
        from_slug=model.slug,
        from_name=model.name,
        from_organization=model.organization,
        to_slug=new_slug,
        to_name=name,
        to_organization=organization,
        note=note,
        claimed_at=now,
    )
    model.slug, model.name, model.organization, model.claimed_at = new_slug, name, organization, now
    if license is not None:
        model.license = license
    if link is not None:
        model.link = link
    session.add(claim)
    session.add(model)
    session.commit()
    return claim


def upsert_prompt(session: Session, *, spec: PromptSpec, image_file: str | None) -> Prompt:
    """Create or update a prompt and its categories.

    A change of categories moves the prompt's counted votes between the category statistics
    in the same transaction (:func:`arena.store.pairstats.recategorize`), so the category
    leaderboards stay equal to a rescan. Votes keep the track they were cast in.
    """
    prompt = lock_prompt(session, spec.id) or Prompt(id=spec.id, track=spec.track, text=spec.text)
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
    recategorize(session, prompt_id=spec.id, added=wanted - current, removed=current - wanted)
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
    source_file: str = "",
    source_duration: float = 0.0,
    norm_key: str = "",
) -> Clip:
    """Store a model's clip for a prompt, replacing an older one (a new file gets a new id).

    ``info`` describes the served (normalized) file; ``source_*`` the original it came from.
    The clip row, and so every battle and vote on it, stays the same across replacements.
    """
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
    clip.source_file, clip.source_duration, clip.norm_key = (
        source_file,
        source_duration,
        norm_key,
    )
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
