"""``arena recompute --prior P``: the exact fit on request, and every view states the prior."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from arena.cli import main

Arena = Callable[..., subprocess.CompletedProcess[str]]

FIXTURE = Path(__file__).parent / "data" / "ranking" / "arena_rank_20.json"
WINNER = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}


def subprocess_arena(*args: str) -> subprocess.CompletedProcess[str]:
    """The real ``arena`` command in its own process (to see what a user sees on errors)."""
    return subprocess.run(
        [sys.executable, "-m", "arena.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )


@pytest.fixture
def arena(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The ``arena`` command's entry point run in this process (parser, handler, error exit),
    which spares a subprocess start per call on a busy machine."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def battle_file(path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    """FastChat battle lines, one per vote."""
    with path.open("w") as fh:
        for a, b, outcome, count in rows:
            line = json.dumps({"model_a": a, "model_b": b, "winner": WINNER[outcome]})
            fh.write((line + "\n") * count)
    return path


def test_prior_zero_reproduces_arena_rank_to_a_hundredth_of_an_elo(
    arena: Arena, tmp_path: Path
) -> None:
    fixture = json.loads(FIXTURE.read_text())
    path = battle_file(tmp_path / "battles.jsonl", [tuple(r) for r in fixture["rows"]])
    expected = fixture["arena_rank"]["expected"]["plain"]
    exact = arena("recompute", "--input", str(path), "--prior", "0", "--ci", "sandwich", "--json")
    assert exact.returncode == 0, exact.stderr
    doc = json.loads(exact.stdout)
    assert doc["params"]["prior"] == 0.0 and doc["n_votes"] == 20_000
    got = {m["model"]: m for m in doc["models"]}
    assert set(got) == set(expected)
    for name, want in expected.items():
        assert got[name]["rating"] == pytest.approx(want["rating"], abs=0.01), name
        # arena-rank adds 1e-5 * n_votes to the Hessian diagonal; its bounds differ by that much
        assert got[name]["lower"] == pytest.approx(want["lower"], abs=0.02), name
    # the default (documented) prior is not the exact fit: the option is what reproduces it
    default = json.loads(arena("recompute", "--input", str(path), "--ci", "none", "--json").stdout)
    assert default["params"]["prior"] == 1.0
    moved = [abs(m["rating"] - expected[m["model"]]["rating"]) for m in default["models"]]
    assert max(moved) > 0.01
    table = arena("recompute", "--input", str(path), "--prior", "0", "--ci", "none")
    assert (
        table.stdout.splitlines()[-1] == "Bradley-Terry, prior 0: the exact maximum-likelihood fit"
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                arena(
                    "recompute", "--input", str(path), "--prior", "0.5", "--ci", "none",
                    "--format", "csv",
                ).stdout
            )
        )
    )  # fmt: skip
    assert {r["prior"] for r in rows} == {"0.5"}


def test_prior_zero_without_an_exact_fit_stops_naming_the_models(
    arena: Arena, tmp_path: Path
) -> None:
    path = battle_file(
        tmp_path / "battles.jsonl",
        [("x", "y", "a", 6), ("y", "x", "a", 4), ("champ", "x", "a", 3), ("w", "z", "a", 7)],
    )
    result = subprocess_arena("recompute", "--input", str(path), "--prior", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "exact maximum-likelihood fit, which does not exist" in result.stderr
    assert "'champ': it has only won" in result.stderr
    assert "'w': no chain of votes" in result.stderr and "'z'" in result.stderr
    for bad in ("-1", "nan", "inf"):
        refused = arena("recompute", "--input", str(path), "--prior", bad)
        assert refused.returncode == 2 and "--prior: prior must be a finite number >= 0" in (
            refused.stderr
        )


def test_snapshots_and_every_view_state_the_prior(arena: Arena, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    both_ways = [("x", "y", "a", 6), ("y", "x", "a", 4), ("y", "v", "a", 5), ("v", "x", "a", 5)]
    path = battle_file(tmp_path / "battles.jsonl", both_ways)
    assert arena("import", "votes", str(path), "--data-dir", data).returncode == 0
    fitted = arena("recompute", "--data-dir", data, "--prior", "0", "--ci", "none")
    assert fitted.returncode == 0, fitted.stderr
    assert "20 votes, 3 models" in fitted.stdout
    assert "prior 0: the exact maximum-likelihood fit" in fitted.stdout
    board = json.loads(arena("export", "leaderboard", "--data-dir", data).stdout)
    assert board["official"]["prior"] == 0.0
    snapshot = board["official"]["snapshot_id"]
    table = arena("export", "leaderboard", "--data-dir", data, "--format", "csv").stdout
    assert {r["prior"] for r in csv.DictReader(io.StringIO(table))} == {"0.0"}
    default = arena("recompute", "--data-dir", data, "--ci", "none", "--json")
    assert json.loads(default.stdout)[0]["params"]["prior"] == 1.0
    assert (
        json.loads(arena("export", "leaderboard", "--data-dir", data).stdout)["official"]["prior"]
        == 1.0
    )
    # a model that only won: with --prior 0 nothing is stored, and the slice is named
    more = battle_file(tmp_path / "more.jsonl", [("champ", "x", "a", 3)])
    assert arena("import", "votes", str(more), "--data-dir", data).returncode == 0
    stopped = arena("recompute", "--data-dir", data, "--prior", "0", "--ci", "none")
    assert stopped.returncode == 2 and "Traceback" not in stopped.stderr
    assert "text-to-video / (all prompts): prior=0" in stopped.stderr
    assert "'champ': it has only won" in stopped.stderr
    after = json.loads(arena("export", "leaderboard", "--data-dir", data).stdout)
    assert after["official"]["snapshot_id"] > snapshot and after["official"]["prior"] == 1.0
    assert after["official"]["stale"]  # champ's votes are not in the stored snapshot
