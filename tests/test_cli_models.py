"""``arena models check|sync|list|retire|unretire|claim`` and ``arena audit blindness``, run as
real subprocesses on the small arena."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_cli import arena


@pytest.fixture
def synced(tmp_path: Path, config_path: Path, shared_dir: Path) -> tuple[Path, dict[str, str]]:
    """A data directory with the small arena synced (its clips come from the session cache)."""
    data = tmp_path / "data"
    shutil.copytree(config_path.parent, data)
    env = {"ARENA_SOURCES_DIR": str(shared_dir / "sources")}
    result = arena(
        "models", "sync", "--data-dir", str(data), "--config", str(data / "arena.toml"), env=env
    )
    assert result.returncode == 0, result.stderr
    assert "28 added" in result.stdout
    assert "Syncing clips 28/28" in result.stderr and "normalize" in result.stderr  # progress
    return data, env


def rows(data: Path, env: dict[str, str]) -> dict[str, dict]:
    result = arena("models", "list", "--json", "--data-dir", str(data), env=env)
    assert result.returncode == 0, result.stderr
    return {row["model"]: row for row in json.loads(result.stdout)}


def test_list_shows_tracks_counts_and_lacking_prompts(synced: tuple[Path, dict[str, str]]) -> None:
    data, env = synced
    listed = rows(data, env)
    assert listed["mute-4"]["tracks"] == ["text-to-video", "image-to-video"]
    assert listed["clean-1"]["clips"] == {
        "image-to-video": 2,
        "image-to-video-audio": 2,
        "text-to-video": 2,
        "text-to-video-audio": 2,
    }
    assert all(row["lacking"] == [] for row in listed.values())
    # A prompt added to the config and not yet synced is lacking for every model of its track.
    config = data / "arena.toml"
    config.write_text(
        config.read_text()
        + '\n[[prompts]]\nid = "t2v-new"\ntrack = "text-to-video"\ntext = "A kite"\n'
        'scene = { subject = "star", colour = "red", background = "meadow", motion = "glide" }\n'
    )
    lacking = rows(data, env)
    assert lacking["mute-4"]["lacking"] == ["t2v-new"]
    text = arena("models", "list", "--data-dir", str(data), env=env).stdout
    assert "lacks 1: t2v-new" in text


def test_retire_unretire_and_claim_from_the_command_line(
    synced: tuple[Path, dict[str, str]],
) -> None:
    data, env = synced
    d = ["--data-dir", str(data)]
    retired = arena("models", "retire", "broken-3", *d, env=env)
    assert retired.returncode == 0 and "retired: no new battles" in retired.stdout
    assert rows(data, env)["broken-3"]["retired"] is True
    assert "(retired)" in arena("models", "list", *d, env=env).stdout
    assert arena("models", "unretire", "broken-3", *d, env=env).returncode == 0
    assert rows(data, env)["broken-3"]["retired"] is False
    claimed = arena(
        "models",
        "claim",
        "mute-4",
        "--as",
        "acme-video-2",
        "--name",
        "Acme Video 2",
        "--organization",
        "Acme",
        "--note",
        "launch day",
        *d,
        env=env,
    )
    assert claimed.returncode == 0, claimed.stderr
    assert "mute-4 (Mute Four) is now acme-video-2 (Acme Video 2, Acme)" in claimed.stdout
    after = rows(data, env)
    assert "mute-4" not in after
    assert after["acme-video-2"]["claimed_from"] == ["mute-4"]
    assert after["acme-video-2"]["clips"] == {"image-to-video": 2, "text-to-video": 2}
    ghost = arena("models", "retire", "ghost", *d, env=env)
    assert ghost.returncode == 2 and "no model 'ghost'" in ghost.stderr
    taken = arena(
        "models",
        "claim",
        "grainy-2",
        "--as",
        "clean-1",
        "--name",
        "X",
        "--organization",
        "Y",
        *d,
        env=env,
    )
    assert taken.returncode == 2 and "'clean-1' is already taken" in taken.stderr


def test_audit_blindness_is_clean_on_served_files(synced: tuple[Path, dict[str, str]]) -> None:
    data, env = synced
    result = arena("audit", "blindness", "--json", "--data-dir", str(data), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [t["verdict"] for t in report["tracks"]] == ["clean"] * 4
    text = arena("audit", "blindness", "--data-dir", str(data), env=env)
    assert "text-to-video: CLEAN" in text.stdout
    assert "one value across the track: container, box_layout" in text.stdout


def test_check_summarizes_the_config(synced: tuple[Path, dict[str, str]]) -> None:
    data, env = synced
    result = arena("models", "check", "--config", str(data / "arena.toml"), env=env)
    assert result.returncode == 0, result.stderr
    assert "4 models, 8 prompts" in result.stdout
    assert "text-to-video: 160x96 12 fps, shortest duration" in result.stdout


def test_sync_report_groups_rejections_by_reason(capsys: pytest.CaptureFixture[str]) -> None:
    from arena.cli.common import print_sync
    from arena.services.ingest import SyncReport

    report = SyncReport(added=2, encoded=2)
    report.rejected = [("m", f"p{i}", "an https URL; set options.download") for i in range(13)]
    report.rejected.append(("m", "q", "too short: 0.2 s"))
    report.missing = [("m", "r")]
    report.oversize = [("m", "s")]
    print_sync(report, limit=10)
    out = capsys.readouterr().out
    assert "2 added, 0 replaced, 0 unchanged, 14 rejected (normalized: 2 encoded" in out
    assert "rejected m / p9: an https URL" in out and "m / p10" not in out
    assert "... and 3 more rejected for the same reason" in out
    assert "rejected m / q: too short: 0.2 s" in out
    assert "no clip yet for 1 prompts: m / r" in out
    assert "1 clips overshot the size target" in out


def test_sync_normalizes_in_worker_processes(
    tmp_path: Path, config_path: Path, shared_dir: Path
) -> None:
    """A policy nothing is cached for: `arena models sync --workers 2` encodes every clip in
    spawned worker processes, once, and the served files take the new format."""
    data = tmp_path / "data"
    shutil.copytree(config_path.parent, data)
    config = data / "arena.toml"
    config.write_text(config.read_text().replace("fps = 12\n", "fps = 6\n"))
    env = {"ARENA_SOURCES_DIR": str(shared_dir / "sources")}
    d = ["--data-dir", str(data), "--config", str(config)]
    result = arena("models", "sync", "--workers", "2", *d, env=env)
    assert result.returncode == 0, result.stderr
    assert "28 added" in result.stdout and "28 encoded" in result.stdout
    audit = arena("audit", "blindness", "--json", *d, env=env)
    tracks = json.loads(audit.stdout)["tracks"]
    rates = {p["example"] for t in tracks for p in t["properties"] if p["name"] == "frame_rate"}
    assert rates == {"6 time_base=1/12288"}
