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
    assert "ARENA_BATTLE_TTL must be an integer, got 'soon'" in result.stderr


def battle_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_recompute_input_file_is_reproducible_to_the_last_digit(tmp_path: Path) -> None:
    rows = []
    for i in range(300):
        a, b = ["m-a", "m-b", "m-c"][i % 3], ["m-b", "m-c", "m-a"][i % 3]
        winner = ["model_a", "model_b", "tie", "tie (bothbad)"][(i * 7) % 4 if i % 5 else 0]
        rows.append(json.dumps({"model_a": a, "model_b": b, "winner": winner, "tstamp": i}))
    path = battle_file(tmp_path / "battles.jsonl", rows)
    outputs = [
        arena("recompute", "--input", str(path), "--format", fmt, "--rounds", "200", "--seed", "3")
        for fmt in ("json", "json", "csv", "table")
    ]
    assert all(o.returncode == 0 for o in outputs), outputs[0].stderr
    assert outputs[0].stdout == outputs[1].stdout
    doc = json.loads(outputs[0].stdout)
    assert doc["params"]["rounds"] == 200 and doc["seed"] == 3
    assert {m["model"] for m in doc["models"]} == {"m-a", "m-b", "m-c"}
    assert outputs[2].stdout.splitlines()[0].startswith("rank,model,rating,lower,upper")
    assert "m-a" in outputs[3].stdout


def test_recompute_input_rejects_unknown_labels_naming_the_line(tmp_path: Path) -> None:
    good = json.dumps({"model_a": "x", "model_b": "y", "winner": "model_a"})
    bad = json.dumps({"model_a": "x", "model_b": "y", "winner": "draw"})
    path = battle_file(tmp_path / "bad.jsonl", [good, good, bad])
    result = arena("recompute", "--input", str(path))
    assert result.returncode == 2
    assert f"{path}:3" in result.stderr and "'draw'" in result.stderr
    assert "Traceback" not in result.stderr


def test_recompute_from_the_database_writes_snapshots(data_dir: Path, shared_dir: Path) -> None:
    env = {"ARENA_SOURCES_DIR": str(shared_dir / "sources")}
    assert (
        arena(
            "demo", "--data-dir", str(data_dir), "--votes", "60", "--no-serve", env=env
        ).returncode
        == 0
    )
    result = arena(
        "recompute", "--data-dir", str(data_dir), "--json", "--rounds", "100", "--category", ""
    )
    assert result.returncode == 0, result.stderr
    fits = json.loads(result.stdout)
    assert {f["track"] for f in fits} <= {
        "text-to-video",
        "text-to-video-audio",
        "image-to-video",
        "image-to-video-audio",
    }
    assert all(f["category"] == "" for f in fits)
    assert sum(f["n_votes"] for f in fits) == 60


def test_demo_uses_the_config_it_is_given(
    tmp_path: Path, config_path: Path, shared_dir: Path
) -> None:
    env = {"ARENA_SOURCES_DIR": str(shared_dir / "sources")}
    data = tmp_path / "data"
    args = ("--data-dir", str(data), "--no-serve")
    result = arena("demo", "--config", str(config_path), *args, env=env)
    assert result.returncode == 0, result.stderr
    assert f"config {config_path}" in result.stdout
    assert not (data / "arena.toml").exists()  # the demo's own config was not copied in
    listing = arena("models", "list", "--json", "--data-dir", str(data))
    assert {row["model"] for row in json.loads(listing.stdout)} == {
        "clean-1",
        "grainy-2",
        "broken-3",
        "mute-4",
    }
    missing = arena("demo", "--config", str(tmp_path / "nope.toml"), *args, env=env)
    assert missing.returncode == 2
    assert f"{tmp_path / 'nope.toml'}: no such config file" in missing.stderr
