"""Sync: ask each model's provider for its clips, check them, and store them under opaque names.

Unchanged clips (same provider digest) cost nothing on a second run. A clip that cannot be
decoded, is empty, or does not fit its track (no sound on an audio track) is rejected with a
reason and never reaches a battle. Database writes go through :mod:`arena.store`, each in a
short transaction, so a long render never holds SQLite's write lock.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.db import session_scope
from arena.media.probe import ProbeError, probe
from arena.models import Clip
from arena.registry.plugins import Registry
from arena.settings import Settings, track_has_audio

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: called after each clip."""


@dataclass
class SyncReport:
    """What a sync did, per clip."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    """(model id, prompt id, reason) for each clip that was not stored."""


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sync(
    engine: Engine, registry: Registry, settings: Settings, *, progress: Progress | None = None
) -> SyncReport:
    """Ingest every configured model's clips for the prompts of its tracks."""
    config = registry.config
    report = SyncReport()
    settings.clips_dir.mkdir(parents=True, exist_ok=True)
    for spec in config.prompts:
        image_file = _store_image(spec.image, settings) if spec.image else None
        with session_scope(engine, write=True) as session:
            store.upsert_prompt(session, spec=spec, image_file=image_file)
    total = sum(len(config.prompts_for(m)) for m in config.models)
    done = 0
    for model_spec in config.models:
        with session_scope(engine, write=True) as session:
            model = store.upsert_model(session, spec=model_spec)
        assert model.id is not None
        with session_scope(engine) as session:
            known = {
                c.prompt_id: c.source_digest
                for c in session.exec(select(Clip).where(Clip.model_id == model.id))
            }
        prompts = {p.id: p for p in config.prompts_for(model_spec)}
        provider = registry.providers[model_spec.provider]
        workdir = settings.sources_dir / model_spec.provider
        for source in provider.clips(model_spec, list(prompts.values()), workdir=workdir):
            done += 1
            if progress:
                progress(done, total, f"{model_spec.id} / {source.prompt_id}")
            prompt = prompts.get(source.prompt_id)
            if prompt is None:
                report.rejected.append(
                    (model_spec.id, source.prompt_id, "not a prompt of its tracks")
                )
                continue
            if source.error or source.path is None:
                report.rejected.append((model_spec.id, prompt.id, source.error or "no file"))
                continue
            digest = source.digest or file_digest(source.path)
            if known.get(prompt.id) == digest:
                report.unchanged += 1
                continue
            try:
                info = probe(source.path)
            except ProbeError as exc:
                report.rejected.append((model_spec.id, prompt.id, str(exc)))
                continue
            if track_has_audio(prompt.track) and not info.has_audio:
                report.rejected.append(
                    (
                        model_spec.id,
                        prompt.id,
                        f"no audio stream, but track {prompt.track!r} has sound",
                    )
                )
                continue
            public_id = store.new_public_id()
            _copy(source.path, settings.clips_dir / f"{public_id}.mp4")
            with session_scope(engine, write=True) as session:
                store.put_clip(
                    session,
                    model_id=model.id,
                    prompt_id=prompt.id,
                    track=prompt.track,
                    public_id=public_id,
                    file=f"{public_id}.mp4",
                    digest=digest,
                    info=info,
                )
            if prompt.id in known:
                report.replaced += 1
            else:
                report.added += 1
    return report


def _store_image(path: Path, settings: Settings) -> str:
    """Copy a prompt's source image into the media folder under a content-derived name."""
    name = f"{file_digest(path)[:32]}{path.suffix.lower()}"
    dest = settings.images_dir / name
    if not dest.exists():
        _copy(path, dest)
    return name


_EPOCH = 946_684_800  # 2000-01-01: every served file gets the same mtime


def _copy(src: Path, dest: Path) -> None:
    """Copy atomically, and give the copy a fixed mtime: a served file's Last-Modified must
    not tell when (or, by sync order, from which model) it was ingested."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    shutil.copyfile(src, tmp)
    os.utime(tmp, (_EPOCH, _EPOCH))
    os.replace(tmp, dest)
