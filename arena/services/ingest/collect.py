"""The first pass of a sync: every provider's clips, checked, their originals kept aside.

A source whose provider digest matches the stored clip's is taken as it is, unopened (an
unchanged clip costs a dictionary lookup); a new or changed one is probed and checked against
its track, and kept under ``sources/originals``. A prompt the provider did not offer this time
keeps its stored clip. Every rejection goes into the report with its reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from arena import store
from arena.registry.base import ClipSource, ModelSpec, PromptSpec, Provider
from arena.registry.config import ArenaConfig
from arena.registry.plugins import Registry
from arena.services.ingest.checks import fits_track, probe_source, unknown_prompt
from arena.services.ingest.files import file_digest, keep_original
from arena.services.ingest.report import Progress, SyncReport
from arena.settings import Settings
from arena.store import Engine
from arena.store.reads.catalog import StoredClip, stored_clips
from arena.store.writer import Write, direct


@dataclass
class Source:
    """A usable source clip of one model for one prompt, before normalization."""

    model: ModelSpec
    model_id: int
    prompt: PromptSpec
    digest: str
    original: str
    """The kept original, relative to the sources folder."""
    seconds: float
    """Length of its video."""
    stored: StoredClip | None


@dataclass
class _Model:
    """One model's pass: what it has stored, what it may answer, what was found so far."""

    spec: ModelSpec
    id: int
    stored: dict[str, StoredClip]
    prompts: dict[str, PromptSpec]
    found: dict[str, Source]


def collect(
    engine: Engine,
    registry: Registry,
    settings: Settings,
    report: SyncReport,
    progress: Progress | None,
    *,
    tracks: Collection[str] | None = None,
    write: Write | None = None,
) -> list[Source]:
    """Ask every model's provider for its clips (of ``tracks``' prompts, default all); the
    usable ones, new and stored."""
    write = write or direct(engine)
    config = registry.config

    def prompts_for(spec: ModelSpec) -> list[PromptSpec]:
        return [p for p in config.prompts_for(spec) if tracks is None or p.track in tracks]

    total = sum(len(prompts_for(m)) for m in config.models)
    done = 0
    sources: list[Source] = []
    for spec in config.models:
        row = write(partial(store.upsert_model, spec=spec))
        assert row.id is not None
        model = _Model(spec, row.id, stored_clips(engine, row.id), _by_id(prompts_for(spec)), {})
        provider = registry.providers[spec.provider]
        workdir = settings.sources_dir / spec.provider
        for source in _clips(provider, model, workdir, report):
            done += 1
            if progress:
                progress(min(done, total), total, f"check {spec.id} / {source.prompt_id}")
            outcome = _check(source, model, config, settings)
            if isinstance(outcome, Source):
                model.found[outcome.prompt.id] = outcome
            else:
                report.rejected.append((spec.id, source.prompt_id, outcome))
        _keep_unoffered(model, settings, report)
        sources.extend(model.found.values())
    return sources


def _by_id(prompts: list[PromptSpec]) -> dict[str, PromptSpec]:
    return {p.id: p for p in prompts}


def _clips(
    provider: Provider, model: _Model, workdir: Path, report: SyncReport
) -> Iterator[ClipSource]:
    """The provider's clips. If it raises, one rejection (prompt ``*``) says so and the sync
    goes on with the next model: a third-party provider's bug must not stop the others."""
    clips = provider.clips(model.spec, list(model.prompts.values()), workdir=workdir)
    while True:
        try:
            yield next(clips)
        except StopIteration:
            return
        except Exception as exc:  # see the docstring
            report.rejected.append(
                (model.spec.id, "*", f"the provider failed: {type(exc).__name__}: {exc}")
            )
            return


def _check(
    source: ClipSource, model: _Model, config: ArenaConfig, settings: Settings
) -> Source | str:
    """The usable source, or the reason it is rejected."""
    prompt = model.prompts.get(source.prompt_id)
    if prompt is None:
        tracks = {p.id: p.track for p in config.prompts}
        return unknown_prompt(source.prompt_id, tracks, model.spec.tracks)
    if prompt.id in model.found:
        return "the provider returned a second clip for this prompt"
    if source.error or source.path is None:
        return source.error or "the provider returned no file"
    previous = model.stored.get(prompt.id)
    digest = source.digest or (file_digest(source.path) if source.path.is_file() else "")
    if (
        previous is not None
        and previous.source_digest == digest
        and previous.source_duration > 0
        and (settings.sources_dir / previous.source_file).is_file()
    ):
        return _from_stored(model, prompt, previous)
    info, problem = probe_source(source.path)
    if info is not None:
        problem = fits_track(info, prompt.track, config.profile(prompt.track))
    if info is None or problem is not None:
        return problem or "unusable"
    return Source(
        model.spec,
        model.id,
        prompt,
        digest,
        keep_original(source.path, settings.sources_dir, link=source.immutable),
        info.video_duration or info.duration,
        previous,
    )


def _from_stored(model: _Model, prompt: PromptSpec, stored: StoredClip) -> Source:
    return Source(
        model.spec,
        model.id,
        prompt,
        stored.source_digest,
        stored.source_file,
        stored.source_duration,
        stored,
    )


def _keep_unoffered(model: _Model, settings: Settings, report: SyncReport) -> None:
    """Prompts the provider did not offer this time (an error, a file gone) keep their stored
    clip, which still counts when the prompt's duration is set; the others are missing."""
    for prompt_id, prompt in model.prompts.items():
        if prompt_id in model.found:
            continue
        previous = model.stored.get(prompt_id)
        if previous is None:
            report.missing.append((model.spec.id, prompt_id))
        elif previous.source_file and (settings.sources_dir / previous.source_file).is_file():
            model.found[prompt_id] = _from_stored(model, prompt, previous)
        elif not previous.norm_key:
            report.rejected.append(
                (
                    model.spec.id,
                    prompt_id,
                    "stored before normalization existed and not offered by the provider now, "
                    "so it cannot be normalized: it stays as it was until the provider offers "
                    "it again (or retire the model)",
                )
            )
