"""The ``procedural`` provider: renders each model's clips from the prompt's ``scene``.

Options per model: ``look`` (a table of :class:`arena.media.procedural.Look` fields: how the
model degrades the scene), ``true_elo`` (its strength for simulated voters), and the clip
format ``width``, ``height``, ``fps``, ``seconds`` (default 640x360, 24 fps, 3 s). Renders are
cached in the provider's workdir under a digest of everything that shapes them, so a second
sync renders nothing; missing renders run on every core.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, fields
from multiprocessing import get_context
from pathlib import Path
from typing import Any, ClassVar

from arena.core.vocabulary import track_has_audio
from arena.media.encode import write_mp4, write_png
from arena.media.procedural import (
    Format,
    Look,
    Scene,
    SceneError,
    render_clip,
    render_still,
    seed_for,
)
from arena.registry.base import ClipSource, ConfigError, ModelSpec, PromptSpec

GENERATOR_VERSION = "2"
_OPTIONS = {"look", "true_elo", "width", "height", "fps", "seconds", "workers"}


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


def _render(path: str, scene: Scene, look: Look, fmt: Format, seed: int, audio: bool) -> str:
    frames, sound = render_clip(scene, look, fmt, seed=seed, audio=audio)
    # An original, re-encoded by normalization: high quality (crf 18) and the fastest preset
    # (about 4x faster than veryfast here, at twice the size) keep the first demo short.
    write_mp4(Path(path), frames, fps=fmt.fps, audio=sound, crf=18, preset="ultrafast")
    return path


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

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        look, fmt = look_of(model.options), format_of(model.options)
        jobs: list[tuple[PromptSpec, Path, str, tuple[Any, ...]]] = []
        for prompt in prompts:
            try:
                scene = scene_of(prompt)
            except SceneError as exc:
                yield ClipSource(prompt.id, error=str(exc))
                continue
            audio = track_has_audio(prompt.track)
            key = json.dumps(
                [GENERATOR_VERSION, asdict(scene), asdict(look), asdict(fmt), audio, model.id],
                sort_keys=True,
            )
            digest = hashlib.sha256(key.encode()).hexdigest()
            path = workdir / model.id / f"{prompt.id}-{digest[:16]}.mp4"
            if path.exists():
                yield ClipSource(prompt.id, path=path, digest=digest)
            else:
                seed = seed_for(model.id, prompt.id)
                jobs.append((prompt, path, digest, (str(path), scene, look, fmt, seed, audio)))
        workers = int(model.options.get("workers", os.cpu_count() or 1))
        if workers <= 1 or len(jobs) < 3:
            for prompt, path, digest, args in jobs:
                _render(*args)
                yield ClipSource(prompt.id, path=path, digest=digest)
            return
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {
                pool.submit(_render, *args): (prompt, path, digest)
                for prompt, path, digest, args in jobs
            }
            for future in as_completed(futures):
                prompt, path, digest = futures[future]
                future.result()
                yield ClipSource(prompt.id, path=path, digest=digest)
