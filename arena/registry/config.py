"""Read ``arena.toml``: models, prompt sets (TOML or JSONL), checked with file-and-key errors."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from arena.core.vocabulary import TRACKS, track_has_image
from arena.media.profile import Profile
from arena.registry.base import ConfigError, ModelSpec, PromptSpec
from arena.registry.policy import load_normalize

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_LICENSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")


@dataclass(frozen=True)
class ReleaseInfo:
    """``[release]``: what a published data release (``arena export votes --dataset``) says.

    ``license`` is the licence identifier of the published votes, as the Hugging Face hub lists
    them (``cc-by-4.0``, ``odc-by``, ``other``, ...); "" when not configured.
    """

    license: str = ""
    title: str = ""


@dataclass(frozen=True)
class ArenaConfig:
    """The models and prompts of one arena, and the file they came from."""

    path: Path
    models: tuple[ModelSpec, ...]
    prompts: tuple[PromptSpec, ...]
    normalize: Mapping[str, Profile] = field(default_factory=dict)
    """Each track's normalization policy (``[normalize]``; defaults where not configured)."""
    release: ReleaseInfo = field(default_factory=ReleaseInfo)

    def prompts_for(self, model: ModelSpec) -> list[PromptSpec]:
        return [p for p in self.prompts if p.track in model.tracks]

    def profile(self, track: str) -> Profile:
        return self.normalize.get(track) or Profile()


def load_config(path: Path) -> ArenaConfig:
    """Parse and check ``path``; raise :class:`ConfigError` naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"models", "prompts", "prompt_files", "normalize", "release"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}")
    base = path.parent
    prompts: list[PromptSpec] = []
    for i, raw in enumerate(_tables(data, "prompts", path)):
        prompts.append(_prompt(raw, f"{path}: prompts[{i}]", base))
    for name in _strings(data.get("prompt_files", []), f"{path}: prompt_files"):
        prompts.extend(load_prompt_file(base / name))
    seen: set[str] = set()
    for prompt in prompts:
        if prompt.id in seen:
            raise ConfigError(f"{path}: duplicate prompt id {prompt.id!r}")
        seen.add(prompt.id)
    models = [
        _model(raw, f"{path}: models[{i}]", path, i)
        for i, raw in enumerate(_tables(data, "models", path))
    ]
    ids: set[str] = set()
    for model in models:
        if model.id in ids:
            raise ConfigError(f"{path}: duplicate model id {model.id!r}")
        ids.add(model.id)
    return ArenaConfig(
        path=path,
        models=tuple(models),
        prompts=tuple(prompts),
        normalize=load_normalize(data.get("normalize", {}), path),
        release=_release(data.get("release", {}), f"{path}: release"),
    )


def _release(raw: Any, where: str) -> ReleaseInfo:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table ([release])")
    unknown = sorted(set(raw) - {"license", "title"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    license = _text(raw, "license", where, required=False).strip()
    if license and not _LICENSE.match(license):
        raise ConfigError(
            f"{where}.license {license!r} must be a licence identifier such as 'cc-by-4.0' "
            "(letters, digits, '.', '+', '-')"
        )
    return ReleaseInfo(license=license, title=_text(raw, "title", where, required=False).strip())


def load_prompt_file(path: Path) -> list[PromptSpec]:
    """Prompts from a TOML file (``[[prompts]]`` tables) or JSONL (one object per line)."""
    if not path.exists():
        raise ConfigError(f"{path}: prompt file not found")
    if path.suffix == ".jsonl":
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}:{n}: expected a JSON object")
            out.append(_prompt(raw, f"{path}:{n}", path.parent))
        return out
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return [
        _prompt(raw, f"{path}: prompts[{i}]", path.parent)
        for i, raw in enumerate(_tables(data, "prompts", path))
    ]


def _tables(data: Mapping[str, Any], key: str, path: Path) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: {key} must be an array of tables ([[{key}]])")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string, got {value!r}")
    if required and not value.strip():
        raise ConfigError(f"{where}.{key} is required")
    return value


def _identifier(raw: Mapping[str, Any], where: str) -> str:
    value = _text(raw, "id", where)
    if not _ID.match(value):
        raise ConfigError(f"{where}.id {value!r} must be 1-100 letters, digits, '.', '_' or '-'")
    return value


def _track(value: Any, where: str) -> str:
    if value not in TRACKS:
        raise ConfigError(f"{where} has unknown track {value!r}; tracks: {', '.join(TRACKS)}")
    return str(value)


def _prompt(raw: Mapping[str, Any], where: str, base: Path) -> PromptSpec:
    known = {"id", "track", "text", "categories", "image"}
    pid = _identifier(raw, where)
    track = _track(raw.get("track"), f"{where}.track")
    image = raw.get("image")
    image_path = None
    if image is not None:
        if not isinstance(image, str):
            raise ConfigError(f"{where}.image must be a file path")
        image_path = (base / image).resolve()
        if not image_path.is_file():
            raise ConfigError(f"{where}.image: file not found: {image_path}")
    if track_has_image(track) and image_path is None:
        raise ConfigError(f"{where}.image is required for track {track!r}")
    return PromptSpec(
        id=pid,
        track=track,
        text=_text(raw, "text", where),
        categories=_strings(raw.get("categories", []), f"{where}.categories"),
        image=image_path,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _model(raw: Mapping[str, Any], where: str, path: Path, position: int) -> ModelSpec:
    known = {
        "id",
        "name",
        "provider",
        "tracks",
        "organization",
        "license",
        "release_date",
        "link",
        "options",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    mid = _identifier(raw, where)
    where = f"{where} ({mid})"
    tracks = _strings(raw.get("tracks", []), f"{where}.tracks")
    if not tracks:
        raise ConfigError(f"{where}.tracks: the model supports no track")
    for track in tracks:
        _track(track, f"{where}.tracks")
    released = raw.get("release_date")
    if released is not None and not isinstance(released, date):
        raise ConfigError(f"{where}.release_date must be a TOML date (YYYY-MM-DD)")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where}.options must be a table")
    return ModelSpec(
        id=mid,
        name=_text(raw, "name", where, required=False) or mid,
        provider=_text(raw, "provider", where),
        tracks=tracks,
        organization=_text(raw, "organization", where, required=False),
        license=_text(raw, "license", where, required=False),
        release_date=released,
        link=_text(raw, "link", where, required=False),
        options=options,
        config_file=path,
        position=position,
    )


def check_tracks(models: Sequence[ModelSpec], prompts: Sequence[PromptSpec], path: Path) -> None:
    """Every model must have at least one prompt on one of its tracks."""
    tracks = {p.track for p in prompts}
    for i, model in enumerate(models):
        if not tracks.intersection(model.tracks):
            raise ConfigError(
                f"{path}: models[{i}] ({model.id}).tracks: no prompt on its tracks "
                f"({', '.join(model.tracks)})"
            )
