"""The simulator: seeded determinism, its metrics, its estimand, and ``arena simulate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arena.core.matchmaking import MatchConfig
from arena.services.simulate import (
    Run,
    RunOptions,
    Scenario,
    Voters,
    kendall_tau,
    report,
    run_many,
    simulate_run,
    sustained,
    target_ratings,
)

SMALL = Scenario(models=6, prompts=3)
QUICK = RunOptions(strategy="active", votes=600, every=100, refresh=50, rounds=50)


def test_a_run_is_determined_by_its_seed() -> None:
    run = simulate_run(SMALL, QUICK, seed=3)
    first = run.to_dict()
    again = simulate_run(SMALL, QUICK, seed=3).to_dict()
    other = simulate_run(SMALL, QUICK, seed=4).to_dict()
    assert first == again
    assert first["tau"] != other["tau"]
    assert Run.from_dict(json.loads(json.dumps(first))) == run  # reports can be re-read


def test_processes_give_the_same_runs_as_one() -> None:
    options = [QUICK, RunOptions(strategy="uniform", votes=600, every=100, rounds=50)]
    serial = run_many(SMALL, options, [0, 1], jobs=1)
    parallel = run_many(SMALL, options, [0, 1], jobs=2)
    assert [r.to_dict() for r in serial] == [r.to_dict() for r in parallel]


def test_a_run_measures_what_it_says() -> None:
    run = simulate_run(SMALL, RunOptions(strategy="uniform", votes=3000, rounds=200), seed=0)
    assert run.checkpoints == list(range(100, 3001, 100))
    assert len(run.tau) == len(run.top3) == len(run.tau_live) == 30
    assert run.tau[-1] > 0.6  # six models 100 Elo apart on average are mostly ordered by then
    assert set(run.coverage) == {750, 1500, 3000}
    assert all(0 <= c <= 1 for c in run.coverage.values())
    assert run.left_share_max <= 0.5 + 1 / 200  # sides alternate within each pair
    assert run.prompt_spread <= 2
    assert 0.9 < run.exposure_min <= 1 <= run.exposure_max < 1.1


def test_metrics() -> None:
    x = np.array([3.0, 2.0, 1.0, 0.0])
    assert kendall_tau(x, x) == 1.0
    assert kendall_tau(x, -x) == -1.0
    assert kendall_tau(x, np.array([3.0, 2.0, 0.0, 1.0])) == pytest.approx(4 / 6)
    assert sustained([False, True, False, True, True], [1, 2, 3, 4, 5]) == 4
    assert sustained([True, True], [1, 2]) == 1
    assert sustained([True, False], [1, 2]) is None


def test_the_target_is_the_truth_for_bradley_terry_voters() -> None:
    truth = Scenario().true_ratings(5)
    exact = target_ratings(truth, Voters(position_bias=0.0, random_share=0.0, tie_param=1e-9))
    assert np.allclose(exact, truth - truth.mean() + 1000, atol=1e-3)
    # random voters and ties compress the differences an arena can see
    noisy = target_ratings(truth, Voters())
    assert np.ptp(noisy) < 0.9 * np.ptp(truth)
    assert kendall_tau(noisy, truth) == 1.0


def test_the_report_pairs_strategies_by_seed() -> None:
    options = [RunOptions(strategy="uniform", votes=400, rounds=50), QUICK]
    runs = run_many(SMALL, options, [0, 1])
    doc = report(SMALL, options, [0, 1], runs)
    assert list(doc["summary"]) == ["uniform", "active"]
    assert doc["summary"]["active"]["runs"] == 2
    assert set(doc["paired_ratios"]["active/uniform"]) == {"tau", "top3", "tau_live"}
    json.dumps(doc)


def test_arena_simulate_writes_a_json_report(tmp_path: Path) -> None:
    out = tmp_path / "sim.json"
    args = ["--seeds", "2", "--models", "5", "--votes", "400", "--every", "100", "--rounds", "50"]
    result = subprocess.run(
        [sys.executable, "-m", "arena.cli", "simulate", *args, "--reweight", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "active+reweight" in result.stdout and "paired median ratio" in result.stdout
    doc = json.loads(out.read_text())
    assert [o["label"] for o in doc["options"]] == ["uniform", "active", "active+reweight"]
    assert len(doc["runs"]) == 6
    bad = subprocess.run(
        [sys.executable, "-m", "arena.cli", "simulate", "--votes", "10", "--every", "100"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--votes >= --every" in bad.stderr


def test_a_config_reaches_the_strategies() -> None:
    tight = RunOptions(
        strategy="active", votes=1000, rounds=50, config=MatchConfig(exposure_min=0.9)
    )
    run = simulate_run(SMALL, tight, seed=0)
    assert run.exposure_min > 0.8  # realised shares follow the plan's bounds
