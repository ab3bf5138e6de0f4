"""Sync: ask each model's provider for its clips, check them, normalize them, store them.

Three passes. **Collect**: every provider yields its clips; each new or changed source is
probed and checked (undecodable, empty, too short, no sound on a sound track, no such prompt:
rejected with the reason) and its original is kept under ``sources/originals``. An unchanged
source (same provider digest as stored) is not even opened. **Plan**: each track's policy sets
every clip's frame count (with ``duration = "shortest"``, the shortest clip of the prompt), and
a clip whose normalization key (policy, encoder, frame count, original) is unchanged is done.
**Normalize**: the rest are normalized (in parallel, cached under ``sources/normalized`` by key
so another database or a rollback reuses them), linked (or copied) into the media folder
under a new opaque id, and stored. A clip that fails any step keeps its previous version, if
it had one; bad clips never reach a battle. Database writes go through :mod:`arena.store`,
each in a short transaction, so a long render never holds SQLite's write lock and a running
server picks the changes up at its next catalogue refresh.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from arena import store
from arena.core.vocabulary import track_has_audio
from arena.media.normalize import Profile, file_target, normalize
from arena.media.probe import ProbeError, probe
from arena.media.writer import normalization_key
from arena.registry.plugins import Registry
from arena.services.ingest.collect import Source, collect
from arena.services.ingest.files import serve_copy, store_image
from arena.services.ingest.report import Progress, SyncReport
from arena.settings import Settings
from arena.store import Engine
from arena.store.writer import Write, direct


@dataclass(frozen=True)
class Job:
    """Normalize ``original`` into ``cache`` (a worker process runs it)."""

    original: Path
    cache: Path
    profile: Profile
    frames: int
    audio: bool


def run_job(job: Job) -> tuple[str, bool]:
    """Normalize one clip into the cache unless it is there; (method, padded to target)."""
    if job.cache.exists():
        size = job.cache.stat().st_size
        return "reused", size == file_target(job.profile, job.frames, audio=job.audio)
    result = normalize(job.original, job.cache, job.profile, frames=job.frames, audio=job.audio)
    return result.method, result.padded


def sync(
    engine: Engine,
    registry: Registry,
    settings: Settings,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    tracks: Collection[str] | None = None,
    write: Write | None = None,
) -> SyncReport:
    """Ingest every configured model's clips for the prompts of its tracks.

    ``workers`` processes normalize in parallel (default: one per core). ``tracks`` limits
    the sync to those tracks' prompts (default: all): ``arena demo`` serves one track while
    it syncs the others. Progress labels begin with the pass: ``check`` or ``normalize``.
    ``write`` runs each write transaction (a server's writer; by default, directly).
    """
    write = write or direct(engine)
    config = registry.config
    report = SyncReport()
    settings.clips_dir.mkdir(parents=True, exist_ok=True)
    for spec in config.prompts:
        if tracks is not None and spec.track not in tracks:
            continue
        image_file = store_image(spec.image, settings.images_dir) if spec.image else None
        write(partial(store.upsert_prompt, spec=spec, image_file=image_file))
    sources = collect(engine, registry, settings, report, progress, tracks=tracks, write=write)
    jobs = _plan(config.profile, sources, settings, report)
    _normalize_all(write, jobs, settings, report, progress, workers)
    return report


def _plan(
    profile_of: Callable[[str], Profile],
    sources: list[Source],
    settings: Settings,
    report: SyncReport,
) -> list[tuple[Source, Job, str]]:
    shortest: dict[str, float] = {}
    for s in sources:
        shortest[s.prompt.id] = min(shortest.get(s.prompt.id, s.seconds), s.seconds)
    jobs = []
    for s in sources:
        profile = profile_of(s.prompt.track)
        audio = track_has_audio(s.prompt.track)
        seconds = shortest[s.prompt.id] if profile.duration == "shortest" else s.seconds
        frames = profile.frames_for(seconds)
        key = hashlib.sha256(
            f"{normalization_key(profile, audio=audio)}|{frames}|{s.original}".encode()
        ).hexdigest()
        if (
            s.stored is not None
            and s.stored.norm_key == key
            and s.stored.source_digest == s.digest
            and (settings.clips_dir / s.stored.file).is_file()
        ):
            report.unchanged += 1
            continue
        job = Job(
            original=settings.sources_dir / s.original,
            cache=settings.sources_dir / "normalized" / f"{key}.mp4",
            profile=profile,
            frames=frames,
            audio=audio,
        )
        jobs.append((s, job, key))
    return jobs


def _normalize_all(
    write: Write,
    jobs: list[tuple[Source, Job, str]],
    settings: Settings,
    report: SyncReport,
    progress: Progress | None,
    workers: int | None,
) -> None:
    todo = [j for j in jobs if not j[1].cache.exists()]
    workers = min(workers or os.cpu_count() or 1, len(todo))
    results: Iterator[tuple[tuple[Source, Job, str], tuple[str, bool] | Exception]]
    if workers > 1 and len(todo) >= 4:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        results = _parallel(pool, jobs)
    else:
        pool = None
        results = _serial(jobs)
    try:
        for done, (item, outcome) in enumerate(results, start=1):
            source, job, key = item
            if progress:
                progress(done, len(jobs), f"normalize {source.model.id} / {source.prompt.id}")
            if isinstance(outcome, Exception):
                report.rejected.append(
                    (source.model.id, source.prompt.id, f"cannot normalize: {outcome}")
                )
                continue
            method, padded = outcome
            setattr(report, method, getattr(report, method) + 1)
            if not padded and job.profile.rate_control == "cbr":
                report.oversize.append((source.model.id, source.prompt.id))
            _store(write, source, job, key, settings, report)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _serial(
    jobs: list[tuple[Source, Job, str]],
) -> Iterator[tuple[tuple[Source, Job, str], tuple[str, bool] | Exception]]:
    for item in jobs:
        try:
            yield item, run_job(item[1])
        except Exception as exc:  # a clip PyAV cannot convert is rejected, not fatal
            yield item, exc


def _parallel(
    pool: ProcessPoolExecutor, jobs: list[tuple[Source, Job, str]]
) -> Iterator[tuple[tuple[Source, Job, str], tuple[str, bool] | Exception]]:
    futures: dict[Future[tuple[str, bool]], tuple[Source, Job, str]] = {
        pool.submit(run_job, item[1]): item for item in jobs
    }
    for future in as_completed(futures):
        try:
            yield futures[future], future.result()
        except Exception as exc:  # as in _serial
            yield futures[future], exc


def _store(
    write: Write,
    source: Source,
    job: Job,
    key: str,
    settings: Settings,
    report: SyncReport,
) -> None:
    public_id = store.new_public_id()
    dest = settings.clips_dir / f"{public_id}.mp4"
    serve_copy(job.cache, dest, link=True)  # the cache's files are only ever replaced
    try:
        info = probe(dest, decode_check=False)
    except ProbeError as exc:
        dest.unlink(missing_ok=True)
        report.rejected.append((source.model.id, source.prompt.id, f"cannot normalize: {exc}"))
        return
    write(
        partial(
            store.put_clip,
            model_id=source.model_id,
            prompt_id=source.prompt.id,
            track=source.prompt.track,
            public_id=public_id,
            file=dest.name,
            digest=source.digest,
            info=info,
            source_file=source.original,
            source_duration=source.seconds,
            norm_key=key,
        )
    )
    if source.stored is None:
        report.added += 1
    else:
        report.replaced += 1
