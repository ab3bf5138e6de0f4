"""The provider keeps the protocol's promises (Arena's conformance check) and checks options."""

import dataclasses
from pathlib import Path

import pytest

from arena.registry.base import ConfigError, ModelSpec, PromptSpec
from arena.registry.testing import check_provider
from arena_kenburns import KenBurnsProvider

MODEL = ModelSpec(
    id="kb", name="Ken Burns", provider="kenburns", tracks=("text-to-video",),
    options={"seconds": 1.0, "width": 64, "height": 36},
)
PROMPTS = [PromptSpec(id="p1", track="text-to-video", text="A lighthouse at dusk")]


def test_conformance(tmp_path: Path) -> None:
    assert check_provider(KenBurnsProvider(), MODEL, PROMPTS, workdir=tmp_path) == []


def test_bad_option_names_the_key() -> None:
    bad = dataclasses.replace(MODEL, options={"width": 63})
    with pytest.raises(ConfigError, match=r"options.width must be even"):
        KenBurnsProvider().check(bad, config_file=Path("arena.toml"))
