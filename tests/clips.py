"""Write small real source clips of any shape for the tests (PyAV, no fixtures on disk)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_clip(
    path: Path,
    *,
    width: int = 200,
    height: int = 120,
    fps: int = 30,
    seconds: float = 1.5,
    codec: str = "libx264",
    audio_rate: int | None = 44_100,
    audio_seconds: float | None = None,
    layout: str = "mono",
    tags: dict[str, str] | None = None,
    level: int | None = None,
    timestamps: list[float] | None = None,
    sar: Fraction | None = None,
) -> Path:
    """A clip whose frame ``i`` is a flat grey of level ``min(250, 10 * i)`` with a white bar
    moving across; ``level`` fixes the grey instead. ``timestamps`` (seconds) give frames
    irregular times (variable frame rate); ``sar`` non-square pixels. Audio: a 440 Hz tone,
    ``audio_seconds`` long."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".webm": "webm", ".mkv": "matroska"}.get(path.suffix, "mp4")
    container = av.open(str(path), "w", format=fmt)
    for key, value in (tags or {}).items():
        container.metadata[key] = value
    times = timestamps if timestamps is not None else [i / fps for i in range(round(fps * seconds))]
    video = container.add_stream(codec, rate=fps)
    video.width, video.height = width, height
    video.pix_fmt = "yuv420p"
    if sar is not None:
        video.codec_context.sample_aspect_ratio = sar
    if timestamps is not None:
        video.codec_context.time_base = Fraction(1, 1000)
    sound = None
    if audio_rate:
        sound = container.add_stream("aac" if fmt == "mp4" else "libopus", rate=audio_rate)
        sound.layout = layout
    for i, t in enumerate(times):
        grey = level if level is not None else min(250, 10 * i)
        rgb = np.full((height, width, 3), grey, dtype=np.uint8)
        x = int(i * 7) % max(1, width - 8)
        rgb[:, x : x + 8] = 255
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if timestamps is not None:
            frame.pts = round(t * 1000)
            frame.time_base = Fraction(1, 1000)
        container.mux(video.encode(frame))
    container.mux(video.encode(None))
    if sound is not None and audio_rate:
        length = audio_seconds if audio_seconds is not None else seconds
        n = int(audio_rate * length)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / audio_rate)).astype(np.float32)
        channels = 2 if layout == "stereo" else 1
        planes = np.repeat(tone[None, :], channels, axis=0)
        step = sound.codec_context.frame_size or 1024
        for start in range(0, n, step):
            chunk = np.ascontiguousarray(planes[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = audio_rate
            frame.pts = start
            container.mux(sound.encode(frame))
        container.mux(sound.encode(None))
    container.close()
    return path


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame of the first video stream as (H, W) luma arrays."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]
