"""A bad config fails at start-up with an error naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.registry.base import ConfigError
from arena.registry.config import load_config
from arena.registry.plugins import build_registry

MODEL = """
[[models]]
id = "m1"
name = "M1"
tracks = ["text-to-video"]
provider = "procedural"
"""
PROMPT = """
[[prompts]]
id = "p1"
track = "text-to-video"
text = "A ball"
scene = { subject = "ball", colour = "red", background = "meadow", motion = "bounce" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "arena.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            MODEL.replace("procedural", "nope") + PROMPT,
            "models[0] (m1).provider: unknown provider 'nope'",
        ),
        (MODEL + MODEL + PROMPT, "duplicate model id 'm1'"),
        (
            MODEL + PROMPT.replace('track = "text-to-video"', 'track = "radio"'),
            "prompts[0].track has unknown track 'radio'",
        ),
        (
            MODEL.replace('["text-to-video"]', "[]") + PROMPT,
            "models[0] (m1).tracks: the model supports no track",
        ),
        (
            MODEL.replace('tracks = ["text-to-video"]', 'tracks = ["image-to-video"]') + PROMPT,
            "no prompt on its tracks",
        ),
        (MODEL + "colour = 1\n" + PROMPT, "unknown key 'colour'"),
        (MODEL + PROMPT.replace('text = "A ball"', ""), "prompts[0].text is required"),
        (MODEL + PROMPT + PROMPT, "duplicate prompt id 'p1'"),
        (
            MODEL + "[models.options]\nlook = { sparkle = 1 }\n" + PROMPT,
            "look: unknown key 'sparkle'",
        ),
        ("[[models]\n", "not valid TOML"),
        (
            MODEL + PROMPT.replace('track = "text-to-video"', 'track = "image-to-video"'),
            "prompts[0].image is required",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        build_registry(load_config(path))
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_good_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MODEL + PROMPT))
    registry = build_registry(config)
    assert [m.id for m in config.models] == ["m1"]
    assert registry.providers["procedural"].name == "procedural"
