"""Encode numpy frames (and optional mono audio) to H.264 + AAC MP4 with faststart.

The procedural provider writes its originals with :func:`write_mp4` (no tags, ``bitexact``).
What voters receive is always re-encoded by :mod:`arena.media.writer` in the track's format,
so blindness never rests on this writer's settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np

AUDIO_RATE = 48_000
_AAC_FRAME = 1024


def write_mp4(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    fps: int,
    audio: np.ndarray | None = None,
    crf: int = 23,
    preset: str = "veryfast",
) -> None:
    """Write ``frames`` ((H, W, 3) uint8 RGB, even H and W) and ``audio`` to ``path``.

    ``audio`` is mono float32 in [-1, 1] at :data:`AUDIO_RATE`. ``crf`` and ``preset`` are
    libx264's quality and speed. The file is written to a temporary name and renamed, so a
    crash never leaves a half-written clip behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    container = av.open(
        str(tmp), "w", format="mp4", options={"movflags": "+faststart", "fflags": "+bitexact"}
    )
    try:
        video = container.add_stream("libx264", rate=fps)
        video.pix_fmt = "yuv420p"
        video.options = {"crf": str(crf), "preset": preset, "threads": "1"}
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=AUDIO_RATE)
            sound.layout = "mono"
        first = True
        for rgb in frames:
            if first:
                video.height, video.width = rgb.shape[:2]
                first = False
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None and audio is not None:
            samples = np.clip(audio, -1.0, 1.0).astype(np.float32)
            for start in range(0, len(samples), _AAC_FRAME):
                chunk = samples[start : start + _AAC_FRAME]
                aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                aframe.sample_rate = AUDIO_RATE
                aframe.pts = start
                container.mux(sound.encode(aframe))
            container.mux(sound.encode(None))
    finally:
        container.close()
    os.replace(tmp, path)


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write one (H, W, 3) uint8 RGB image as PNG (the source image of an image-to-video prompt)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = av.CodecContext.create("png", "w")
    codec.height, codec.width = rgb.shape[:2]
    codec.pix_fmt = "rgb24"
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    data = b"".join(bytes(packet) for packet in codec.encode(frame))
    data += b"".join(bytes(packet) for packet in codec.encode(None))
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
