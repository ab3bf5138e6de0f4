"""The ``arena`` command, run as a real subprocess on a small arena."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def arena(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arena.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def data_dir(tmp_path: Path, config_path: Path, shared_dir: Path) -> Path:
    """A data directory holding the small arena's config and images (as `arena demo` makes)."""
    data = tmp_path / "data"
    shutil.copytree(config_path.parent, data)
    return data


def test_demo_prepares_syncs_and_seeds_votes_then_reuses(data_dir: Path, shared_dir: Path) -> None:
    env = {"ARENA_SOURCES_DIR": str(shared_dir / "sources")}
    first = arena("demo", "--data-dir", str(data_dir), "--votes", "40", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    assert "28 added" in first.stdout
    assert "Simulated votes 40/40" in first.stderr
    second = arena("demo", "--data-dir", str(data_dir), "--no-serve", env=env)
    assert second.returncode == 0, second.stderr
    assert "0 added, 0 replaced, 28 unchanged" in second.stdout
    listing = arena("models", "list", "--json", "--data-dir", str(data_dir))
    rows = {row["model"]: row for row in json.loads(listing.stdout)}
    assert set(rows) == {"clean-1", "grainy-2", "broken-3", "mute-4"}
    assert rows["mute-4"]["clips"] == {"text-to-video": 2, "image-to-video": 2}


def test_models_sync_reports_a_bad_config_by_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "arena.toml"
    bad.write_text(
        '[[models]]\nid = "x"\nname = "X"\ntracks = ["text-to-video"]\nprovider = "nope"\n'
    )
    result = arena("models", "sync", "--config", str(bad), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "unknown provider 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_environment_value_is_one_clear_line(tmp_path: Path) -> None:
    result = arena("models", "list", "--data-dir", str(tmp_path), env={"ARENA_BATTLE_TTL": "soon"})
    assert result.returncode == 2
    assert "ARENA_BATTLE_TTL must be a int, got 'soon'" in result.stderr
