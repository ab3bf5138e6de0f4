"""Every script in benchmarks/ runs, at tiny sizes, so none of them rots unnoticed.

Each runs as a subprocess from the repository root, as its docstring says to run it, with
arguments that make it finish in seconds; results go to a temporary folder, never over the
committed ones. Peers installed only in throwaway venvs (FastChat, arena-rank: see
benchmarks/ranking/RESULTS.md) are reported absent by the scripts, which still run their own
part; the one step that needs arena-rank in this interpreter skips, saying so. wrk and
PostgreSQL are installed by .ci/run, so in CI their absence fails instead of skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need
from tests.frontserver import nginx_available

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"

SUPPORT = {
    "integrity/common.py": "imported by load.py, faults.py and speed.py",
    "integrity/loadgen.py": "imported by load.py and faults.py",
    "integrity/bare.py": "the app speed.py serves as its peer",
    "integrity/bare.lua": "speed.py's wrk script",
    "integrity/battle_vote.lua": "speed.py's wrk script",
    "ranking/synth.py": "imported by coverage.py, bench_peers.py and make_arena_rank_fixture.py",
}
"""Files that are not run alone: each is exercised through the scripts that use it."""


@dataclass(frozen=True)
class Run:
    script: str
    args: str = ""
    """Its arguments, split like a shell's; ``{tmp}`` is the test's temporary folder."""
    expect: str = ""
    """A piece of the output that shows the script did its work."""
    needs: tuple[str, ...] = ()
    """Peers: "wrk", "nginx", "postgres" (its binaries; all installed by .ci/run), "arena_rank"."""


RUNS = [
    Run(
        "rigging.py",
        "--honest 60 --attack 30 --mapped-battles 40 --invitations 1 --out {tmp}/rigging.json",
        '"lifted_one_rank_at"',
    ),
    Run(
        "ingest/bench_sync.py",
        "--config tests/data/small.toml --workers 1",
        "| first sync",
    ),
    Run(
        "demo/bench_first_start.py",
        "--config tests/data/small.toml --timeout 240 --out {tmp}/first-start.json",
        '"first_battle_seconds"',
    ),
    Run("integrity/statements.py", "", "statements and"),
    Run(
        "integrity/load.py",
        "--seconds 2 --voters 2 --pg-workers 1 --out {tmp}/load.json",
        '"stored_twice": 0',
        ("postgres",),
    ),
    Run(
        "integrity/faults.py",
        "--seconds 3 --voters 2 --pg-workers 1 --out {tmp}/faults.json",
        '"pairstat_equals_rescan": true',
        ("postgres",),
    ),
    Run(
        "integrity/speed.py",
        "--seconds 1 --connections 1 --rounds 1 --out {tmp}/speed.json",
        "median_ratio",
        ("wrk",),
    ),
    Run(
        "integrity/freeze.py",
        "--hold 1 --readers 1 --out {tmp}/freeze.json",
        '"this checkout"',
    ),
    Run(
        "clips/bench_offload.py",
        "--seconds 1 --rounds 1 --clip-seconds 0.5 --out {tmp}/offload.json",
        "median_ratio_offload_to_direct",
        ("wrk", "nginx"),
    ),
    Run(
        "leaderboard/bench_etag.py",
        "--models 4 --votes 300 --categories 2 --seconds 1",
        "| 304 (req/s, p50) |",
        ("wrk",),
    ),
    Run(
        "matchmaking/bench_reveals.py",
        "--models 4 --prompts 10 --revealed 10,30 --battles 5 --batches 1 --out {tmp}/reveals.json",
        "ratio_heavy_to_no_memory",
    ),
    Run(
        "matchmaking/bench_choose.py",
        "--models 5 --prompts 2 --votes 100",
        "plan_vs_uniform",
    ),
    Run("matchmaking/oracle.py", "--seeds 1 --models 4", "median_ratio"),
    Run("matchmaking/oracle.py", "--seeds 1 --models 4 --top 2", "median_ratio"),
    Run("matchmaking/oracle_newcomer.py", "--seeds 1 --models 4", "median_ratio"),
    Run(
        "matchmaking/new_model.sh",
        "1 1 --models 4 --established 400 --votes 200 --every 50 --json {tmp}/new-model.json",
        "newcomer votes",
    ),
    Run(
        "matchmaking/top.sh",
        "1 1 --models 4 --votes 200 --every 100 --rounds 20 --json {tmp}/top.json",
        "ratio of medians",
    ),
    Run(
        "matchmaking/summarize.py",
        "benchmarks/matchmaking/results/simulate-20.json",
        "paired median ratio",
    ),
    Run(
        "matchmaking/simulate.sh",
        "1 1 --models 4 --votes 200 --every 100 --rounds 20 --json {tmp}/simulate.json",
        "paired median ratio",
    ),
    Run(
        "ranking/bench_engine.py",
        "--votes 2000 --models 5 --repeat 1",
        '"converged": true',
    ),
    Run(
        "ranking/bench_peers.py",
        "all --votes 2000 --models 5 --rounds 20 --fastchat-rounds 1 --arena-rank-rounds 3",
        '"ours_default_prior"',
    ),
    Run(
        "ranking/coverage.py",
        "--seeds 1 --models 4 --votes 300 --rounds 20",
        "model_intervals",
    ),
    Run(
        "ranking/rank_intervals.py",
        "--boards 2 --models 5 --votes 300 --rounds 20 --out {tmp}/ranks.json",
        '"marginal_simultaneous"',
    ),
    Run("ranking/make_arena_rank_fixture.py", "data {tmp}/fixture.json"),
    Run(
        "ranking/make_arena_rank_fixture.py",
        "expect {tmp}/fixture.json",
        needs=("arena_rank",),
    ),
    Run(
        "recompute/bench_recompute.py",
        "all --db {tmp}/votes.db --votes 2000 --models 5 --prompts 3 --rounds 20 --peer-rounds 3",
        "| maintained |",
    ),
]


def test_every_benchmark_file_is_run_or_used_by_one_that_is() -> None:
    files = {
        str(p.relative_to(BENCH))
        for p in BENCH.rglob("*")
        if p.suffix in (".py", ".sh", ".lua") and "results" not in p.parts
    }
    assert files == {r.script for r in RUNS} | set(SUPPORT)


def check_peers(run: Run) -> None:
    for peer in run.needs:
        if peer == "wrk":
            need(shutil.which("wrk") is not None, "wrk is not installed (Debian package wrk)")
        elif peer == "nginx":
            need(nginx_available(), "nginx is not installed (Debian package nginx)")
        elif peer == "postgres":  # the scripts start throwaway clusters of their own
            initdb = Path(os.environ.get("ARENA_TEST_PGBIN", "/usr/lib/postgresql/15/bin"))
            need((initdb / "initdb").is_file(), f"no PostgreSQL binaries in {initdb}")
        elif importlib.util.find_spec(peer) is None:
            # Not installed by .ci/run (it pulls jax): a skip, with its reason, even in CI.
            pytest.skip(f"{peer} is not installed here (pip install -e '.[bench]')")


@pytest.mark.slow
@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{r.script} {r.args.split(' ')[0]}".strip())
def test_the_benchmark_runs_at_a_tiny_size(run: Run, tmp_path: Path) -> None:
    check_peers(run)
    if "arena_rank" in run.needs:  # its input comes from the step before
        data = [str(BENCH / run.script), "data", str(tmp_path / "fixture.json")]
        subprocess.run([sys.executable, *data], check=True, cwd=ROOT, timeout=120)
    script = BENCH / run.script
    launcher = ["sh"] if script.suffix == ".sh" else [sys.executable]
    args = shlex.split(run.args.replace("{tmp}", str(tmp_path)))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENBLAS_NUM_THREADS": "1",
        # simulate.sh calls `arena`: this interpreter's
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        [*launcher, str(script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert run.expect in output, output[-3000:]
    for peer in ("fastchat", "arena_rank"):
        if run.script.endswith(("bench_peers.py", "bench_recompute.py")):
            # a peer is measured, or said to be absent: never silently left out
            assert f'"{peer}"' in output or f"{peer}: absent" in output or f"\n{peer} {{" in output
    if "--out" in args:
        assert Path(args[args.index("--out") + 1]).is_file()
