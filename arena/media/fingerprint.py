"""Everything a voter's browser can learn about a clip file, as named, comparable properties.

A browser receives the whole file: its size (``Content-Length``), the container layout and
headers, the codec configuration, the bitstream (where encoders write their name and
settings), and the timing. :func:`observe` reads each into a value that is equal for two clips
exactly when a client could not tell them apart by that property. The blindness audit
(:mod:`arena.media.audit`) and the normalizer's remux check both rest on these values.

Each property has a kind:

- ``structural``: should be one value across a track (container, codec, resolution, ...);
- ``per_prompt``: should be one value within each prompt (duration, frame count, ...), since
  battles only ever pair clips of the same prompt;
- ``content``: a number driven by what is in the clip (bytes per second); it is expected to vary
  and its leakage is measured, not forbidden.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av

from arena.media.mp4 import MP4, NotMP4, Track, read_mp4

Kind = Literal["structural", "per_prompt", "content"]
Value = str | float


@dataclass(frozen=True)
class Property:
    name: str
    kind: Kind
    what: str


PROPERTIES: tuple[Property, ...] = (
    Property("container", "structural", "container format and ISO brands (ftyp)"),
    Property(
        "box_layout",
        "structural",
        "order of the top-level boxes (moov before mdat: faststart) and the moov box tree",
    ),
    Property("movie_header", "structural", "mvhd: creation and modification times, timescale"),
    Property("metadata", "structural", "container and stream tags, user data (udta)"),
    Property(
        "tracks",
        "structural",
        "streams and their order; handler names, languages, timescales, track headers, "
        "edit-list shape",
    ),
    Property("video_codec", "structural", "video codec, profile and level"),
    Property(
        "codec_config",
        "structural",
        "decoder configuration (avcC: SPS and PPS, with the VUI and HRD parameters)",
    ),
    Property(
        "encoder",
        "structural",
        "encoder name and settings written into the bitstream (x264's SEI message)",
    ),
    Property("resolution", "structural", "coded width x height and sample aspect ratio"),
    Property(
        "pixel_format", "structural", "pixel format, colour range, space, primaries, transfer"
    ),
    Property("frame_rate", "structural", "average frame rate and time base"),
    Property(
        "audio",
        "structural",
        "audio codec, profile, sample rate, channels and layout, decoder config; or none",
    ),
    Property("duration", "per_prompt", "container duration (seconds)"),
    Property("frame_count", "per_prompt", "number of video frames"),
    Property("keyframes", "per_prompt", "positions of the keyframes (stss)"),
    Property("frame_types", "per_prompt", "frame reordering (ctts: where the B-frames are)"),
    Property("audio_duration", "per_prompt", "length of the audio track (seconds)"),
    Property("file_size", "content", "bytes on the wire (Content-Length)"),
    Property("bitrate", "content", "file bits per second of duration"),
    Property("video_bitrate", "content", "video samples' bits per second (sample table)"),
    Property("audio_bitrate", "content", "audio samples' bits per second (sample table)"),
)
KINDS: dict[str, Kind] = {p.name: p.kind for p in PROPERTIES}

_PRINTABLE = re.compile(rb"[\x20-\x7e]{16,}")


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16] if data else "none"


def encoder_strings(path: Path) -> str:
    """Readable strings (16+ printable bytes) in the first video packet: encoder SEI messages."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return ""
            for packet in container.demux(container.streams.video[0]):
                if packet.size:
                    return " | ".join(m.decode("ascii") for m in _PRINTABLE.findall(bytes(packet)))
    except av.error.FFmpegError:
        return ""
    return ""


def _without_duration(payload: bytes, kind: str) -> bytes:
    """An mvhd or tkhd payload with its duration zeroed (duration is checked per prompt)."""
    if not payload:
        return b""
    version = payload[0]
    if kind == "mvhd":
        at, width = (24, 8) if version == 1 else (16, 4)
    else:
        at, width = (28, 8) if version == 1 else (20, 4)
    return payload[:at] + bytes(width) + payload[at + width :]


def _track_shape(track: Track) -> str:
    edits = ",".join(f"{media}@{rate:g}" for _, media, rate in track.edits)
    return (
        f"{track.handler}:{track.sample_entry} name={track.handler_name!r} "
        f"lang={track.language} timescale={track.timescale} edits=[{edits}] "
        f"tkhd={_digest(_without_duration(track.tkhd, 'tkhd'))} tree={track.tree}"
    )


def observe(path: Path) -> dict[str, Value]:
    """The value of every property in :data:`PROPERTIES` for the clip at ``path``."""
    size = path.stat().st_size
    try:
        mp4: MP4 | None = read_mp4(path)
    except (NotMP4, struct.error, IndexError):
        mp4 = None
    out: dict[str, Value] = {"file_size": float(size)}
    with av.open(str(path)) as container:
        tags = {str(k): str(v) for k, v in container.metadata.items()}
        for i, stream in enumerate(container.streams):
            tags.update({f"{i}:{stream.type}:{k}": str(v) for k, v in stream.metadata.items()})
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = container.duration / av.time_base if container.duration else 0.0
        out["container"] = f"{container.format.name} {mp4.brands if mp4 else ''}".strip()
        out["metadata"] = " ".join(f"{k}={v!r}" for k, v in sorted(tags.items())) + (
            f" udta={_digest(mp4.udta)}" if mp4 else ""
        )
        if video is not None:
            cc = video.codec_context
            level = getattr(cc, "level", None)
            out["video_codec"] = f"{cc.name} profile={cc.profile} level={level}"
            out["resolution"] = f"{cc.width}x{cc.height} sar={cc.sample_aspect_ratio}"
            out["pixel_format"] = (
                f"{cc.pix_fmt} range={cc.color_range} space={cc.colorspace} "
                f"primaries={cc.color_primaries} transfer={cc.color_trc}"
            )
            out["frame_rate"] = f"{video.average_rate} time_base={video.time_base}"
            out["codec_config"] = _digest(bytes(cc.extradata or b""))
        else:
            for name in ("video_codec", "resolution", "pixel_format", "frame_rate"):
                out[name] = "no video"
            out["codec_config"] = "none"
        if audio is not None:
            ac = audio.codec_context
            out["audio"] = (
                f"{ac.name} profile={ac.profile} rate={ac.sample_rate} channels={ac.channels} "
                f"layout={ac.layout.name} config={_digest(bytes(ac.extradata or b''))}"
            )
        else:
            out["audio"] = "none"
    out["duration"] = round(duration, 4)
    out["bitrate"] = 8 * size / duration if duration else 0.0
    out["encoder"] = encoder_strings(path) or "none"
    out.update(_layout(mp4))
    return out


def _layout(mp4: MP4 | None) -> dict[str, Value]:
    """The properties only the MP4 box tree holds (``not mp4`` for other containers)."""
    if mp4 is None:
        keys = ("box_layout", "movie_header", "tracks", "keyframes", "frame_types")
        empty: dict[str, Value] = {k: "not mp4" for k in keys}
        empty.update(frame_count=0.0, audio_duration=0.0, video_bitrate=0.0, audio_bitrate=0.0)
        return empty
    video = next((t for t in mp4.tracks if t.handler == "vide"), None)
    audio = next((t for t in mp4.tracks if t.handler == "soun"), None)
    out: dict[str, Value] = {
        "box_layout": f"{mp4.layout} | {mp4.moov_tree}",
        "movie_header": _digest(_without_duration(mp4.mvhd, "mvhd"))
        + f" timescale={mp4.timescale}",
        "tracks": " ; ".join(_track_shape(t) for t in mp4.tracks),
    }
    if video is not None:
        out["frame_count"] = float(video.sample_count)
        out["keyframes"] = (
            "all" if video.sync_samples is None else ",".join(map(str, video.sync_samples))
        )
        ctts = _ctts_digest(mp4)
        out["frame_types"] = ctts
        seconds = video.media_seconds
        out["video_bitrate"] = 8 * sum(video.sample_sizes) / seconds if seconds else 0.0
    else:
        out.update(frame_count=0.0, keyframes="none", frame_types="none", video_bitrate=0.0)
    if audio is not None:
        out["audio_duration"] = round(audio.media_seconds, 4)
        seconds = audio.media_seconds
        out["audio_bitrate"] = 8 * sum(audio.sample_sizes) / seconds if seconds else 0.0
    else:
        out.update(audio_duration=0.0, audio_bitrate=0.0)
    return out


def _ctts_digest(mp4: MP4) -> str:
    moov = next((b for b in mp4.top if b.type == "moov"), None)
    if moov is None:
        return "none"
    for trak in moov.children:
        if trak.type != "trak":
            continue
        hdlr = trak.find("mdia", "hdlr")
        if hdlr is not None and hdlr.payload[8:12] == b"vide":
            ctts = trak.find("mdia", "minf", "stbl", "ctts")
            return _digest(ctts.payload) if ctts else "none"
    return "none"


def structural_signature(values: dict[str, Value]) -> dict[str, Value]:
    """The structural properties only: what must match for two clips to be interchangeable."""
    return {k: v for k, v in values.items() if KINDS.get(k) == "structural"}
