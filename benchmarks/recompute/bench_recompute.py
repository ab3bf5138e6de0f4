"""From the SQLite vote log to ratings with 1000-round bootstrap intervals: Arena against peers.

Run from the repository root (peers' set-up in benchmarks/recompute/RESULTS.md):

    python benchmarks/recompute/bench_recompute.py all --votes 1000000 --models 100

``all`` builds a real Arena SQLite database (prepare_schema, models, prompts with categories,
clips, battles and votes, exactly the tables the app writes), then runs each measurement in a
fresh process so each peak RSS is its own:

- ``rowwise``: read the votes row by row from SQLite into numpy arrays (a naive recompute);
- ``groupby``: the bare SQL GROUP BY over (model a, model b, outcome) (the floor of any
  aggregate-first recompute);
- ``rescan``: ``arena recompute --rescan``: rebuild the maintained statistics from the raw
  votes (every category), then fit the whole track with a 1000-round bootstrap;
- ``rescan_track``: ``arena recompute --rescan --track T --category ""``: rebuild the whole
  track's statistics only (one GROUP BY), then the same fit;
- ``maintained``: ``arena recompute``: the same fit from the statistics the vote path keeps;
- ``fastchat``: FastChat's ``compute_bt`` + ``compute_bootstrap_bt`` (1000 rounds) on the same
  votes read from the same database into pandas (needs --fastchat-src, see RESULTS.md);
- ``arena_rank``: arena-rank's fit + sandwich and its bootstrap (per-round time), same votes.

Each prints one JSON line; ``all`` prints a summary table with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TRACK = "text-to-video"
CATEGORIES = ("people", "animals", "motion", "camera", "text-in-video", "landscape")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_db(path: Path, n_models: int, n_votes: int, n_prompts: int, seed: int) -> None:
    """A real Arena database holding ``n_votes`` votes on one track."""
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks" / "ranking")]
    import numpy as np
    from synth import synthetic_votes

    from arena.store.engine import make_engine, prepare_schema

    if path.exists():
        path.unlink()
    engine = make_engine(f"sqlite:///{path}")
    prepare_schema(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    comp, _ = synthetic_votes(n_models, n_votes, rng)
    outcomes = np.array(["a", "b", "tie", "both_bad"])[comp.outcome]
    prompt_of = rng.integers(n_prompts, size=n_votes)
    now = "2026-11-22 00:00:00.000000"
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=MEMORY")
    con.executemany(
        "INSERT INTO model (id, slug, name, organization, license, link, provider, tracks, "
        "retired, created_at) VALUES (?, ?, ?, '', '', '', 'bench', 'text-to-video', 0, ?)",
        [(m + 1, name, name, now) for m, name in enumerate(comp.models)],
    )
    con.executemany(
        "INSERT INTO prompt (id, track, text) VALUES (?, ?, ?)",
        [(f"p{p}", TRACK, f"prompt {p}") for p in range(n_prompts)],
    )
    con.executemany(
        "INSERT INTO promptcategory (prompt_id, category) VALUES (?, ?)",
        [
            (f"p{p}", CATEGORIES[(p + k) % len(CATEGORIES)])
            for p in range(n_prompts)
            for k in (0, 1)
        ],
    )
    con.executemany(
        "INSERT INTO clip (id, public_id, model_id, prompt_id, track, file, source_digest, "
        "source_file, source_duration, norm_key, size_bytes, duration, width, height, fps, "
        "video_codec, has_audio, created_at) "
        "VALUES (?, ?, ?, ?, ?, '', '', '', 3.0, '', 1, 3.0, 640, 360, 24, 'h264', 0, ?)",
        [
            (m * n_prompts + p + 1, f"c{m}-{p}", m + 1, f"p{p}", TRACK, now)
            for m in range(n_models)
            for p in range(n_prompts)
        ],
    )
    a, b = comp.a.tolist(), comp.b.tolist()
    prompts = prompt_of.tolist()
    chunk = 100_000
    for start in range(0, n_votes, chunk):
        rows = range(start, min(start + chunk, n_votes))
        con.executemany(
            "INSERT INTO battle (id, track, prompt_id, left_clip_id, right_clip_id, "
            "left_model_id, right_model_id, voter_id, issued_at, expires_at, strategy, "
            "pair_probability) VALUES (?, ?, ?, ?, ?, ?, ?, 'v', ?, ?, 'uniform', 0.0002)",
            [
                (
                    f"b{i}",
                    TRACK,
                    f"p{prompts[i]}",
                    a[i] * n_prompts + prompts[i] + 1,
                    b[i] * n_prompts + prompts[i] + 1,
                    a[i] + 1,
                    b[i] + 1,
                    now,
                    now,
                )
                for i in rows
            ],
        )
        con.executemany(
            "INSERT INTO vote (id, battle_id, track, prompt_id, model_a_id, model_b_id, outcome, "
            "voter_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'v', ?)",
            [
                (i + 1, f"b{i}", TRACK, f"p{prompts[i]}", a[i] + 1, b[i] + 1, str(outcomes[i]), now)
                for i in rows
            ],
        )
        con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()


def run_rowwise(db: Path) -> dict[str, Any]:
    import numpy as np

    start = time.perf_counter()
    con = sqlite3.connect(db)
    a, b, o = [], [], []
    code = {"a": 0, "b": 1, "tie": 2, "both_bad": 3}
    for x, y, z in con.execute(
        "SELECT model_a_id, model_b_id, outcome FROM vote WHERE track = ?", (TRACK,)
    ):
        a.append(x)
        b.append(y)
        o.append(code[z])
    arrays = np.array(a), np.array(b), np.array(o, dtype=np.int8)
    return {"seconds": time.perf_counter() - start, "rows": len(arrays[0]), "peak_mb": peak_mb()}


def run_groupby(db: Path) -> dict[str, Any]:
    start = time.perf_counter()
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT model_a_id, model_b_id, outcome, COUNT(*) FROM vote WHERE track = ? "
        "GROUP BY model_a_id, model_b_id, outcome",
        (TRACK,),
    ).fetchall()
    return {"seconds": time.perf_counter() - start, "rows": len(rows), "peak_mb": peak_mb()}


def run_arena(db: Path, rescan: str, rounds: int) -> dict[str, Any]:
    """``rescan``: "" (none), "all" (every slice) or "track" (the whole track only)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT))
    t_import = time.perf_counter()
    from arena import store
    from arena.services.recompute import RecomputeOptions, recompute_all
    from arena.settings import Settings
    from arena.store.engine import make_engine

    start = time.perf_counter()
    settings = Settings(data_dir=db.parent, database_url=f"sqlite:///{db}", secret_key="bench")
    engine = make_engine(settings.database_url)
    rebuilt = time.perf_counter()
    if rescan:
        track_only = rescan == "track"
        store.rebuild_pair_stats(
            engine,
            tracks=[TRACK] if track_only else None,
            categories=[""] if track_only else None,
        )
        rebuilt = time.perf_counter()
    fits = recompute_all(engine, settings, RecomputeOptions(rounds=rounds), categories=[""])
    end = time.perf_counter()
    ratings = fits[0].ratings
    return {
        "seconds": end - start,
        "import_seconds": start - t_import,
        "rebuild_seconds": rebuilt - start if rescan else 0.0,
        "fit_seconds": end - rebuilt,
        "votes": ratings.n_votes,
        "peak_mb": peak_mb(),
        "ratings": dict(zip(ratings.models, ratings.rating.tolist(), strict=True)),
    }


def _frame(db: Path, labels: dict[str, str]) -> Any:
    import pandas as pd

    con = sqlite3.connect(db)
    frame = pd.read_sql_query(
        "SELECT ma.slug AS model_a, mb.slug AS model_b, v.outcome AS winner FROM vote v "
        "JOIN model ma ON ma.id = v.model_a_id JOIN model mb ON mb.id = v.model_b_id "
        "WHERE v.track = ?",
        con,
        params=(TRACK,),
    )
    frame["winner"] = frame["winner"].map(labels)
    return frame


def run_fastchat(db: Path, rounds: int, src: Path) -> dict[str, Any]:
    sys.path.insert(0, str(src))
    import rating_systems as rs  # FastChat's fastchat/serve/monitor/rating_systems.py

    start = time.perf_counter()
    frame = _frame(db, {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"})
    loaded = time.perf_counter()
    ratings = rs.compute_bt(frame)
    fitted = time.perf_counter()
    boot = rs.compute_bootstrap_bt(frame, num_round=rounds)
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "load_seconds": loaded - start,
        "fit_seconds": fitted - loaded,
        "bootstrap_seconds": end - fitted,
        "rounds": len(boot),
        "peak_mb": peak_mb(),
        "ratings": {k: float(v) for k, v in ratings.items()},
    }


def run_arena_rank(db: Path, rounds: int) -> dict[str, Any]:
    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    start = time.perf_counter()
    frame = _frame(db, {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "both_bad"})
    loaded = time.perf_counter()
    dataset = PairDataset.from_pandas(frame)
    model = BradleyTerry(n_competitors=len(dataset.competitors))
    result = model.compute_ratings_and_cis(dataset, significance_level=0.05, ci_method="sandwich")
    fitted = time.perf_counter()
    times = []
    for n in (2, rounds):
        # two runs, so the worker pool's start-up (spawn + jax import) cancels out
        boot = BradleyTerry(n_competitors=len(dataset.competitors))
        boot.fit(dataset)
        t0 = time.perf_counter()
        boot.compute_ratings_and_cis(dataset, ci_method="bootstrap", num_bootstrap=n, seed=0)
        times.append(time.perf_counter() - t0)
    return {
        "seconds": fitted - start,
        "load_seconds": loaded - start,
        "fit_sandwich_seconds": fitted - loaded,
        "bootstrap_per_round": (times[1] - times[0]) / (rounds - 2),
        "peak_mb": peak_mb(),
        "ratings": dict(zip(result["competitors"], map(float, result["ratings"]), strict=True)),
    }


def child(python: str, what: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [python, __file__, what, "--db", str(args.db), "--rounds", str(args.rounds)]
    if what == "fastchat":
        cmd += ["--fastchat-src", str(args.fastchat_src)]
    if what == "arena_rank":
        cmd[cmd.index("--rounds") + 1] = str(args.peer_rounds)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not Path(python).is_file():
        return {"absent": f"no interpreter at {python} (its venv: see RESULTS.md)"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
        if "ModuleNotFoundError" in last:
            return {"absent": f"{last} in {python}"}
        return {"error": last}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def summary(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    # In a child, so this process stays small: a child's peak RSS counts its parent's memory
    # at fork time, and the measurements' peaks must be their own.
    subprocess.run(
        [
            sys.executable,
            __file__,
            "make",
            "--db",
            str(args.db),
            "--votes",
            str(args.votes),
            "--models",
            str(args.models),
            "--prompts",
            str(args.prompts),
            "--seed",
            str(args.seed),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    print(
        f"built {args.db} ({args.db.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    results: dict[str, dict[str, Any]] = {}
    for what in ("rowwise", "groupby", "rescan", "rescan_track", "maintained"):
        results[what] = child(sys.executable, what, args)
        print(
            what, json.dumps({k: v for k, v in results[what].items() if k != "ratings"}), flush=True
        )
    peers = {"fastchat": args.fastchat_python, "arena_rank": args.arena_rank_python}
    for peer, python in peers.items():
        if peer == "fastchat" and not args.fastchat_src:
            print("fastchat: absent (no --fastchat-src; see RESULTS.md), not measured", flush=True)
            continue
        results[peer] = child(python, peer, args)
        if "absent" in results[peer]:
            print(f"{peer}: absent ({results[peer]['absent']}), not measured", flush=True)
            continue
        shown = {k: v for k, v in results[peer].items() if k != "ratings"}
        print(peer, json.dumps(shown), flush=True)
    ours = results["rescan"]
    print("\n| measurement | wall s | peak MB |\n| --- | ---: | ---: |")
    for what, r in results.items():
        if "seconds" in r:
            print(f"| {what} | {r['seconds']:.2f} | {r['peak_mb']:.0f} |")
    jobs = ("rescan", "rescan_track", "maintained")
    if "seconds" in results.get("fastchat", {}):
        fc = results["fastchat"]
        for job in jobs:
            ratio = fc["seconds"] / results[job]["seconds"]
            print(f"FastChat 1000-round job / Arena {job} job: {ratio:.1f}x")
    if "bootstrap_per_round" in results.get("arena_rank", {}):
        ar = results["arena_rank"]
        ours_round = ours["fit_seconds"] / args.rounds
        print(
            f"arena-rank per bootstrap round / Arena per round (fit share / rounds): "
            f"{ar['bootstrap_per_round'] / ours_round:.0f}x"
        )
    for job in ("rescan", "rescan_track"):
        print(
            f"{job} rebuild / bare GROUP BY: "
            f"{results[job]['rebuild_seconds'] / results['groupby']['seconds']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what",
        choices=[
            "all",
            "make",
            "rowwise",
            "groupby",
            "rescan",
            "rescan_track",
            "maintained",
            "fastchat",
            "arena_rank",
        ],
    )
    parser.add_argument("--db", type=Path, default=Path("/tmp/arena-bench-recompute.db"))
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--peer-rounds", type=int, default=10, help="arena-rank bootstrap rounds")
    parser.add_argument(
        "--fastchat-src", type=Path, help="folder holding FastChat's rating_systems.py"
    )
    parser.add_argument("--fastchat-python", default="/tmp/venv-fschat/bin/python")
    parser.add_argument("--arena-rank-python", default="/tmp/venv-arenarank/bin/python")
    args = parser.parse_args()
    if args.what == "all":
        summary(args)
        return
    if args.what == "make":
        make_db(args.db, args.models, args.votes, args.prompts, args.seed)
        return
    if args.what == "arena_rank":
        import multiprocessing

        # arena-rank bootstraps in a multiprocessing pool; under fork it deadlocks with jax's
        # threads. (FastChat keeps the default, fork, which suits it.)
        multiprocessing.set_start_method("spawn", force=True)
    runners = {
        "rowwise": lambda: run_rowwise(args.db),
        "groupby": lambda: run_groupby(args.db),
        "rescan": lambda: run_arena(args.db, "all", args.rounds),
        "rescan_track": lambda: run_arena(args.db, "track", args.rounds),
        "maintained": lambda: run_arena(args.db, "", args.rounds),
        "fastchat": lambda: run_fastchat(args.db, args.rounds, args.fastchat_src),
        "arena_rank": lambda: run_arena_rank(args.db, args.rounds),
    }
    print(json.dumps(runners[args.what]()))


if __name__ == "__main__":
    main()
