"""arena-kenburns: an example third-party Arena provider (a template for your own).

It "generates" a clip per prompt without a model: a slow zoom (the Ken Burns effect) over the
prompt's source image on image-to-video tracks, or over a title card coloured by the prompt's
text on text-to-video tracks, with a soft tone on sound tracks. A real provider would call a
model or an API where :func:`render` is.

Options (under the model's ``options`` in arena.toml): ``seconds`` (default 2), ``fps``
(default 12), ``width`` and ``height`` (default 320 x 180), ``zoom`` (the final zoom factor,
default 1.25).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import av
import numpy as np

from arena.media.encode import AUDIO_RATE, write_mp4
from arena.registry.base import ClipSource, ModelSpec, PromptSpec
from arena.registry.options import Options
from arena.core.vocabulary import track_has_audio

VERSION = "1"
"""Part of every digest: bump it when the output changes, so old renders are redone."""


def settings(model: ModelSpec) -> dict[str, Any]:
    """The model's options, checked; a mistake raises ConfigError naming file and key."""
    opts = Options(model, known={"seconds", "fps", "width", "height", "zoom"})
    out = {
        "seconds": opts.number("seconds", 2.0, minimum=0.5),
        "fps": opts.integer("fps", 12, minimum=1),
        "width": opts.integer("width", 320, minimum=16),
        "height": opts.integer("height", 180, minimum=16),
        "zoom": opts.number("zoom", 1.25, minimum=1.0),
    }
    for key in ("width", "height"):
        if out[key] % 2:
            raise opts.error(key, f"must be even (H.264 needs it), got {out[key]}")
    return out


def base_picture(prompt: PromptSpec, width: int, height: int) -> np.ndarray:
    """The prompt's image, or a title card: (height, width, 3) uint8 RGB."""
    if prompt.image is not None:
        with av.open(str(prompt.image)) as container:
            frame = next(container.decode(video=0))
        return frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
    hue = zlib.crc32(prompt.text.encode()) % 360
    colour = np.array([hue, (hue + 120) % 360, (hue + 240) % 360]) / 360 * 255
    ramp = np.linspace(0.4, 1.0, width)[None, :, None]
    return np.broadcast_to(colour * ramp, (height, width, 3)).astype(np.uint8)


def render(prompt: PromptSpec, out: Path, opts: dict[str, Any]) -> None:
    w, h, fps = opts["width"], opts["height"], opts["fps"]
    frames = round(opts["seconds"] * fps)
    picture = base_picture(prompt, w, h)

    def frame(i: int) -> np.ndarray:
        z = 1 + (opts["zoom"] - 1) * i / max(1, frames - 1)
        ys = (np.arange(h) - h / 2) / z + h / 2
        xs = (np.arange(w) - w / 2) / z + w / 2
        return picture[ys.astype(int)[:, None], xs.astype(int)[None, :]]

    sound = None
    if track_has_audio(prompt.track):
        t = np.arange(round(opts["seconds"] * AUDIO_RATE)) / AUDIO_RATE
        sound = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    write_mp4(out, (frame(i) for i in range(frames)), fps=fps, audio=sound)


class KenBurnsProvider:
    """Slow zooms: a stand-in for a model, showing every part of the provider protocol."""

    name: ClassVar[str] = "kenburns"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        settings(model)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        opts = settings(model)
        for prompt in prompts:
            # The digest covers everything that shapes the clip, so an unchanged clip is
            # found in the work folder (and skipped by Arena) on the next sync.
            image = prompt.image.read_bytes() if prompt.image else b""
            key = json.dumps([VERSION, opts, prompt.text, prompt.track], sort_keys=True)
            digest = hashlib.sha256(key.encode() + image).hexdigest()
            out = workdir / model.id / f"{prompt.id}-{digest[:16]}.mp4"
            if not out.exists():
                try:
                    render(prompt, out, opts)
                except (OSError, ValueError, av.error.FFmpegError) as exc:
                    yield ClipSource(prompt.id, error=f"render failed: {exc}")
                    continue
            yield ClipSource(prompt.id, path=out, digest=digest)
