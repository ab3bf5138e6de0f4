"""Catalogue tables: models, prompts and their categories, clips."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow


class Model(SQLModel, table=True):
    """A video-generation model. ``slug`` is the configured id; ``id`` never leaves the server."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)
    organization: str = Field(default="", max_length=200)
    license: str = Field(default="", max_length=100)
    release_date: date | None = None
    link: str = Field(default="", max_length=500)
    provider: str = Field(max_length=100)
    tracks: str = Field(default="", max_length=200)
    """The tracks it competes on, space-separated, as configured at the last sync."""
    retired: bool = False
    retired_at: datetime | None = None
    claimed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ModelClaim(SQLModel, table=True):
    """A model launched under a codename, claimed: renamed to its real name and maker.

    Votes and ratings hang off ``model_id``, so they carry over; this row keeps the record.
    """

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="model.id", index=True)
    from_slug: str = Field(index=True, max_length=100)
    from_name: str = Field(max_length=200)
    from_organization: str = Field(default="", max_length=200)
    to_slug: str = Field(max_length=100)
    to_name: str = Field(max_length=200)
    to_organization: str = Field(default="", max_length=200)
    note: str = ""
    claimed_at: datetime = Field(default_factory=utcnow)


class Prompt(SQLModel, table=True):
    """A prompt of one track; image-to-video prompts carry a source image (opaque file name)."""

    id: str = Field(primary_key=True, max_length=100)
    track: str = Field(index=True, max_length=40)
    text: str
    image_file: str | None = Field(default=None, max_length=200)


class PromptCategory(SQLModel, table=True):
    """One category of a prompt (people, animals, motion, camera, ...), for category boards."""

    prompt_id: str = Field(foreign_key="prompt.id", primary_key=True, max_length=100)
    category: str = Field(primary_key=True, max_length=60)


class Clip(SQLModel, table=True):
    """A model's clip for a prompt, probed. Served to voters only by per-battle URLs
    (``/battles/{id}/left``); ``public_id`` names the file and never leaves the server."""

    __table_args__ = (UniqueConstraint("model_id", "prompt_id"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(unique=True, index=True, max_length=40)
    model_id: int = Field(foreign_key="model.id", index=True)
    prompt_id: str = Field(foreign_key="prompt.id", index=True, max_length=100)
    track: str = Field(index=True, max_length=40)
    file: str = Field(max_length=200)
    source_digest: str = Field(default="", max_length=64)
    """The provider's digest of the source: unchanged means nothing to do on a re-sync."""
    source_file: str = Field(default="", max_length=200)
    """The original, kept under the sources folder (``originals/<sha256>.<ext>``)."""
    source_duration: float = 0.0
    """Seconds of the original: with the track's policy, sets the normalized length."""
    norm_key: str = Field(default="", max_length=64)
    """Digest of the normalization (policy, encoder, frame count) that made ``file``."""
    size_bytes: int
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str = Field(max_length=40)
    audio_codec: str | None = Field(default=None, max_length=40)
    has_audio: bool
    created_at: datetime = Field(default_factory=utcnow)
