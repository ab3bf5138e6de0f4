"""Decode a source into the profile's pictures and sound: scaled, padded or cropped, converted
to BT.709, frame-rate converted by timestamps, and the audio resampled and aligned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

from arena.media.profile import Profile, audio_samples
from arena.media.writer import canvas


class NormalizeError(ValueError):
    """The source cannot be brought to the profile (no decodable frame, unreadable audio)."""


def _source_space(frame: av.VideoFrame) -> tuple[Colorspace, ColorRange]:
    """How the source's YUV is to be read. Untagged sources follow the usual convention:
    BT.601 below 720 lines, BT.709 from 720 up; JPEG-range formats are full range."""
    space = {1: Colorspace.ITU709, 5: Colorspace.ITU601, 6: Colorspace.SMPTE170M}.get(
        frame.colorspace
    )
    if space is None:
        space = Colorspace.ITU709 if frame.height >= 720 else Colorspace.ITU601
    full = frame.color_range == 2 or str(frame.format.name).startswith("yuvj")
    return space, ColorRange.JPEG if full else ColorRange.MPEG


def _fit(frame: av.VideoFrame, profile: Profile, sar: float = 1.0) -> np.ndarray:
    """Scale ``frame`` to the profile's size (keeping its display aspect: ``sar`` is the
    source's sample aspect ratio; a display rotation PyAV reports is applied), pad or crop,
    and return BT.709 limited-range yuv420p planes."""
    if frame.rotation:
        upright = np.rot90(frame.to_ndarray(format="rgb24"), k=round(frame.rotation / 90) % 4)
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(upright, dtype=np.uint8), format="rgb24"
        )
    display_w = frame.width * sar
    W, H = profile.width, profile.height
    scale = (min if profile.fit == "pad" else max)(W / display_w, H / frame.height)
    sw = max(2, round(display_w * scale / 2) * 2)
    sh = max(2, round(frame.height * scale / 2) * 2)
    space, colour_range = _source_space(frame)
    interpolation = Interpolation.BICUBIC
    if space == Colorspace.ITU709 and colour_range == ColorRange.MPEG:
        scaled = frame.reformat(width=sw, height=sh, format="yuv420p", interpolation=interpolation)
    else:
        rgb = frame.reformat(
            format="rgb24",
            src_colorspace=space,
            src_color_range=colour_range,
            dst_color_range=ColorRange.JPEG,
            interpolation=interpolation,
        )
        scaled = rgb.reformat(
            width=sw,
            height=sh,
            format="yuv420p",
            src_colorspace=Colorspace.ITU709,
            dst_colorspace=Colorspace.ITU709,
            src_color_range=ColorRange.JPEG,
            dst_color_range=ColorRange.MPEG,
            interpolation=interpolation,
        )
    planes = np.ascontiguousarray(scaled.to_ndarray())
    if (sw, sh) == (W, H):
        return planes
    out = canvas(W, H)
    # Place (pad) or cut (crop) around the centre, on even offsets for the half-size chroma.
    dx, dy = (W - sw) // 4 * 2, (H - sh) // 4 * 2
    for dest, src, scale in zip(_split(out, W, H), _split(planes, sw, sh), (1, 2, 2), strict=True):
        _paste(dest, src, dx // scale, dy // scale)
    return out


def _split(planes: np.ndarray, width: int, height: int) -> tuple[np.ndarray, ...]:
    """Views of the Y, U and V planes of a packed yuv420p array ((height * 3 / 2, width))."""
    flat = planes.reshape(-1)
    luma = width * height
    chroma = (width // 2) * (height // 2)
    return (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    )


def _paste(dest: np.ndarray, src: np.ndarray, dx: int, dy: int) -> None:
    """Copy ``src`` into ``dest`` at offset (dx, dy); negative offsets crop ``src``."""
    h, w = dest.shape
    sy0, sx0 = max(0, -dy), max(0, -dx)
    dy0, dx0 = max(0, dy), max(0, dx)
    rows = min(h - dy0, src.shape[0] - sy0)
    cols = min(w - dx0, src.shape[1] - sx0)
    dest[dy0 : dy0 + rows, dx0 : dx0 + cols] = src[sy0 : sy0 + rows, sx0 : sx0 + cols]


def pictures(
    container: av.container.InputContainer, profile: Profile, frames: int
) -> Iterator[np.ndarray]:
    """The profile's ``frames`` pictures: for each output instant the nearest source frame
    (frame-rate conversion by timestamps, so variable-rate sources come out even); the last
    frame is held if the source runs short by a few milliseconds."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    rate = float(stream.average_rate or stream.guessed_rate or profile.fps)
    sar = float(stream.codec_context.sample_aspect_ratio or 1) or 1.0
    start: float | None = None
    held: av.VideoFrame | None = None
    held_t = 0.0
    cached: np.ndarray | None = None
    index = 0
    for count, frame in enumerate(container.decode(stream)):
        t = frame.time if frame.time is not None else count / rate
        if start is None:
            start = t
        t -= start
        if held is not None:
            boundary = (held_t + t) / 2
            while index < frames and index / profile.fps < boundary - 1e-9:
                if cached is None:
                    cached = _fit(held, profile, sar)
                yield cached
                index += 1
        if index >= frames:
            return
        held, held_t, cached = frame, t, None
    if held is None:
        raise NormalizeError("the video stream has no decodable frame")
    while index < frames:
        if cached is None:
            cached = _fit(held, profile, sar)
        yield cached
        index += 1


def sound(path: Path, profile: Profile, frames: int) -> np.ndarray:
    """The source's sound resampled to the profile, aligned to its first video frame and cut
    or padded with silence to exactly span ``frames`` frames: (channels, n) float32."""
    wanted = audio_samples(profile, frames)
    layout = "stereo" if profile.audio_channels == 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=profile.audio_rate)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        video_start = 0.0
        if container.streams.video:
            first = next(container.decode(video=0), None)
            video_start = first.time if first is not None and first.time is not None else 0.0
            container.seek(0)
        offset: float | None = None
        for frame in container.decode(audio=0):
            if offset is None:
                offset = (frame.time or 0.0) - video_start
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    samples = (
        np.concatenate(chunks, axis=1)
        if chunks
        else np.zeros((profile.audio_channels, 0), np.float32)
    )
    shift = round((offset or 0.0) * profile.audio_rate)
    if shift > 0:
        samples = np.concatenate([np.zeros((samples.shape[0], shift), np.float32), samples], axis=1)
    elif shift < 0:
        samples = samples[:, -shift:]
    if samples.shape[1] < wanted:
        pad = np.zeros((samples.shape[0], wanted - samples.shape[1]), np.float32)
        samples = np.concatenate([samples, pad], axis=1)
    return samples[:, :wanted].astype(np.float32)
