"""Why a source clip cannot enter its track: each check returns a reason, or None."""

from __future__ import annotations

from pathlib import Path

from arena.core.vocabulary import track_has_audio
from arena.media.probe import ClipInfo, ProbeError, probe
from arena.media.profile import Profile


def probe_source(path: Path | None) -> tuple[ClipInfo | None, str | None]:
    """Probe a provider's file (decoding its first frame): its info, or why it is unusable."""
    if path is None:
        return None, "the provider returned no file"
    try:
        return probe(path), None
    except ProbeError as exc:
        return None, str(exc).replace(f"{path}: ", "", 1)
    except OSError as exc:
        return None, f"cannot read the file ({exc.strerror or exc})"


def fits_track(info: ClipInfo, track: str, profile: Profile) -> str | None:
    """The clip's fit to the track: long enough for the policy, with sound where it is due."""
    seconds = info.video_duration or info.duration
    if seconds < profile.min_seconds:
        return (
            f"too short: {seconds:g} s of video, the track needs at least "
            f"{profile.min_seconds:g} s (normalize.min_seconds)"
        )
    if not info.width or not info.height:
        return "the video stream has no picture size"
    if track_has_audio(track) and not info.has_audio:
        return f"no audio stream, but track {track!r} has sound"
    return None


def unknown_prompt(
    prompt_id: str, prompt_tracks: dict[str, str], model_tracks: tuple[str, ...]
) -> str:
    """Why a clip named for ``prompt_id`` has no place: no such prompt, or another track."""
    track = prompt_tracks.get(prompt_id)
    if track is None:
        return f"no prompt {prompt_id!r} in the config"
    return (
        f"prompt {prompt_id!r} is on track {track!r}, which the model does not support "
        f"(its tracks: {', '.join(model_tracks)})"
    )
