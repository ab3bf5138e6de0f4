"""Probe a media file with PyAV: duration, size, frame rate, codecs, audio; decodability."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


class ProbeError(ValueError):
    """The file is not a clip Arena can use (unreadable, empty, or without video)."""


@dataclass(frozen=True)
class ClipInfo:
    """What a voter's browser could learn about a clip from its container."""

    container: str
    size_bytes: int
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    pix_fmt: str
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    metadata: dict[str, str]
    video_duration: float = 0.0
    """Seconds of the video stream alone (the container's duration also spans the audio)."""
    frames: int = 0
    """Video frames, as the container declares them (0 when it does not say)."""

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def bitrate(self) -> float:
        """Bits per second over the whole file."""
        return 8 * self.size_bytes / self.duration if self.duration else 0.0


def probe(path: Path, *, decode_check: bool = True) -> ClipInfo:
    """Read ``path``'s container and streams; with ``decode_check``, decode the first frame.

    Raises :class:`ProbeError` naming the file and the reason.
    """
    size = path.stat().st_size if path.exists() else 0
    if size == 0:
        raise ProbeError(f"{path}: file is missing or empty")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ProbeError(f"{path}: no video stream")
            video = container.streams.video[0]
            rate = video.average_rate or video.guessed_rate
            fps = float(rate) if rate else 0.0
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif video.duration is not None and video.time_base is not None:
                duration = float(video.duration * video.time_base)
            else:
                duration = 0.0
            if video.duration is not None and video.time_base is not None:
                video_duration = float(video.duration * video.time_base)
            elif video.frames and fps:
                video_duration = video.frames / fps
            else:
                video_duration = duration
            audio = container.streams.audio[0] if container.streams.audio else None
            metadata = {str(k): str(v) for k, v in container.metadata.items()}
            for stream in container.streams:
                metadata.update({f"{stream.type}:{k}": str(v) for k, v in stream.metadata.items()})
            if decode_check:
                next(container.decode(video=0))
            return ClipInfo(
                container=container.format.name,
                size_bytes=size,
                duration=round(duration, 3),
                width=video.codec_context.width,
                height=video.codec_context.height,
                fps=round(fps, 3),
                video_codec=video.codec_context.name,
                pix_fmt=str(video.codec_context.pix_fmt),
                audio_codec=audio.codec_context.name if audio is not None else None,
                audio_rate=audio.codec_context.sample_rate if audio is not None else None,
                audio_channels=audio.codec_context.channels if audio is not None else None,
                metadata=metadata,
                video_duration=round(video_duration, 3),
                frames=int(video.frames or 0),
            )
    except ProbeError:
        raise
    except StopIteration:
        raise ProbeError(f"{path}: the video stream has no decodable frame") from None
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise ProbeError(f"{path}: cannot decode ({exc})") from None
