"""The ``procedural`` provider: renders each model's clips from the prompt's ``scene``.

Options per model: ``look`` (a table of :class:`arena.media.procedural.Look` fields: how the
model degrades the scene), ``true_elo`` (its strength for simulated voters), the clip format
``width``, ``height``, ``fps``, ``seconds`` (default 640x360, 24 fps, 3 s), and ``conform``
(default false): write each clip straight in its track's normalized format (the config's
``[normalize]``) when the clip format matches it, so that ingestion remuxes the clip instead
of encoding it a second time. Renders are cached in the provider's workdir under a digest of
everything that shapes them, so a second sync renders nothing; missing renders run on every
core. :func:`plan_renders` and :func:`render_all` let ``arena demo`` render several models'
clips in one pool, ahead of the sync.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from multiprocessing import get_context
from pathlib import Path
from typing import Any, ClassVar

from arena.core.vocabulary import track_has_audio
from arena.media.encode import AUDIO_RATE, write_mp4, write_png
from arena.media.normalize import encode_pictures
from arena.media.procedural import (
    Format,
    Look,
    Scene,
    SceneError,
    render_clip,
    render_still,
    seed_for,
)
from arena.media.profile import Profile
from arena.media.writer import normalization_key
from arena.registry.base import ClipSource, ConfigError, ModelSpec, PromptSpec
from arena.registry.policy import load_normalize

GENERATOR_VERSION = "3"
_OPTIONS = {"look", "true_elo", "width", "height", "fps", "seconds", "workers", "conform"}


def look_of(options: Mapping[str, Any]) -> Look:
    return Look(**options.get("look", {}))


def format_of(options: Mapping[str, Any]) -> Format:
    return Format(**{k: options[k] for k in ("width", "height", "fps", "seconds") if k in options})


def scene_of(prompt: PromptSpec) -> Scene:
    raw = prompt.extra.get("scene")
    if not isinstance(raw, dict):
        raise SceneError(
            f"prompt {prompt.id!r} has no scene table (the procedural provider needs one)"
        )
    try:
        return Scene(**raw)
    except TypeError as exc:
        raise SceneError(f"prompt {prompt.id!r}: bad scene ({exc})") from None


def render_source_image(scene: Mapping[str, Any], path: Path, fmt: Format | None = None) -> None:
    """Render a scene's flawless first frame: the source image of an image-to-video prompt."""
    write_png(path, render_still(Scene(**scene), fmt or Format()))


def track_profiles(model: ModelSpec) -> Callable[[str], Profile]:
    """Each track's normalization profile, from the ``[normalize]`` of the model's config."""
    profiles: Mapping[str, Profile] = {}
    if model.config_file is not None and model.config_file.is_file():
        raw = tomllib.loads(model.config_file.read_text(encoding="utf-8"))
        profiles = load_normalize(raw.get("normalize", {}), model.config_file)
    return lambda track: profiles.get(track) or Profile()


def conforms(fmt: Format, profile: Profile) -> bool:
    """Whether clips of ``fmt`` can be written in ``profile``'s format unchanged: same size,
    rate and frame count (otherwise they are rendered as they are and normalized later)."""
    return (fmt.width, fmt.height, fmt.fps) == (
        profile.width,
        profile.height,
        profile.fps,
    ) and profile.frames_for(fmt.seconds) == fmt.frames


@dataclass(frozen=True)
class RenderJob:
    """One clip to render (a worker process runs it): where, from what, in which format."""

    model_id: str
    prompt_id: str
    path: Path
    digest: str
    scene: Scene
    look: Look
    fmt: Format
    seed: int
    audio: bool
    profile: Profile | None
    """Write the clip straight in this normalized format; None: a plain high-quality MP4."""


def plan_renders(
    model: ModelSpec,
    prompts: Sequence[PromptSpec],
    *,
    workdir: Path,
    profiles: Callable[[str], Profile] | None = None,
) -> tuple[list[ClipSource], list[RenderJob]]:
    """The clips already rendered (and the prompts that cannot be), and the renders to run.

    ``profiles`` gives each track's profile (default: read from the model's config file
    when its ``conform`` option is set)."""
    look, fmt = look_of(model.options), format_of(model.options)
    if profiles is None and model.options.get("conform"):
        profiles = track_profiles(model)
    ready: list[ClipSource] = []
    jobs: list[RenderJob] = []
    for prompt in prompts:
        try:
            scene = scene_of(prompt)
        except SceneError as exc:
            ready.append(ClipSource(prompt.id, error=str(exc)))
            continue
        audio = track_has_audio(prompt.track)
        profile = profiles(prompt.track) if profiles is not None else None
        if profile is not None and not conforms(fmt, profile):
            profile = None
        shape = [GENERATOR_VERSION, asdict(scene), asdict(look), asdict(fmt), audio, model.id]
        if profile is not None:
            shape.append(normalization_key(profile, audio=audio))
        digest = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
        path = workdir / model.id / f"{prompt.id}-{digest[:16]}.mp4"
        if path.exists():
            ready.append(ClipSource(prompt.id, path=path, digest=digest, immutable=True))
        else:
            seed = seed_for(model.id, prompt.id)
            jobs.append(
                RenderJob(model.id, prompt.id, path, digest, scene, look, fmt, seed, audio, profile)
            )
    return ready, jobs


def render(job: RenderJob) -> RenderJob:
    """Render one clip to ``job.path`` (written to a temporary name and renamed)."""
    pictures, sound = render_clip(job.scene, job.look, job.fmt, seed=job.seed, audio=job.audio)
    if job.profile is not None:
        n, rate = job.fmt.frames, AUDIO_RATE
        encode_pictures(job.path, pictures, job.profile, frames=n, sound=sound, sound_rate=rate)
    else:
        # An original, re-encoded by normalization: high quality (crf 18) and the fastest
        # preset (about 4x faster than veryfast here, at twice the size).
        write_mp4(job.path, pictures, fps=job.fmt.fps, audio=sound, crf=18, preset="ultrafast")
    return job


def render_all(jobs: Sequence[RenderJob], *, workers: int) -> Iterator[RenderJob]:
    """Run ``jobs`` on ``workers`` processes; yield each as it is done."""
    if workers <= 1 or len(jobs) < 3:
        for job in jobs:
            yield render(job)
        return
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("spawn"))
    try:
        for future in as_completed([pool.submit(render, job) for job in jobs]):
            yield future.result()
    finally:  # a failed render, or a caller that stops early, cancels the renders not begun
        pool.shutdown(wait=True, cancel_futures=True)


class ProceduralProvider:
    """Clips drawn by numpy and encoded by PyAV: real video, no model, no download."""

    name: ClassVar[str] = "procedural"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        where = model.where()
        unknown = sorted(set(model.options) - _OPTIONS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(_OPTIONS))}"
            )
        look = model.options.get("look", {})
        if not isinstance(look, dict):
            raise ConfigError(f"{where}.look must be a table")
        known = {f.name for f in fields(Look)}
        bad = sorted(set(look) - known)
        if bad:
            raise ConfigError(
                f"{where}.look: unknown key {bad[0]!r}; known: {', '.join(sorted(known))}"
            )
        try:
            look_of(model.options)
            format_of(model.options)
        except (SceneError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if "true_elo" in model.options and not isinstance(model.options["true_elo"], int | float):
            raise ConfigError(f"{where}.true_elo must be a number")
        if not isinstance(model.options.get("conform", False), bool):
            raise ConfigError(f"{where}.conform must be true or false")

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        ready, jobs = plan_renders(model, prompts, workdir=workdir)
        yield from ready
        workers = int(model.options.get("workers", os.cpu_count() or 1))
        for job in render_all(jobs, workers=workers):
            yield ClipSource(job.prompt_id, path=job.path, digest=job.digest, immutable=True)
