"""A third-party provider package, installed like any plugin, is found and used end to end."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

EXAMPLE = Path(__file__).parent.parent / "examples" / "arena-kenburns"

CONFIG = """
[normalize]
width = 160
height = 96
fps = 12
min_seconds = 0.5
preset = "veryfast"

[[models]]
id = "kenburns-1"
name = "Ken Burns 1"
organization = "Example Org"
tracks = ["text-to-video", "image-to-video-audio"]
provider = "kenburns"
options = { seconds = 1.0, width = 128, height = 72 }

[[prompts]]
id = "lighthouse"
track = "text-to-video"
text = "A lighthouse at dusk"

[[prompts]]
id = "fish"
track = "image-to-video-audio"
text = "Animate this fish"
image = "fish.png"
"""


def arena(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "arena.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.slow
def test_example_provider_package_installs_and_syncs(tmp_path: Path) -> None:
    import setuptools

    has_bdist = importlib.util.find_spec("wheel") is not None or tuple(
        int(x) for x in setuptools.__version__.split(".")[:2]
    ) >= (70, 1)
    need(has_bdist, "building a wheel offline needs the 'wheel' package (pip install wheel)")
    site = tmp_path / "site"
    # Built from a copy: a build leaves build/ and *.egg-info beside the sources it reads.
    source = tmp_path / "arena-kenburns"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "arena_kenburns").is_dir()
    from arena.registry.procedural import render_source_image

    render_source_image(
        {"subject": "fish", "colour": "blue", "background": "sea", "motion": "orbit"},
        tmp_path / "fish.png",
    )
    config = tmp_path / "arena.toml"
    config.write_text(CONFIG)
    common = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    check = arena(site, "models", "check", *common)
    assert check.returncode == 0, check.stderr
    assert "providers: kenburns" in check.stdout
    synced = arena(site, "models", "sync", *common)
    assert synced.returncode == 0, synced.stderr
    assert "2 added" in synced.stdout and "0 rejected" in synced.stdout
    listing = arena(site, "models", "list", "--json", *common)
    (row,) = json.loads(listing.stdout)
    assert row["provider"] == "kenburns" and row["organization"] == "Example Org"
    assert row["clips"] == {"image-to-video-audio": 1, "text-to-video": 1}
    assert row["lacking"] == []
    # Without the package on the path the provider is unknown, and the error says which.
    missing = arena(tmp_path / "empty", "models", "sync", *common)
    assert missing.returncode == 2 and "unknown provider 'kenburns'" in missing.stderr
