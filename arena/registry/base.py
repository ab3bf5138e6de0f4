"""The one extension surface: what a model provider is, and what it is given and returns.

A provider turns one configured model into clip files, one per prompt. Providers are found
through the ``arena.providers`` entry-point group (built-in ones are registered the same way as
third-party ones, in Arena's own ``pyproject.toml``); a model's ``provider`` key in the config
names one. Ingestion (:mod:`arena.services.ingest`) probes, normalizes and stores what a
provider returns; a provider never touches the database or the media folder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ModelSpec:
    """A model as configured: metadata, the tracks it competes on, its provider and options."""

    id: str
    name: str
    provider: str
    tracks: tuple[str, ...]
    organization: str = ""
    license: str = ""
    release_date: date | None = None
    link: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    """The arena.toml the model came from: relative paths in ``options`` are relative to its
    folder (see :meth:`resolve`), and errors name it (see :meth:`where`)."""
    position: int = 0
    """The model's index among the config's ``[[models]]`` tables."""

    def where(self, key: str = "") -> str:
        """Where a problem with an option lies, for an error message: the file and the key,
        e.g. ``arena.toml: models[2] (my-model).options.path``."""
        place = f"{self.config_file or 'arena.toml'}: models[{self.position}] ({self.id})"
        return f"{place}.options.{key}" if key else f"{place}.options"

    def resolve(self, value: str | Path) -> Path:
        """A path from the options, made absolute against the config file's folder."""
        path = Path(value).expanduser()
        if path.is_absolute() or self.config_file is None:
            return path
        return (self.config_file.parent / path).resolve()


@dataclass(frozen=True)
class PromptSpec:
    """A prompt as configured. ``extra`` holds provider-specific keys (the demo's ``scene``)."""

    id: str
    track: str
    text: str
    categories: tuple[str, ...] = ()
    image: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClipSource:
    """A provider's answer for one prompt: a file, or the reason there is none.

    ``digest`` identifies the source cheaply and stably (a content hash, or a hash of the
    generator's inputs); ingestion does not even open a clip whose digest it has already
    stored. Without one, ingestion hashes the file on every sync. ``path`` may be in any
    container and codec PyAV decodes; ingestion normalizes it.
    """

    prompt_id: str
    path: Path | None = None
    digest: str = ""
    error: str | None = None
    immutable: bool = False
    """The provider never changes this file in place (a new render is a new file, or replaces
    it by a rename), so ingestion may keep it as the original by a hard link, not a copy."""


@runtime_checkable
class Provider(Protocol):
    """Supplies the clips of the models that name it in the config.

    A provider class is constructed with no arguments; everything model-specific arrives in
    :class:`ModelSpec` ``options``.

    Optionally, a provider that keeps figures of its use (a hosted API's jobs, seconds and
    cost) has ``usage(model, *, workdir) -> dict``; ``arena models list`` shows what it
    returns (see :func:`arena.registry.plugins.provider_usage`).
    """

    name: ClassVar[str]
    """The key models use to select this provider (``provider = "..."`` in the config)."""

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        """Validate ``model.options`` at start-up; raise :class:`ConfigError` naming the key.

        Called once per model before anything is rendered or copied, so a typo in the config
        fails fast instead of half-way through a sync.
        """
        ...

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        """Yield one :class:`ClipSource` per prompt the model can answer, as each is ready.

        ``prompts`` are the prompts of the model's tracks. ``workdir`` is a folder of the
        provider's own (kept between runs) for generated or downloaded files. A prompt the
        model cannot answer may be skipped (it is listed as lacking), or returned with
        ``error`` set to say why (reported by the sync). A clip for a prompt id not in
        ``prompts`` (a stray file) is reported and skipped. An exception ends this model's
        sync with one report line; the other models still sync.
        """
        ...
