"""Make every clip of a track indistinguishable except by its content: one format per track.

A :class:`Profile` is a track's policy: one resolution (scaled to fit, then padded or cropped),
one frame rate, one H.264 encoder configuration, one audio format (AAC at one rate and channel
layout; no audio at all on silent tracks), frame-exact durations, and one container layout
(MP4, faststart, bitexact, no tags). :func:`normalize` decodes a source and writes it in that
format. Sizes are evened out too: in ``cbr`` mode (the default) the video is encoded at a
constant bitrate, each track's video is topped up to the same number of bytes with H.264 filler
NAL units, and the file is padded with a trailing ``free`` box to a size that depends only on
the profile and the frame count, so two clips of one prompt have the same ``Content-Length``.

A source that is already in the profile's exact format (same encoder and settings, same frame
count) is remuxed instead of re-encoded, which spares it a second generation of compression;
the result is checked property by property against a reference encode and re-encoded if any
observable property differs. :func:`encode_pictures` writes rendered pictures directly in that
format, so a renderer's clips take the remux path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace

from arena.media.fingerprint import KINDS, encoder_strings, observe
from arena.media.frames import NormalizeError, pictures, sound
from arena.media.mp4 import append_free_box
from arena.media.profile import (
    PROFILE_KEYS,
    Profile,
    audio_samples,
    file_target,
    video_target,
)
from arena.media.writer import Writer, canvas, encoder_identity

__all__ = [
    "PROFILE_KEYS",
    "NormalizeError",
    "Normalized",
    "Profile",
    "encode_pictures",
    "encoder_identity",
    "file_target",
    "normalize",
    "video_target",
]


@dataclass(frozen=True)
class Normalized:
    """What :func:`normalize` wrote: how (``encoded`` or ``remuxed``) and its final size."""

    method: Literal["encoded", "remuxed"]
    size_bytes: int
    padded: bool
    """Whether the file has exactly the profile's size target (False in crf mode, or when the
    content overshot the target: its size then differs from its prompt's other clips)."""


def normalize(src: Path, dest: Path, profile: Profile, *, frames: int, audio: bool) -> Normalized:
    """Write ``src`` to ``dest`` in the profile's format with exactly ``frames`` frames, with
    sound (``audio``) or without. Written to a temporary name and renamed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    method: Literal["encoded", "remuxed"] = "encoded"
    if _remux_candidate(src, profile, frames=frames, audio=audio) and _remux(
        src, tmp, profile, frames=frames, audio=audio
    ):
        method = "remuxed"
    else:
        _encode(src, tmp, profile, frames=frames, audio=audio)
        _pad(tmp, profile, frames=frames, audio=audio)
    size = tmp.stat().st_size
    os.replace(tmp, dest)
    return Normalized(method, size, size == file_target(profile, frames, audio=audio))


def encode_pictures(
    dest: Path,
    pictures: Iterable[np.ndarray],
    profile: Profile,
    *,
    frames: int,
    sound: np.ndarray | None = None,
    sound_rate: int = 48_000,
) -> Normalized:
    """Write RGB ``pictures`` ((H, W, 3) uint8 at the profile's size) and mono ``sound``
    (float32 in [-1, 1] at ``sound_rate``; None on a silent track) straight in the profile's
    format, exactly as :func:`normalize` writes its output: ``frames`` frames (the last
    picture held if there are fewer), the sound cut or padded to span them, the file padded
    to its size target. A renderer that writes its clips this way spares them a second
    encode: :func:`normalize` finds them in the profile's format and remuxes them."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    audio = sound is not None
    writer = Writer(tmp, profile, audio=audio)
    try:
        planes: np.ndarray | None = None
        written = 0
        for rgb in pictures:
            if written == frames:
                break
            if rgb.shape[:2] != (profile.height, profile.width):
                raise NormalizeError(
                    f"picture {written} is {rgb.shape[1]}x{rgb.shape[0]}, the profile "
                    f"{profile.width}x{profile.height}"
                )
            planes = _yuv(rgb)
            writer.add_frame(planes, written)
            written += 1
        if planes is None:
            raise NormalizeError("no picture to write")
        for index in range(written, frames):
            writer.add_frame(planes, index)
        if sound is not None:
            writer.add_audio(_channels(sound, sound_rate, profile, frames))
    except BaseException:
        writer.abort()
        tmp.unlink(missing_ok=True)
        raise
    writer.close(frames=frames)
    _pad(tmp, profile, frames=frames, audio=audio)
    size = tmp.stat().st_size
    os.replace(tmp, dest)
    return Normalized("encoded", size, size == file_target(profile, frames, audio=audio))


def _yuv(rgb: np.ndarray) -> np.ndarray:
    """BT.709 limited-range yuv420p planes of an RGB picture (as :mod:`frames` converts)."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
    out = frame.reformat(
        format="yuv420p",
        src_colorspace=Colorspace.ITU709,
        dst_colorspace=Colorspace.ITU709,
        src_color_range=ColorRange.JPEG,
        dst_color_range=ColorRange.MPEG,
    )
    return np.ascontiguousarray(out.to_ndarray())


def _channels(sound: np.ndarray, rate: int, profile: Profile, frames: int) -> np.ndarray:
    """Mono ``sound`` at ``rate`` as the profile's (channels, n) samples spanning ``frames``."""
    wanted = audio_samples(profile, frames)
    mono = np.asarray(sound, np.float32).reshape(-1)
    if rate != profile.audio_rate and len(mono):
        at = np.arange(round(len(mono) * profile.audio_rate / rate)) * (rate / profile.audio_rate)
        mono = np.interp(at, np.arange(len(mono)), mono).astype(np.float32)
    out = np.zeros((profile.audio_channels, wanted), np.float32)
    n = min(wanted, len(mono))
    out[:, :n] = np.clip(mono[:n], -1.0, 1.0)
    return out


def _encode(src: Path, tmp: Path, profile: Profile, *, frames: int, audio: bool) -> None:
    samples = sound(src, profile, frames) if audio else None
    writer = Writer(tmp, profile, audio=audio)
    try:
        with av.open(str(src)) as container:
            for index, planes in enumerate(pictures(container, profile, frames)):
                writer.add_frame(planes, index)
        if samples is not None:
            writer.add_audio(samples)
    except BaseException:
        writer.abort()
        tmp.unlink(missing_ok=True)
        raise
    writer.close(frames=frames)


def _pad(path: Path, profile: Profile, *, frames: int, audio: bool) -> None:
    """Pad a cbr file to its size target (a file already larger is left as it is)."""
    if profile.rate_control != "cbr":
        return
    missing = file_target(profile, frames, audio=audio) - path.stat().st_size
    if missing >= 8:
        append_free_box(path, missing)


# --- the remux path -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _reference(profile: Profile, frames: int, audio: bool) -> dict[str, Any]:
    """The structural and per-prompt properties of this profile's output for ``frames`` frames,
    from a real encode of a black clip (the remux path must match it exactly)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.mp4"
        writer = Writer(path, profile, audio=audio)
        black = canvas(profile.width, profile.height)
        for index in range(frames):
            writer.add_frame(black, index)
        if audio:
            writer.add_audio(np.zeros((profile.audio_channels, audio_samples(profile, frames))))
        writer.close(frames=frames)
        _pad(path, profile, frames=frames, audio=audio)
        return _comparable(observe(path))


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if KINDS.get(k) in ("structural", "per_prompt")}


def _remux_candidate(src: Path, profile: Profile, *, frames: int, audio: bool) -> bool:
    """Cheap test first: only a source written by this very encoder configuration can pass."""
    sei = encoder_strings(src)
    if not sei or "x264" not in sei:
        return False
    if sei != encoder_identity(profile).split(" | ", 1)[1]:
        return False
    try:
        values = observe(src)
    except (av.error.FFmpegError, ValueError):
        return False
    return _comparable(values) == _reference(profile, frames, audio)


def _remux(src: Path, tmp: Path, profile: Profile, *, frames: int, audio: bool) -> bool:
    """Copy the source's packets into a fresh container, padded; keep it only if it matches
    the reference in every structural and per-prompt property."""
    with av.open(str(src)) as container:
        streams: list[Any] = [container.streams.video[0]]
        if audio:
            streams.append(container.streams.audio[0])
        writer = Writer(
            tmp, profile, audio=audio, template=(streams[0], streams[-1] if audio else None)
        )
        video: list[av.Packet] = []
        sound: list[av.Packet] = []
        for packet in container.demux(*streams):
            if packet.dts is None and packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            (video if packet.stream.type == "video" else sound).append(packet)
        writer.copy(video, sound)
    _pad(tmp, profile, frames=frames, audio=audio)
    if _comparable(observe(tmp)) == _reference(profile, frames, audio):
        return True
    tmp.unlink(missing_ok=True)
    return False
