"""Make tests/data/ranking/arena_rank_20.json: a fixed 20-model data set and arena-rank's fit.

Step 1 (project env): ``PYTHONPATH=. python benchmarks/ranking/make_arena_rank_fixture.py data``
(a path after ``data`` or ``expect`` writes that file instead of the tests' fixture)
writes the votes (aggregated rows). Step 2 (throwaway venv with ``pip install arena-rank``, which
pulls jax; never in the project's env):
``/tmp/venv-arenarank/bin/python benchmarks/ranking/make_arena_rank_fixture.py expect``
adds arena-rank's ratings and sandwich bounds, plain and reweighted, plus the exact command
lines and versions. Step 2 needs only numpy, pandas and arena_rank.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "ranking" / "arena_rank_20.json"
LABELS = ("model_a", "model_b", "tie", "both_bad")


def make_data() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks" / "ranking"))
    from synth import synthetic_votes

    comp, theta = synthetic_votes(20, 20_000, np.random.default_rng(20), skew=2.0)
    agg = comp.aggregate()
    rows = [
        [agg.models[a], agg.models[b], ("a", "b", "tie", "both_bad")[o], int(c)]
        for a, b, o, c in zip(agg.a, agg.b, agg.outcome, agg.count, strict=True)
    ]
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(
        json.dumps(
            {
                "about": "20 models, 20000 synthetic votes (benchmarks/ranking/synth.py, seed 20, "
                "skew 2.0), aggregated as [model_a, model_b, outcome, count]",
                "data_command": "PYTHONPATH=. python "
                "benchmarks/ranking/make_arena_rank_fixture.py data",
                "true_theta": dict(zip(comp.models, theta.tolist(), strict=True)),
                "rows": rows,
            },
            indent=1,
        )
        + "\n"
    )


def make_expected() -> None:
    import importlib.metadata as md

    import pandas as pd
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    fixture = json.loads(FIXTURE.read_text())
    records = []
    for a, b, outcome, count in fixture["rows"]:
        winner = {"a": "model_a", "b": "model_b"}.get(outcome, outcome)
        records += [{"model_a": a, "model_b": b, "winner": winner}] * count
    df = pd.DataFrame(records)
    expected = {}
    for mode, reweighted in (("plain", False), ("reweighted", True)):
        ds = PairDataset.from_pandas(df, reweighted=reweighted)
        model = BradleyTerry(n_competitors=len(ds.competitors))
        res = model.compute_ratings_and_cis(ds, significance_level=0.05, ci_method="sandwich")
        expected[mode] = {
            name: {"rating": float(r), "lower": float(lo), "upper": float(hi)}
            for name, r, lo, hi in zip(
                res["competitors"],
                res["ratings"],
                res["rating_lower"],
                res["rating_upper"],
                strict=True,
            )
        }
    fixture["arena_rank"] = {
        "version": md.version("arena-rank"),
        "jax": md.version("jax"),
        "command": "/tmp/venv-arenarank/bin/python "
        "benchmarks/ranking/make_arena_rank_fixture.py expect  (venv: python -m venv "
        "/tmp/venv-arenarank && /tmp/venv-arenarank/bin/pip install arena-rank)",
        "call": "PairDataset.from_pandas(df, reweighted=...); BradleyTerry(n_competitors=20)"
        ".compute_ratings_and_cis(ds, significance_level=0.05, ci_method='sandwich')",
        "expected": expected,
    }
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2:  # another file than the tests' fixture (the smoke test writes one)
        FIXTURE = Path(sys.argv[2])
    {"data": make_data, "expect": make_expected}[sys.argv[1]]()
