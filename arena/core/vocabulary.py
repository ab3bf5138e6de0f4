"""The arena's vocabulary, each word defined once: tracks, outcomes, sides, scores."""

from __future__ import annotations

from typing import Literal

TRACKS: tuple[str, ...] = (
    "text-to-video",
    "text-to-video-audio",
    "image-to-video",
    "image-to-video-audio",
)
"""The four separate pools: a battle never mixes tracks, a leaderboard is per track."""

TRACK_LABELS: dict[str, str] = {
    "text-to-video": "Text to video",
    "text-to-video-audio": "Text to video, with audio",
    "image-to-video": "Image to video",
    "image-to-video-audio": "Image to video, with audio",
}


def track_has_audio(track: str) -> bool:
    """Whether clips of this track carry sound that voters should judge."""
    return track.endswith("-audio")


def track_has_image(track: str) -> bool:
    """Whether prompts of this track start from a source image."""
    return track.startswith("image-to-video")


Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[str, ...] = ("a", "b", "tie", "both_bad")
"""``a``: the left clip won; ``b``: the right clip won; ``tie``; ``both_bad``. A vote's
outcome is stored by this name; its position here is its code in arrays."""

OUTCOME_CODE: dict[str, int] = {label: code for code, label in enumerate(OUTCOMES)}

FLIP: dict[str, str] = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
"""The same outcome seen from the other side (pairs are stored lower model id first)."""

SCORE: dict[str, float] = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
"""The left model's score in an Elo update: both_bad counts as a tie."""

Side = Literal["left", "right"]

EXCLUSION_REASONS: tuple[str, ...] = ("watch_time", "identity", "seen", "voter", "admin")
"""Why a stored vote does not count, in display order: voted before the clips played; not an
identity the arena counts (``ARENA_IDENTITY``); not blind (a clip revealed to the voter by an
earlier vote); its voter is flagged; an admin flagged it."""
