"""Find providers through the ``arena.providers`` entry-point group, and check a config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from arena.registry.base import ConfigError, Provider
from arena.registry.config import ArenaConfig, check_tracks

GROUP = "arena.providers"


def provider_entry_points() -> dict[str, list[EntryPoint]]:
    """Registered providers by name, without importing them (one name may come twice)."""
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=GROUP):
        if all(other.value != ep.value for other in found.get(ep.name, [])):
            found.setdefault(ep.name, []).append(ep)
    return found


def load_provider(name: str, eps: list[EntryPoint]) -> Provider:
    """Import and instantiate one provider; a broken plugin is a :class:`ConfigError`."""
    if len(eps) > 1:
        raise ConfigError(
            f"provider {name!r} is registered twice ({', '.join(ep.value for ep in eps)}); "
            "uninstall one of the packages"
        )
    ep = eps[0]
    try:
        provider = ep.load()()
    except Exception as exc:  # a third-party plugin failing to import is a set-up problem
        raise ConfigError(
            f"provider {name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(provider, Provider):
        raise ConfigError(f"entry point {name!r} ({ep.value}) is not an Arena provider")
    return provider


def discover_providers() -> dict[str, Provider]:
    """Instantiate every provider registered under :data:`GROUP`, keyed by its name."""
    return {name: load_provider(name, eps) for name, eps in provider_entry_points().items()}


@dataclass(frozen=True)
class Registry:
    """A checked config and the providers its models use."""

    config: ArenaConfig
    providers: Mapping[str, Provider]

    def provider_for(self, model_id: str) -> Provider:
        model = next(m for m in self.config.models if m.id == model_id)
        return self.providers[model.provider]


def build_registry(
    config: ArenaConfig, providers: Mapping[str, Provider] | None = None
) -> Registry:
    """Check every model against its provider; raise :class:`ConfigError` on the first problem.

    Without ``providers``, only the providers the config names are imported, so a broken
    plugin that no model uses does not stop the arena.
    """
    eps = provider_entry_points() if providers is None else {}
    loaded: dict[str, Provider] = dict(providers or {})
    installed: Mapping[str, object] = eps if providers is None else loaded
    for i, model in enumerate(config.models):
        if model.provider not in installed:
            raise ConfigError(
                f"{config.path}: models[{i}] ({model.id}).provider: unknown provider "
                f"{model.provider!r}; installed: {', '.join(sorted(installed)) or 'none'}"
            )
        if model.provider not in loaded:
            loaded[model.provider] = load_provider(model.provider, eps[model.provider])
        loaded[model.provider].check(model, config_file=config.path)
    check_tracks(config.models, config.prompts, config.path)
    return Registry(config=config, providers=loaded)


def provider_usage(config: ArenaConfig, sources_dir: Path) -> dict[str, dict[str, Any]]:
    """Per model id, what its provider reports of its use (jobs, seconds, cost), for the
    providers that keep such figures: an optional ``usage(model, *, workdir)`` method.

    Options are not checked (secrets are not needed to read a ledger); a provider that is
    not installed or fails to load is skipped."""
    eps = provider_entry_points()
    out: dict[str, dict[str, Any]] = {}
    loaded: dict[str, Provider | None] = {}
    for model in config.models:
        if model.provider not in loaded:
            try:
                loaded[model.provider] = (
                    load_provider(model.provider, eps[model.provider])
                    if model.provider in eps
                    else None
                )
            except ConfigError:
                loaded[model.provider] = None
        usage = getattr(loaded[model.provider], "usage", None)
        if callable(usage):
            out[model.id] = dict(usage(model, workdir=sources_dir / model.provider))
    return out
