"""A track's normalization policy (:class:`Profile`) and the sizes it sets for each clip.

Every key of ``[normalize]`` in arena.toml is a field of :class:`Profile`; the size functions
give, for a clip of a given frame count, the exact number of audio samples, the bytes the video
is filled up to, and the bytes the file is padded to (its ``Content-Length``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Literal


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


def profile_key(profile: Profile, *, audio: bool, encoder: str) -> str:
    """A digest of everything that shapes a normalized file, the encoder's identity included."""
    raw = json.dumps([asdict(profile), audio, encoder], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()
