"""Write clips in a profile's exact format: the H.264 and AAC encoders, filler, the muxer.

Every normalized clip goes through :class:`Writer`, so clips differ in content, never in
encoder settings or container layout: libx264 with one fixed configuration (fixed GOP, fixed
B-frame pattern, one thread, constant bitrate with HRD), BT.709 limited-range tags, AAC at the
profile's rate and layout, MP4 with faststart and no tags (bitexact).
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.reformatter import ColorRange

from arena.media.fingerprint import encoder_strings
from arena.media.profile import Profile, profile_key, video_target

_BITEXACT = 1 << 23  # AV_CODEC_FLAG_BITEXACT: no version strings from libavcodec
_MUXER = {"movflags": "+faststart", "fflags": "+bitexact"}
_BT709 = 1


def video_options(profile: Profile) -> dict[str, str]:
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


class Writer:
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
            self.video.options = video_options(profile)
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.mp4"
        writer = Writer(path, profile, audio=False)
        writer.add_frame(canvas(profile.width, profile.height), 0)
        writer.close(frames=1)
        return f"av {av.__version__} | {encoder_strings(path)}"


def canvas(width: int, height: int) -> np.ndarray:
    """A black yuv420p picture, limited range: (height * 3 / 2, width) uint8 planes."""
    planes = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    planes[:height] = 16
    return planes


def normalization_key(profile: Profile, *, audio: bool) -> str:
    """A digest of everything that shapes the output, including the encoder's identity."""
    return profile_key(profile, audio=audio, encoder=encoder_identity(profile))
