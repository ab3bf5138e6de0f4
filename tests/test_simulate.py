"""The simulator: seeded determinism, its metrics, its estimand, and ``arena simulate``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from arena.core.matchmaking import MatchConfig, plan_for
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
from arena.services.simulate.newcomer import NewcomerOptions, newcomer_report, newcomer_run

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
    assert set(doc["paired_ratios"]["active/uniform"]) == {"tau", "top3", "tau_live", "top3_live"}
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


NEW_MODEL = NewcomerOptions(established=1500, votes=900, every=25, newcomer=1100.0)


def test_the_new_model_scenario_places_a_newcomer_and_says_what_it_counted() -> None:
    placement = MatchConfig(placement_share=0.3, placement_width=150.0)
    base = replace(NEW_MODEL, strategy="weighted", config=MatchConfig(placement_share=0.0))
    placed = replace(NEW_MODEL, strategy="weighted", config=placement)
    runs = [newcomer_run(SMALL, o, seed=1) for o in (base, placed)]
    assert newcomer_run(SMALL, placed, seed=1) == runs[1]  # determined by the seed
    assert [r.label for r in runs] == ["weighted", "weighted+placement"]
    assert runs[0].truth == runs[1].truth == 1100.0 and runs[0].target == runs[1].target
    for run in runs:
        assert run.newcomer_votes_to_width is not None and run.votes_to_width is not None
        assert 0 < run.newcomer_votes_to_width <= run.votes_to_width <= 900
        assert run.covered is not None and 0 < run.newcomer_share < 1
    # the placement share shows the newcomer more often, so it is placed in fewer votes overall
    assert runs[1].newcomer_share > runs[0].newcomer_share
    assert runs[1].votes_to_width < runs[0].votes_to_width  # type: ignore[operator]
    doc = newcomer_report(SMALL, [base, placed], [1], runs)
    summary = doc["summary"]["weighted+placement"]
    assert set(summary) >= {
        "median_newcomer_votes_to_width",
        "median_votes_to_width",
        "coverage_at_width",
        "median_newcomer_votes_to_elo",
        "mean_newcomer_share",
    }
    assert set(doc["ratios"]["weighted+placement"]) == {
        "newcomer_votes_vs_baseline",
        "votes_vs_baseline",
        "newcomer_votes_vs_baseline_online_elo",
    }
    json.dumps(doc)


def test_arena_simulate_new_model_and_top_scenarios(tmp_path: Path) -> None:
    out = tmp_path / "new.json"
    args = ["--models", "5", "--established", "1500", "--votes", "600", "--every", "50"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "arena.cli",
            "simulate",
            "--scenario",
            "new-model",
            "--seeds",
            "2",
            *args,
            "--width",
            "150",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "newcomer votes" in result.stdout and "active+placement" in result.stdout
    doc = json.loads(out.read_text())
    assert [o["label"] for o in doc["options"]] == [
        "weighted",
        "active",
        "weighted+placement",
        "active+placement",
    ]
    assert doc["scenario"]["name"] == "new-model" and len(doc["runs"]) == 8
    top = subprocess.run(
        [
            sys.executable,
            "-m",
            "arena.cli",
            "simulate",
            "--scenario",
            "top",
            "--seeds",
            "1",
            "--models",
            "5",
            "--votes",
            "300",
            "--every",
            "100",
            "--rounds",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert top.returncode == 0, top.stderr
    assert "active@top3" in top.stdout and "ratio of medians active@top3/uniform" in top.stdout


def test_the_top_focus_sends_more_votes_to_the_top() -> None:
    from arena.core.matchmaking.strategies import top_weight
    from tests.test_matchmaking import make_pool

    rows = [(i, j, "a", 60 + 20 * (j - i)) for i in range(1, 7) for j in range(i + 1, 7)]
    rows += [(i, j, "b", 60) for i in range(1, 7) for j in range(i + 1, 7)]
    pool = make_pool(models=6, stats=rows)
    w = top_weight(pool, 2)
    assert w[0] == w[1] == 1.0 and w[5] < 0.1  # models 1 and 2 lead; 6 is far down
    plain = plan_for(pool, "active", MatchConfig()).probability
    focused = plan_for(pool, "active", MatchConfig(focus_top=2)).probability
    top_pair = [(a, b) for a, b, _ in pool.pairs].index((1, 2))
    assert focused[top_pair] > plain[top_pair]
