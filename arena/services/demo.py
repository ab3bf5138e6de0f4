"""The demo arena: the packaged config copied into the data directory, source images rendered,
clips synced, and (optionally) votes from simulated voters who know each model's true strength.

A first start renders in stages: :func:`prepare_tracks` renders the procedural models' missing
clips of some tracks in one pool of processes (``render``), then syncs those tracks (``check``,
``normalize``). ``arena demo`` does this for :func:`first_track` alone, serves it, and prepares
the other tracks in the background; the server's catalogue picks each clip up once it is stored.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Collection
from importlib.resources import files
from pathlib import Path

import numpy as np

from arena import store
from arena.core.vocabulary import TRACKS
from arena.registry.config import ArenaConfig
from arena.registry.plugins import Registry
from arena.registry.procedural import (
    ProceduralProvider,
    format_of,
    plan_renders,
    render_all,
    render_source_image,
)
from arena.services.battles import new_battle
from arena.services.ingest import Progress, SyncReport, sync
from arena.settings import Settings
from arena.store import Engine
from arena.store.engine import session_scope
from arena.store.reads.catalog import model_slugs
from arena.store.reads.pools import load_catalog
from arena.store.writer import Write


def prepare_demo_config(data_dir: Path, template: Path | None = None) -> Path:
    """Copy the demo ``arena.toml`` into ``data_dir`` (once) and render its source images.

    The copy is a real config file: edit it, or use it as the model for your own arena.
    """
    path = data_dir / "arena.toml"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(str(template or files("arena.registry") / "demo.toml"), path)
    render_scene_images(path)
    return path


def render_scene_images(path: Path) -> None:
    """Render, beside the config at ``path``, each prompt image described by a ``scene``."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    models = raw.get("models", [])
    fmt = format_of(models[0].get("options", {})) if models else None
    for prompt in raw.get("prompts", []):
        if "image" in prompt and "scene" in prompt:
            image = path.parent / prompt["image"]
            if not image.exists():
                render_source_image(prompt["scene"], image, fmt)


def tracks_of(config: ArenaConfig) -> list[str]:
    """The tracks that have prompts, in the usual order."""
    used = {p.track for p in config.prompts}
    return [t for t in TRACKS if t in used]


def first_track(config: ArenaConfig) -> str | None:
    """The track served first: the first on which two models share a prompt (None if none)."""
    for track in tracks_of(config):
        prompts = {p.id for p in config.prompts if p.track == track}
        if prompts and sum(track in m.tracks for m in config.models) >= 2:
            return track
    return None


def render_missing(
    registry: Registry,
    settings: Settings,
    tracks: Collection[str],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> int:
    """Render every procedural model's missing clips of ``tracks`` in one pool of processes
    (one per core); return how many were rendered. The sync then finds them done."""
    config = registry.config
    jobs = []
    for spec in config.models:
        if not isinstance(registry.providers.get(spec.provider), ProceduralProvider):
            continue
        prompts = [p for p in config.prompts_for(spec) if p.track in tracks]
        workdir = settings.sources_dir / spec.provider
        jobs.extend(plan_renders(spec, prompts, workdir=workdir)[1])
    workers = workers or os.cpu_count() or 1
    for done, job in enumerate(render_all(jobs, workers=workers), start=1):
        if progress:
            progress(done, len(jobs), f"render {job.model_id} / {job.prompt_id}")
    return len(jobs)


def prepare_tracks(
    engine: Engine,
    registry: Registry,
    settings: Settings,
    tracks: Collection[str],
    *,
    progress: Progress | None = None,
    write: Write | None = None,
) -> SyncReport:
    """Render (``render``), then sync (``check``, ``normalize``) the clips of ``tracks``;
    ``write`` runs the sync's writes (a serving process's writer)."""
    render_missing(registry, settings, tracks, progress=progress)
    return sync(engine, registry, settings, progress=progress, tracks=tracks, write=write)


def true_strengths(config: ArenaConfig) -> dict[str, float]:
    """Each model's ``true_elo`` option (1000 where unset)."""
    return {m.id: float(m.options.get("true_elo", 1000.0)) for m in config.models}


def simulate_outcome(
    r_left: float, r_right: float, rng: np.random.Generator, *, tie_rate: float = 0.1
) -> str:
    """A simulated voter's verdict under Bradley-Terry with the true ratings.

    A share ``tie_rate`` of voters abstain: ``both_bad`` when both models are weak, else ``tie``.
    """
    if rng.random() < tie_rate:
        return "both_bad" if max(r_left, r_right) < 950 else "tie"
    p_left = 1.0 / (1.0 + 10 ** ((r_right - r_left) / 400))
    return "a" if rng.random() < p_left else "b"


def seed_votes(
    engine: Engine,
    settings: Settings,
    config: ArenaConfig,
    *,
    votes: int,
    seed: int = 0,
    progress: Progress | None = None,
    refresh: int = 50,
) -> int:
    """Cast ``votes`` simulated votes through the real battle and vote path; return how many.

    The catalogue (with the live counts the matchmaking strategies read) is reloaded every
    ``refresh`` votes, as a server reloads it every few seconds.
    """
    rng = np.random.default_rng(seed)
    strength = true_strengths(config)
    catalog = load_catalog(engine, showcase=settings.showcase_prompts)
    with session_scope(engine) as session:
        slug = model_slugs(session)
    tracks = [t for t in TRACKS if (pool := catalog.pool(t)) is not None and pool.pairs]
    if not tracks:
        return 0
    for i in range(votes):
        if i and i % refresh == 0:
            catalog = load_catalog(engine, catalog.rotation, showcase=settings.showcase_prompts)
        track = tracks[int(rng.integers(len(tracks)))]
        voter = f"simulated-{int(rng.integers(200))}"
        with session_scope(engine, write=True) as session:
            battle, _ = new_battle(
                session, catalog=catalog, rng=rng, settings=settings, track=track, voter_id=voter
            )
        outcome = simulate_outcome(
            strength.get(slug[battle.left_model_id], 1000.0),
            strength.get(slug[battle.right_model_id], 1000.0),
            rng,
        )
        with session_scope(engine, write=True) as session:
            store.record_vote(
                session,
                battle_id=battle.id,
                voter_id=voter,
                outcome=outcome,
                watch_ms=int(rng.integers(4000, 20000)),
                k=settings.elo_k,
                initial=settings.elo_initial,
            )
        if progress:
            progress(i + 1, votes, track)
    return votes
