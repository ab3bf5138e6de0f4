"""``arena export`` and ``arena import`` as real subprocesses: files, reports, exit statuses."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.settings import Settings
from tests.seeded import LATER, VOTES
from tests.test_cli import arena


def test_export_then_import_into_a_new_arena(
    settings: Settings, registry: Registry, seeded: Engine, tmp_path: Path
) -> None:
    data = str(settings.data_dir)
    source = {"ARENA_DATABASE_URL": settings.database_url}  # the seeded arena, on either backend
    out = tmp_path / "votes.json"
    exported = arena("export", "votes", "--data-dir", data, "-o", str(out), env=source)
    assert exported.returncode == 0, exported.stderr
    assert f"exported {VOTES + LATER} votes (0 excluded) as fastchat" in exported.stderr
    assert str(settings.data_dir / "export.salt") in exported.stderr
    assert len(json.loads(out.read_text())) == VOTES + LATER
    # Standard output by default; JSON lines too.
    lines = arena(
        "export",
        "votes",
        "--data-dir",
        data,
        "--format",
        "jsonl",
        "--track",
        "image-to-video",
        env=source,
    )
    assert lines.returncode == 0
    assert {json.loads(x)["track"] for x in lines.stdout.splitlines()} == {"image-to-video"}

    other = str(tmp_path / "other")
    imported = arena("import", "votes", str(out), "--data-dir", other)
    assert imported.returncode == 0, imported.stderr
    assert f"imported {VOTES + LATER} votes, 0 already present" in imported.stdout
    assert (
        "models created (provider 'imported'): broken-3, clean-1, grainy-2, mute-4"
        in imported.stdout
    )
    assert "run `arena recompute`" in imported.stdout
    again = arena("import", "votes", str(out), "--data-dir", other)
    assert f"imported 0 votes, {VOTES + LATER} already present" in again.stdout
    rated = arena("recompute", "--data-dir", other, "--rounds", "50", "--category", "")
    assert rated.returncode == 0, rated.stderr
    board = arena("export", "leaderboard", "--data-dir", other, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(board.stdout)))
    assert {r["model"] for r in rows} == {"clean-1", "grainy-2", "broken-3", "mute-4"}
    assert all(r["rating"] and r["rank"] for r in rows)


def test_import_reports_bad_lines_and_exit_status(tmp_path: Path) -> None:
    good = json.dumps({"model_a": "a", "model_b": "b", "winner": "model_a"})
    path = tmp_path / "votes.jsonl"
    path.write_text("\n".join([good, '{"model_a": "a", "model_b": "b", "winner": "draw"}', "{x"]))
    data = str(tmp_path / "d")
    dry = arena("import", "votes", str(path), "--data-dir", data, "--dry-run")
    assert dry.returncode == 1 and "would import 1 votes" in dry.stdout
    strict = arena("import", "votes", str(path), "--data-dir", data, "--strict")
    assert strict.returncode == 2 and "nothing imported (--strict)" in strict.stderr
    report = tmp_path / "rejected.jsonl"
    result = arena("import", "votes", str(path), "--data-dir", data, "--report", str(report))
    assert result.returncode == 1
    assert "imported 1 votes" in result.stdout and "2 rejected" in result.stdout
    assert f"rejected {path}:2: field 'winner': unknown label 'draw'" in result.stderr
    assert f"rejected {path}:3: invalid JSON" in result.stderr
    assert [json.loads(x)["line"] for x in report.read_text().splitlines()] == [2, 3]
    missing = arena("import", "votes", str(tmp_path / "nope.json"), "--data-dir", data)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert "Traceback" not in result.stderr + missing.stderr
