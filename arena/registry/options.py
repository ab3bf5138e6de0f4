"""Typed reading of a model's provider options, with errors that name the file and the key.

For provider authors: build an :class:`Options` in ``check`` (and again in ``clips``), read
each option with the method of its type, and every mistake in the config becomes a
:class:`ConfigError` such as ``arena.toml: models[2] (my-model).options.timeout must be a
number of seconds > 0, got 'soon'``::

    def check(self, model, *, config_file):
        opts = Options(model, known={"path", "timeout"})
        opts.path("path", must_be="dir")
        opts.number("timeout", default=60, minimum=0.001)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from arena.registry.base import ConfigError, ModelSpec


class Options:
    """A model's ``options`` table, checked against the keys a provider knows."""

    def __init__(self, model: ModelSpec, *, known: set[str]) -> None:
        self.model = model
        self.raw = dict(model.options)
        unknown = sorted(set(self.raw) - known)
        if unknown:
            raise ConfigError(
                f"{model.where(unknown[0])}: unknown option; the {model.provider} provider "
                f"knows: {', '.join(sorted(known)) or 'none'}"
            )

    def error(self, key: str, message: str) -> ConfigError:
        """A :class:`ConfigError` about option ``key`` (for checks of your own)."""
        return ConfigError(f"{self.model.where(key)} {message}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def string(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}")
        return value

    def number(
        self, key: str, default: float | None = None, *, minimum: float | None = None
    ) -> float:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum:g}, got {value!r}")
        return float(value)

    def integer(self, key: str, default: int | None = None, *, minimum: int | None = None) -> int:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value!r}")
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.raw.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"must be a list of strings, got {value!r}")
        return list(value)

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, got {value!r}")
        return value

    def path(
        self, key: str, *, must_be: Literal["file", "dir"] | None = None, default: str | None = None
    ) -> Path:
        """A path option, relative to the config file's folder; checked to exist if asked."""
        path = self.model.resolve(self.string(key, default))
        if must_be == "dir" and not path.is_dir():
            what = "is not a folder" if path.exists() else "folder not found"
            raise self.error(key, f"{what}: {path}")
        if must_be == "file" and not path.is_file():
            what = "is not a file" if path.exists() else "file not found"
            raise self.error(key, f"{what}: {path}")
        return path
