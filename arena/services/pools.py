"""The in-memory index of battle-ready clips and what matchmaking knows, per track.

Matchmaking runs on every battle page, so it reads this index instead of the database. The
index holds the active models' clips, the pairs they make, and each track's
:class:`~arena.core.matchmaking.state.PoolState` (live vote counts, current ratings and their
uncertainty, fitted from the maintained statistics at load). It is rebuilt when older than
``catalog_ttl_seconds``, in a background thread while the previous one keeps serving, so a
model synced, retired or claimed while the server runs, and every vote's effect on the
ratings, reach every worker within seconds with no restart and no cost on the request path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.core.matchmaking import plan_for
from arena.core.matchmaking.rotation import Rotation
from arena.core.matchmaking.state import PoolState, StatRow, build_state
from arena.store.engine import session_scope
from arena.store.reads.catalog import showcase_prompts
from arena.store.tables import Clip, Model, PairStat, Prompt

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, eq=False)
class TrackPool:
    """The battle-ready part of one track: active models, their clips, the pairs they make.

    Build one with :func:`build_pool`. ``cache`` holds what is derived from the pool once
    (matchmaking plans, rotation indexes); a new pool starts with an empty one.
    """

    track: str
    clips: dict[tuple[int, str], CatalogClip]
    pairs: tuple[tuple[int, int, tuple[str, ...]], ...]
    """Every pair of active models (lower id first) with the prompts both have a clip for."""
    models: tuple[int, ...]
    """Active model ids with clips on the track, ascending."""
    slugs: dict[int, str]
    pair_a: np.ndarray
    """(P,) position in :attr:`models` of each pair's first model."""
    pair_b: np.ndarray
    state: PoolState
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)


def build_pool(
    track: str,
    clips: Mapping[tuple[int, str], CatalogClip],
    slugs: Mapping[int, str],
    stats: Iterable[StatRow] = (),
) -> TrackPool:
    """Index ``clips`` into pairs sharing a prompt and fit ``stats`` (the track's live counts)."""
    prompts_of: dict[int, set[str]] = {}
    for model_id, prompt_id in clips:
        prompts_of.setdefault(model_id, set()).add(prompt_id)
    models = tuple(sorted(prompts_of))
    pairs = tuple(
        (a, b, tuple(sorted(prompts_of[a] & prompts_of[b])))
        for a, b in combinations(models, 2)
        if prompts_of[a] & prompts_of[b]
    )
    position = {m: k for k, m in enumerate(models)}
    pair_a = np.array([position[a] for a, _, _ in pairs], dtype=np.int64)
    pair_b = np.array([position[b] for _, b, _ in pairs], dtype=np.int64)
    return TrackPool(
        track=track,
        clips=dict(clips),
        pairs=pairs,
        models=models,
        slugs={m: slugs.get(m, str(m)) for m in models},
        pair_a=pair_a,
        pair_b=pair_b,
        state=build_state(models, pair_a, pair_b, stats),
    )


@dataclass(frozen=True)
class Catalog:
    pools: dict[str, TrackPool]
    prompts: dict[str, PromptInfo]
    rotation: Rotation = field(default_factory=Rotation)
    """Prompt and side counts of this process, carried over from one load to the next."""

    def pool(self, track: str) -> TrackPool | None:
        return self.pools.get(track)


def load_catalog(engine: Engine, rotation: Rotation | None = None, *, showcase: int = 0) -> Catalog:
    """Read active models' clips, every prompt and the live vote counts (three queries).

    The first ``showcase`` prompts of each track (``ARENA_SHOWCASE_PROMPTS``) are held out:
    model pages publish their clips, so a battle must never show one.
    """
    with session_scope(engine) as session:
        held_out = showcase_prompts(session, showcase)
        rows = session.exec(
            select(Clip, Model.slug)
            .join(Model, col(Model.id) == col(Clip.model_id))
            .where(col(Model.retired).is_(False))
        ).all()
        prompts = {
            p.id: PromptInfo(p.id, p.track, p.text, p.image_file)
            for p in session.exec(select(Prompt))
        }
        counts = session.exec(
            select(PairStat).where(PairStat.category == "", PairStat.count > 0)
        ).all()
    by_track: dict[str, dict[tuple[int, str], CatalogClip]] = {}
    slugs: dict[int, str] = {}
    for clip, slug in rows:
        assert clip.id is not None
        if clip.prompt_id in held_out:
            continue
        slugs[clip.model_id] = slug
        by_track.setdefault(clip.track, {})[(clip.model_id, clip.prompt_id)] = CatalogClip(
            clip.id, clip.public_id, clip.model_id, clip.prompt_id, clip.has_audio
        )
    stats: dict[str, list[StatRow]] = {}
    for row in counts:
        stats.setdefault(row.track, []).append((row.model_lo, row.model_hi, row.outcome, row.count))
    pools = {
        track: build_pool(track, clips, slugs, stats.get(track, ()))
        for track, clips in by_track.items()
    }
    return Catalog(pools, prompts, rotation or Rotation())


def warm_plans(catalog: Catalog, previous: Catalog) -> None:
    """Build in ``catalog`` the matchmaking plans ``previous`` served, before it serves.

    So the O(pairs) plan of a strategy is computed in the reloading thread, not by the first
    battle after a reload.
    """
    for track, pool in catalog.pools.items():
        old = previous.pools.get(track)
        for key in list(old.cache) if old is not None else ():
            if isinstance(key, tuple) and key[0] == "plan":
                plan_for(pool, key[1], key[2])


class CatalogCache:
    """Hands out the current :class:`Catalog`, reloading it once it is ``ttl`` seconds old.

    The first load happens in the caller. After that a stale catalogue keeps serving while one
    background thread loads the next (queries, the state fits, and the plans the previous one
    served: :func:`warm_plans`), so no request waits for them; with ``ttl == 0`` (tests) every
    call loads a fresh one in the caller instead.
    """

    def __init__(self, engine: Engine, ttl: float, *, showcase: int = 0) -> None:
        self._engine, self._ttl, self._showcase = engine, ttl, showcase
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._loaded = 0.0
        self._refreshing = False
        self._rotation = Rotation()

    def get(self) -> Catalog:
        """The current catalogue, loaded here if there is none (or ``ttl == 0``)."""
        catalog = self.current()
        if catalog is not None:
            return catalog
        with self._lock:
            if self._catalog is None or time.monotonic() - self._loaded > self._ttl:
                self._reload()
        assert self._catalog is not None
        return self._catalog

    def current(self) -> Catalog | None:
        """The catalogue if it can be had without loading it in the caller, else None.

        A stale one is returned while a background thread loads the next.
        """
        catalog = self._catalog
        if catalog is None or time.monotonic() - self._loaded <= self._ttl:
            return catalog
        if self._ttl <= 0:
            return None
        with self._lock:
            start, self._refreshing = not self._refreshing, True
        if start:
            threading.Thread(target=self._refresh, name="arena-catalog", daemon=True).start()
        return catalog

    def _reload(self) -> None:
        catalog = load_catalog(self._engine, self._rotation, showcase=self._showcase)
        if self._catalog is not None:
            warm_plans(catalog, self._catalog)
        self._catalog = catalog
        self._loaded = time.monotonic()

    def _refresh(self) -> None:
        try:
            self._reload()
        except Exception:
            # Keep serving the catalogue we have and try again one ttl later.
            log.exception("reloading the catalogue failed")
            self._loaded = time.monotonic()
        finally:
            self._refreshing = False

    def invalidate(self) -> None:
        self._catalog = None
