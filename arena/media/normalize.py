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
observable property differs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

from arena.media.fingerprint import KINDS, observe
from arena.media.mp4 import append_free_box

_BITEXACT = 1 << 23  # AV_CODEC_FLAG_BITEXACT: no version strings from libavcodec
_MUXER = {"movflags": "+faststart", "fflags": "+bitexact"}
_BT709 = 1


class NormalizeError(ValueError):
    """The source cannot be brought to the profile (no decodable frame, unreadable audio)."""


@dataclass(frozen=True)
class Profile:
    """A track's normalization policy; every field is a key of ``[normalize]`` in arena.toml."""

    width: int = 1280
    height: int = 720
    fps: int = 24
    fit: Literal["pad", "crop"] = "pad"
    """``pad``: scale to fit inside and letterbox (the picture is whole, the source's aspect ratio
    shows in the bars); ``crop``: scale to cover and cut the overflow (hides the aspect ratio)."""
    duration: Literal["shortest", "cap"] = "shortest"
    """``shortest``: every clip of a prompt is cut to the shortest one (and at most
    ``max_seconds``), so durations never differ within a battle; ``cap``: each clip keeps its
    own length up to ``max_seconds`` (durations then differ between models)."""
    max_seconds: float = 10.0
    min_seconds: float = 1.0
    """Sources shorter than this are rejected ("too short")."""
    rate_control: Literal["cbr", "crf"] = "cbr"
    """``cbr``: constant bitrate, padded to equal sizes (no size leak, bandwidth of the cap on
    every clip); ``crf``: constant quality capped at ``video_kbps``, unpadded (smaller files
    whose sizes follow the content, a measurable leak)."""
    video_kbps: int = 0
    """Video bitrate (cbr) or cap (crf); 0 means 0.1 bit per pixel per frame."""
    crf: int = 20
    preset: str = "medium"
    keyframe_seconds: float = 2.0
    audio_rate: int = 48_000
    audio_channels: int = 2
    audio_kbps: int = 128

    def __post_init__(self) -> None:
        errors = {
            "width": self.width < 16 or self.width % 2,
            "height": self.height < 16 or self.height % 2,
            "fps": not 1 <= self.fps <= 120,
            "fit": self.fit not in ("pad", "crop"),
            "duration": self.duration not in ("shortest", "cap"),
            "max_seconds": not 0 < self.max_seconds <= 600,
            "min_seconds": not 0 <= self.min_seconds <= self.max_seconds,
            "rate_control": self.rate_control not in ("cbr", "crf"),
            "video_kbps": self.video_kbps < 0,
            "crf": not 0 <= self.crf <= 51,
            "preset": self.preset not in _PRESETS,
            "keyframe_seconds": not 0 < self.keyframe_seconds <= 60,
            "audio_rate": self.audio_rate not in (16_000, 22_050, 24_000, 32_000, 44_100, 48_000),
            "audio_channels": self.audio_channels not in (1, 2),
            "audio_kbps": not 16 <= self.audio_kbps <= 512,
        }
        bad = next((k for k, wrong in errors.items() if wrong), None)
        if bad is not None:
            raise ValueError(f"{bad} = {getattr(self, bad)!r} is not allowed ({_RULES[bad]})")

    @property
    def kbps(self) -> int:
        """The effective video bitrate in kbit/s."""
        return self.video_kbps or max(16, round(self.width * self.height * self.fps * 0.1 / 1000))

    def frames_for(self, seconds: float) -> int:
        """Frames a clip of ``seconds`` gets: whole frames, never beyond ``max_seconds``."""
        return max(1, math.floor(min(seconds, self.max_seconds) * self.fps + 1e-6))

    def key(self, *, audio: bool) -> str:
        """A digest of everything that shapes the output, including the encoder's identity."""
        raw = json.dumps([asdict(self), audio, encoder_identity(self)], sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)
_RULES = {
    "width": "an even number of pixels, 16 or more",
    "height": "an even number of pixels, 16 or more",
    "fps": "a whole number from 1 to 120",
    "fit": "'pad' or 'crop'",
    "duration": "'shortest' or 'cap'",
    "max_seconds": "more than 0, at most 600",
    "min_seconds": "from 0 to max_seconds",
    "rate_control": "'cbr' or 'crf'",
    "video_kbps": "0 (automatic) or more",
    "crf": "0 to 51",
    "preset": ", ".join(_PRESETS),
    "keyframe_seconds": "more than 0, at most 60",
    "audio_rate": "16000, 22050, 24000, 32000, 44100 or 48000",
    "audio_channels": "1 or 2",
    "audio_kbps": "16 to 512",
}
PROFILE_KEYS = tuple(f.name for f in fields(Profile))


@dataclass(frozen=True)
class Normalized:
    """What :func:`normalize` wrote: how (``encoded`` or ``remuxed``) and its final size."""

    method: Literal["encoded", "remuxed"]
    size_bytes: int
    padded: bool
    """Whether the file has exactly the profile's size target (False in crf mode, or when the
    content overshot the target: its size then differs from its prompt's other clips)."""


# --- sizes ------------------------------------------------------------------------------------


def audio_samples(profile: Profile, frames: int) -> int:
    """Audio samples that exactly span ``frames`` video frames."""
    return round(frames * profile.audio_rate / profile.fps)


def video_target(profile: Profile, frames: int) -> int:
    """Bytes of video every cbr clip of ``frames`` frames is filled up to: the rate over the
    clip, plus the encoder's buffer (half a second, which x264's constant-bitrate output ends
    up filling), plus half a second of headroom for content that overshoots."""
    return math.ceil(profile.kbps * 1000 / 8 * (frames / profile.fps + 1.0))


def file_target(profile: Profile, frames: int, *, audio: bool) -> int:
    """The size every cbr file of ``frames`` frames is padded to (``Content-Length``)."""
    seconds = frames / profile.fps
    size = video_target(profile, frames) + 16_384 + 48 * frames
    if audio:
        packets = math.ceil(audio_samples(profile, frames) / 1024) + 2
        size += math.ceil(profile.audio_kbps * 1000 / 8 * seconds * 1.5) + 24 * packets
    return size


# --- the encoder --------------------------------------------------------------------------------


def _video_options(profile: Profile) -> dict[str, str]:
    keyint = max(1, round(profile.keyframe_seconds * profile.fps))
    # Fixed GOP (no scene-cut keyframes) and a fixed B-frame pattern (no adaptive placement):
    # otherwise keyframe positions and frame reordering, both in the sample tables, would
    # follow the content. One thread: x264 writes its thread count into the bitstream.
    params = f"scenecut=0:keyint={keyint}:min-keyint={keyint}:b-adapt=0:force-cfr=1"
    options = {"preset": profile.preset, "profile": "high", "threads": "1"}
    if profile.rate_control == "cbr":
        kbps = profile.kbps
        options.update(
            {
                "maxrate": f"{kbps}k",
                "minrate": f"{kbps}k",
                "bufsize": f"{kbps // 2}k",
                "x264-params": f"nal-hrd=cbr:{params}",
            }
        )
    else:
        options.update(
            {
                "crf": str(profile.crf),
                "maxrate": f"{profile.kbps}k",
                "bufsize": f"{profile.kbps}k",
                "x264-params": params,
            }
        )
    return options


class _Writer:
    """An output MP4 in the profile's format; packets are muxed in timestamp order at close."""

    def __init__(
        self,
        path: Path,
        profile: Profile,
        *,
        audio: bool,
        template: tuple[Any, Any] | None = None,
    ) -> None:
        """``template``: the source's (video, audio) streams, whose packets will be copied."""
        self.profile = profile
        self.container = av.open(str(path), "w", format="mp4", options=_MUXER)
        self.video: Any
        self.audio: Any = None
        if template is not None:
            self.video = self.container.add_stream_from_template(template[0])
            if audio:
                self.audio = self.container.add_stream_from_template(template[1])
        else:
            self.video = self.container.add_stream("libx264", rate=profile.fps)
            cc = self.video.codec_context
            cc.width, cc.height, cc.pix_fmt = profile.width, profile.height, "yuv420p"
            cc.color_range = ColorRange.MPEG
            cc.colorspace = cc.color_primaries = cc.color_trc = _BT709
            cc.flags |= _BITEXACT
            if profile.rate_control == "cbr":
                cc.bit_rate = profile.kbps * 1000
            self.video.options = _video_options(profile)
            if audio:
                self.audio = self.container.add_stream("aac", rate=profile.audio_rate)
                self.audio.layout = "stereo" if profile.audio_channels == 2 else "mono"
                self.audio.codec_context.bit_rate = profile.audio_kbps * 1000
                self.audio.codec_context.flags |= _BITEXACT
        self.video_packets: list[av.Packet] = []
        self.audio_packets: list[av.Packet] = []

    def add_frame(self, planes: np.ndarray, index: int) -> None:
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = index
        frame.time_base = Fraction(1, self.profile.fps)
        frame.color_range = ColorRange.MPEG
        self.video_packets.extend(self.video.encode(frame))

    def add_audio(self, samples: np.ndarray) -> None:
        """Encode ``samples`` (channels, n) float32 in AAC frames of 1024."""
        assert self.audio is not None
        layout = "stereo" if self.profile.audio_channels == 2 else "mono"
        for start in range(0, samples.shape[1], 1024):
            chunk = np.ascontiguousarray(samples[:, start : start + 1024], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = self.profile.audio_rate
            frame.pts = start
            self.audio_packets.extend(self.audio.encode(frame))
        self.audio_packets.extend(self.audio.encode(None))

    def close(self, *, frames: int) -> None:
        self.video_packets.extend(self.video.encode(None))
        if self.profile.rate_control == "cbr":
            _fill(self.video_packets, video_target(self.profile, frames))
        self._mux(self.video_packets, self.audio_packets)

    def copy(self, video: list[av.Packet], audio: list[av.Packet]) -> None:
        """Mux packets copied from another file (the remux path)."""
        self._mux(video, audio)

    def _mux(self, video: list[av.Packet], audio: list[av.Packet]) -> None:
        tagged = [(p, self.video) for p in video] + [(p, self.audio) for p in audio]

        def when(item: tuple[av.Packet, Any]) -> float:
            packet = item[0]
            dts = packet.dts if packet.dts is not None else packet.pts or 0
            return float(dts * packet.time_base) if packet.time_base else 0.0

        try:
            for packet, stream in sorted(tagged, key=when):
                packet.stream = stream
                self.container.mux(packet)
        finally:
            self.container.close()

    def abort(self) -> None:
        self.container.close()


def _filler(size: int) -> bytes:
    """An H.264 filler-data NAL unit (type 12) of ``size`` bytes, start code included.

    x264 hands out Annex B packets (start codes) and the MP4 muxer rewrites each start code as
    a 4-byte length; with a 4-byte start code the unit keeps its size through that rewrite.
    """
    return b"\x00\x00\x00\x01\x0c" + b"\xff" * (size - 6) + b"\x80"


def _muxed_size(data: bytes) -> int:
    """Bytes an Annex B packet takes once the muxer has put a 4-byte length before each NAL
    unit in place of its 3- or 4-byte start code (as libavformat's ``ff_nal_parse_units``)."""
    starts = []
    at = data.find(b"\x00\x00\x01")
    while at >= 0:
        starts.append(at)
        at = data.find(b"\x00\x00\x01", at + 3)
    if not starts:
        return len(data)
    size = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        if i + 1 < len(starts) and data[end - 1] == 0:
            end -= 1  # the leading zero of a 4-byte start code belongs to the next unit
        size += 4 + end - (start + 3)
    return size


def _fill(packets: list[av.Packet], target: int) -> None:
    """Top the packets up to ``target`` muxed bytes with filler NAL units, spread over every
    frame (decoders discard filler; constant-bitrate encoders emit it themselves)."""
    missing = target - sum(_muxed_size(bytes(p)) for p in packets)
    if missing < 6 or not packets:
        return
    share = missing // len(packets)
    if share < 6:
        packets[-1] = _with_filler(packets[-1], missing)
        return
    last = missing - share * (len(packets) - 1)
    for i, packet in enumerate(packets):
        packets[i] = _with_filler(packet, last if i == len(packets) - 1 else share)


def _with_filler(packet: av.Packet, size: int) -> av.Packet:
    out = av.Packet(bytes(packet) + _filler(size))
    out.pts, out.dts, out.time_base = packet.pts, packet.dts, packet.time_base
    out.is_keyframe = packet.is_keyframe
    return out


@lru_cache(maxsize=16)
def encoder_identity(profile: Profile) -> str:
    """The encoder's name, version and settings as written into the bitstream (x264's SEI)
    plus PyAV's version: part of every normalization key, so upgrading the encoder
    re-normalizes a whole track at the next sync instead of leaving old and new side by side."""
    import tempfile

    from arena.media.fingerprint import encoder_strings

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.mp4"
        writer = _Writer(path, profile, audio=False)
        writer.add_frame(_canvas(profile.width, profile.height), 0)
        writer.close(frames=1)
        return f"av {av.__version__} | {encoder_strings(path)}"


# --- pictures ---------------------------------------------------------------------------------


def _canvas(width: int, height: int) -> np.ndarray:
    """A black yuv420p picture, limited range: (height * 3 / 2, width) uint8 planes."""
    planes = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    planes[:height] = 16
    return planes


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


def _fit(frame: av.VideoFrame, profile: Profile) -> np.ndarray:
    """Scale ``frame`` to the profile's size (keeping its display aspect), pad or crop, and
    return BT.709 limited-range yuv420p planes."""
    if frame.rotation:
        upright = np.rot90(frame.to_ndarray(format="rgb24"), k=round(frame.rotation / 90) % 4)
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(upright, dtype=np.uint8), format="rgb24"
        )
    sar = frame.sample_aspect_ratio if hasattr(frame, "sample_aspect_ratio") else None
    display_w = frame.width * (float(sar) if sar else 1.0)
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
    planes = scaled.to_ndarray()
    if (sw, sh) == (W, H):
        return np.ascontiguousarray(planes)
    out = _canvas(W, H)
    y, u, v = planes[:sh], planes[sh : sh + sh // 4], planes[sh + sh // 4 :]
    u = u.reshape(sh // 2, sw // 2)
    v = v.reshape(sh // 2, sw // 2)
    # Place (pad) or cut (crop) around the centre, on even offsets for the half-size chroma.
    dx, dy = (W - sw) // 4 * 2, (H - sh) // 4 * 2
    out_y = out[:H]
    out_u = out[H : H + H // 4].reshape(H // 2, W // 2)
    out_v = out[H + H // 4 :].reshape(H // 2, W // 2)
    _paste(out_y, y, dx, dy)
    _paste(out_u, u, dx // 2, dy // 2)
    _paste(out_v, v, dx // 2, dy // 2)
    return out


def _paste(dest: np.ndarray, src: np.ndarray, dx: int, dy: int) -> None:
    """Copy ``src`` into ``dest`` at offset (dx, dy); negative offsets crop ``src``."""
    h, w = dest.shape
    sy0, sx0 = max(0, -dy), max(0, -dx)
    dy0, dx0 = max(0, dy), max(0, dx)
    rows = min(h - dy0, src.shape[0] - sy0)
    cols = min(w - dx0, src.shape[1] - sx0)
    dest[dy0 : dy0 + rows, dx0 : dx0 + cols] = src[sy0 : sy0 + rows, sx0 : sx0 + cols]


# --- decoding ---------------------------------------------------------------------------------


def _pictures(
    container: av.container.InputContainer, profile: Profile, frames: int
) -> Iterator[np.ndarray]:
    """The profile's ``frames`` pictures: for each output instant the nearest source frame
    (frame-rate conversion by timestamps, so variable-rate sources come out even); the last
    frame is held if the source runs short by a few milliseconds."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    rate = float(stream.average_rate or stream.guessed_rate or profile.fps)
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
                    cached = _fit(held, profile)
                yield cached
                index += 1
        if index >= frames:
            return
        held, held_t, cached = frame, t, None
    if held is None:
        raise NormalizeError("the video stream has no decodable frame")
    while index < frames:
        if cached is None:
            cached = _fit(held, profile)
        yield cached
        index += 1


def _audio(path: Path, profile: Profile, frames: int) -> np.ndarray:
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


# --- the entry point --------------------------------------------------------------------------


def normalize(src: Path, dest: Path, profile: Profile, *, frames: int, audio: bool) -> Normalized:
    """Write ``src`` to ``dest`` in the profile's format with exactly ``frames`` frames, with
    sound (``audio``) or without. Written to a temporary name and renamed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
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


def _encode(src: Path, tmp: Path, profile: Profile, *, frames: int, audio: bool) -> None:
    sound = _audio(src, profile, frames) if audio else None
    writer = _Writer(tmp, profile, audio=audio)
    try:
        with av.open(str(src)) as container:
            for index, planes in enumerate(_pictures(container, profile, frames)):
                writer.add_frame(planes, index)
        if sound is not None:
            writer.add_audio(sound)
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
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.mp4"
        writer = _Writer(path, profile, audio=audio)
        black = _canvas(profile.width, profile.height)
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
    from arena.media.fingerprint import encoder_strings

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
        writer = _Writer(
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
