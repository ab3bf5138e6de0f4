"""The in-memory index of battle-ready clips, per track, refreshed from the database.

Matchmaking runs on every battle page, so it reads this index instead of the database. The
index is rebuilt when older than ``catalog_ttl_seconds``, so a model synced, retired or claimed
while the server runs is seen within seconds by every worker, with no restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.db import session_scope
from arena.models import Clip, Model, Prompt


@dataclass(frozen=True)
class CatalogClip:
    id: int
    public_id: str
    model_id: int
    prompt_id: str
    has_audio: bool


@dataclass(frozen=True)
class PromptInfo:
    id: str
    track: str
    text: str
    image_file: str | None


@dataclass(frozen=True)
class TrackPool:
    """The battle-ready part of one track: active models, their clips, the pairs they make."""

    track: str
    clips: dict[tuple[int, str], CatalogClip]
    pairs: tuple[tuple[int, int, tuple[str, ...]], ...]
    """Every pair of active models (lower id first) with the prompts both have a clip for."""

    @property
    def models(self) -> tuple[int, ...]:
        return tuple(sorted({m for m, _ in self.clips}))


@dataclass(frozen=True)
class Catalog:
    pools: dict[str, TrackPool]
    prompts: dict[str, PromptInfo]

    def pool(self, track: str) -> TrackPool | None:
        return self.pools.get(track)


def load_catalog(engine: Engine) -> Catalog:
    """Read active models' clips and every prompt (two queries)."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Clip)
            .join(Model, col(Model.id) == col(Clip.model_id))
            .where(col(Model.retired).is_(False))
        ).all()
        prompts = {
            p.id: PromptInfo(p.id, p.track, p.text, p.image_file)
            for p in session.exec(select(Prompt))
        }
    by_track: dict[str, dict[tuple[int, str], CatalogClip]] = {}
    for clip in rows:
        assert clip.id is not None
        by_track.setdefault(clip.track, {})[(clip.model_id, clip.prompt_id)] = CatalogClip(
            clip.id, clip.public_id, clip.model_id, clip.prompt_id, clip.has_audio
        )
    pools = {}
    for track, clips in by_track.items():
        prompts_of: dict[int, set[str]] = {}
        for model_id, prompt_id in clips:
            prompts_of.setdefault(model_id, set()).add(prompt_id)
        pairs = tuple(
            (a, b, tuple(sorted(prompts_of[a] & prompts_of[b])))
            for a, b in combinations(sorted(prompts_of), 2)
            if prompts_of[a] & prompts_of[b]
        )
        pools[track] = TrackPool(track, clips, pairs)
    return Catalog(pools, prompts)


class CatalogCache:
    """Hands out the current :class:`Catalog`, reloading it at most every ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine, self._ttl = engine, ttl
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._loaded = 0.0

    def get(self) -> Catalog:
        now = time.monotonic()
        if self._catalog is None or now - self._loaded > self._ttl:
            with self._lock:
                if self._catalog is None or now - self._loaded > self._ttl:
                    self._catalog = load_catalog(self._engine)
                    self._loaded = time.monotonic()
        return self._catalog

    def invalidate(self) -> None:
        self._catalog = None
