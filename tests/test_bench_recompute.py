"""The recompute benchmark stays runnable: its synthetic database matches the real schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "recompute" / "bench_recompute.py"


def run(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_benchmark_database_rates_like_the_app(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    run("make", "--db", str(db), "--votes", "3000", "--models", "6", "--prompts", "5")
    rescan = json.loads(run("rescan", "--db", str(db), "--rounds", "20").splitlines()[-1])
    track = json.loads(run("rescan_track", "--db", str(db), "--rounds", "20").splitlines()[-1])
    assert track["ratings"] == rescan["ratings"]
    maintained = json.loads(run("maintained", "--db", str(db), "--rounds", "20").splitlines()[-1])
    groupby = json.loads(run("groupby", "--db", str(db)).splitlines()[-1])
    assert rescan["votes"] == maintained["votes"] == 3000
    assert rescan["ratings"] == maintained["ratings"]
    assert groupby["rows"] > 0
