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


PROVIDER_MODEL = """
[[models]]
id = "m1"
tracks = ["text-to-video"]
provider = "{provider}"
options = {options}
"""


@pytest.mark.parametrize(
    "provider, options, needle",
    [
        ("directory", "{}", "models[0] (m1).options.path is required"),
        ("directory", '{ path = "no/such/folder" }', "options.path folder not found"),
        ("directory", '{ path = "." , recursive = true }', "options.recursive: unknown option"),
        ("manifest", '{ path = "missing.csv" }', "options.path file not found"),
        ("manifest", '{ path = "m.csv" }', "the header has no column 'file'"),
        ("manifest", '{ path = "ok.csv", model = "zeta" }', "'zeta' has no row in"),
        ("manifest", '{ path = "dup.csv" }', "dup.csv:3: model 'm1' has a second row"),
        ("manifest", '{ path = "s3.csv" }', "unsupported URL scheme 's3'"),
        ("manifest", '{ path = "ok.csv", timeout = "soon" }', "options.timeout must be a number"),
        ("command", "{}", "options.command is required"),
        ("command", '{ command = ["python3", "{prompt}"] }', "must contain {output}"),
        ("command", '{ command = "python3 {prompt} {outptu}" }', "unknown placeholder {outptu}"),
        ("command", '{ command = ["no-such-generator", "{output}"] }', "is not on PATH"),
        ("command", '{ command = ["./gen.sh", "{output}"] }', "program not found"),
        ("command", '{ command = ["python3", "{output}"], timeout = 0 }', "timeout must be at"),
    ],
)
def test_provider_options_fail_at_start_up_naming_the_key(
    tmp_path: Path, provider: str, options: str, needle: str
) -> None:
    (tmp_path / "m.csv").write_text("model,prompt_id,path\nm1,p1,a.mp4\n")
    (tmp_path / "ok.csv").write_text("model,prompt_id,file\nm1,p1,a.mp4\n")
    (tmp_path / "dup.csv").write_text("model,prompt_id,file\nm1,p1,a.mp4\nm1,p1,b.mp4\n")
    (tmp_path / "s3.csv").write_text("model,prompt_id,file\nm1,p1,s3://bucket/a.mp4\n")
    text = PROVIDER_MODEL.format(provider=provider, options=options) + PROMPT
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        build_registry(load_config(path))
    assert needle in str(info.value)
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(
    "table, needle",
    [
        ("[normalize]\nwidth = 641\n", "normalize.width = 641 is not allowed (an even number"),
        ('[normalize]\nfit = "stretch"\n', "normalize.fit = 'stretch' is not allowed"),
        ("[normalize]\nwidht = 640\n", "normalize: unknown key 'widht'"),
        ('[normalize]\nfps = "24"\n', "normalize.fps must be a whole number"),
        ('[normalize."text-to-video"]\nduration = "longest"\n', 'normalize."text-to-video".dur'),
        ("[normalize]\nmin_seconds = 20.0\n", "normalize.min_seconds = 20.0 is not allowed"),
    ],
)
def test_bad_normalize_table_names_the_key(tmp_path: Path, table: str, needle: str) -> None:
    path = write(tmp_path, table + MODEL + PROMPT)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_normalize_table_sets_each_track_with_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[normalize]\nwidth = 640\nheight = 360\n[normalize."image-to-video"]\nfps = 30\n'
        + MODEL
        + PROMPT,
    )
    config = load_config(path)
    assert config.profile("text-to-video").fps == 24
    assert config.profile("image-to-video").fps == 30
    assert config.profile("image-to-video").width == 640
    assert load_config(write(tmp_path, MODEL + PROMPT)).profile("text-to-video").width == 1280
