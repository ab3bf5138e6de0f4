"""Find providers through the ``arena.providers`` entry-point group, and check a config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from arena.registry.base import ConfigError, Provider
from arena.registry.config import ArenaConfig, check_tracks

GROUP = "arena.providers"


def discover_providers() -> dict[str, Provider]:
    """Instantiate every provider registered under :data:`GROUP`, keyed by its name."""
    found: dict[str, Provider] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        provider = cls()
        if not isinstance(provider, Provider):
            raise ConfigError(f"entry point {ep.name!r} ({ep.value}) is not an Arena provider")
        found[ep.name] = provider
    return found


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
    """Check every model against its provider; raise :class:`ConfigError` on the first problem."""
    providers = discover_providers() if providers is None else providers
    for i, model in enumerate(config.models):
        if model.provider not in providers:
            raise ConfigError(
                f"{config.path}: models[{i}] ({model.id}).provider: unknown provider "
                f"{model.provider!r}; installed: {', '.join(sorted(providers)) or 'none'}"
            )
        providers[model.provider].check(model, config_file=config.path)
    check_tracks(config.models, config.prompts, config.path)
    return Registry(config=config, providers=dict(providers))
