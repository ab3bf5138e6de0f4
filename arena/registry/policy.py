"""Read ``[normalize]`` from arena.toml: each track's normalization profile, checked by key.

Keys directly under ``[normalize]`` apply to every track; a sub-table named after a track
(``[normalize."image-to-video"]``) overrides them for that track::

    [normalize]
    width = 1280
    height = 720
    fps = 24

    [normalize."text-to-video-audio"]
    audio_kbps = 160
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from arena.core.vocabulary import TRACKS
from arena.media.profile import PROFILE_KEYS, Profile
from arena.registry.base import ConfigError

_TYPES: dict[str, type] = {
    f.name: (float if f.type == "float" else int if f.type == "int" else str)
    for f in fields(Profile)
}

_NAMES = {int: "a whole number", float: "a number", str: "a string"}


def load_normalize(raw: Any, path: Path) -> dict[str, Profile]:
    """One :class:`Profile` per track from the ``[normalize]`` table (defaults if absent)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: normalize must be a table ([normalize])")
    shared = {k: v for k, v in raw.items() if k not in TRACKS}
    _check(shared, f"{path}: normalize")
    profiles = {}
    for track in TRACKS:
        own = raw.get(track, {})
        if not isinstance(own, dict):
            raise ConfigError(f'{path}: normalize."{track}" must be a table')
        where = f'{path}: normalize."{track}"'
        _check(own, where)
        values: dict[str, Any] = {
            k: float(v) if _TYPES[k] is float else v for k, v in {**shared, **own}.items()
        }
        try:
            profiles[track] = Profile(**values)
        except ValueError as exc:
            key = str(exc).split(" ", 1)[0]
            place = where if key in own else f"{path}: normalize"
            raise ConfigError(f"{place}.{exc}") from None
    return profiles


def _check(table: Mapping[str, Any], where: str) -> None:
    for key, value in table.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}; known: {', '.join(PROFILE_KEYS)} "
                f"or a track ({', '.join(TRACKS)})"
            )
        kind = _TYPES[key]
        ok = (
            isinstance(value, int | float) and not isinstance(value, bool)
            if kind is float
            else isinstance(value, kind) and not isinstance(value, bool)
        )
        if not ok:
            raise ConfigError(f"{where}.{key} must be {_NAMES[kind]}, got {value!r}")
