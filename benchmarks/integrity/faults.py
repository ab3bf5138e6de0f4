"""Faults under load: the server killed with SIGKILL (then restarted), and PostgreSQL
restarted, while voters keep voting. Checks afterwards: every acknowledged vote is stored
exactly once, nothing is half-written (PairStat equals a rescan of the votes, the live Elo
counts two sides per counted vote), and while PostgreSQL is down the app answers 503 and
recovers by itself.

    python benchmarks/integrity/faults.py [--seconds 24] [--voters 8]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Server, db_check, machine, postgres, prepare_arena, scratch, sync
from load import DEFENSES, OUT
from loadgen import Tally, run_load


def under_load(port: int, seconds: float, voters: int) -> tuple[Tally, threading.Thread]:
    tally = Tally()
    thread = threading.Thread(
        target=run_load, args=(port,), kwargs={"seconds": seconds, "voters": voters, "tally": tally}
    )
    thread.start()
    return tally, thread


def sigkill(name: str, env: dict[str, str], workers: int, seconds: float, voters: int) -> dict:
    """Kill the whole server (every worker) with SIGKILL a third of the way in; restart it."""
    work = scratch(name)
    env = {**prepare_arena(work), **env, **DEFENSES}
    sync(env)
    server = Server(env, workers=workers)
    server.start(work / "server.log")
    tally, thread = under_load(server.port, seconds, voters)
    time.sleep(seconds / 3)
    killed_at = time.monotonic() - tally.started
    server.kill(signal.SIGKILL)
    server.start(work / "server.log")
    restarted_at = time.monotonic() - tally.started
    thread.join()
    server.kill(signal.SIGTERM)
    url = env.get("ARENA_DATABASE_URL") or f"sqlite:///{work / 'data' / 'arena.db'}"
    return {
        "name": name,
        "killed_at_s": round(killed_at, 1),
        "serving_again_at_s": round(restarted_at, 1),
        **tally.summary(seconds),
        **db_check(url, tally.acknowledged),
    }


def pg_restart(url: str, cluster: object, seconds: float, voters: int, workers: int) -> dict:
    """Stop PostgreSQL a quarter of the way in, start it again a quarter later."""
    work = scratch("pg-restart")
    env = {**prepare_arena(work), "ARENA_DATABASE_URL": url, **DEFENSES}
    sync(env)
    server = Server(env, workers=workers)
    server.start(work / "server.log")
    tally, thread = under_load(server.port, seconds, voters)
    time.sleep(seconds / 4)
    down_at = time.monotonic() - tally.started
    cluster.stop()  # type: ignore[attr-defined]
    time.sleep(seconds / 4)
    up_at = time.monotonic() - tally.started
    cluster.start()  # type: ignore[attr-defined]
    thread.join()
    server.kill(signal.SIGTERM)
    timeline = {s: dict(c) for s, c in sorted(tally.per_second.items())}
    recovered = next(
        (s for s, c in timeline.items() if s > up_at and c.get("2xx", 0) > 0 and "503" not in c),
        None,
    )
    return {
        "name": f"postgresql-restart-{workers}-workers",
        "postgres_down_at_s": round(down_at, 1),
        "postgres_up_at_s": round(up_at, 1),
        "first_clean_second_after_restart": recovered,
        "status_503": tally.statuses.get(503, 0),
        "other_5xx": sum(n for s, n in tally.statuses.items() if s >= 500 and s != 503),
        **tally.summary(seconds),
        **db_check(url, tally.acknowledged),
        "per_second": timeline,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=24)
    parser.add_argument("--voters", type=int, default=8)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=OUT / "faults.json", help="where the JSON result is written"
    )
    args = parser.parse_args()
    results = [sigkill("sigkill-sqlite-1-worker", {}, 1, args.seconds, args.voters)]
    from common import PgCluster  # noqa: F401  (the cluster object has stop/start)

    with postgres(scratch("pg-kill")) as url:
        results.append(
            sigkill(
                f"sigkill-postgresql-{args.pg_workers}-workers",
                {"ARENA_DATABASE_URL": url},
                args.pg_workers,
                args.seconds,
                args.voters,
            )
        )
    work = scratch("pg-restart-cluster")
    with postgres(work) as url:
        import common

        results.append(pg_restart(url, common.LAST_CLUSTER, args.seconds, args.voters, 2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "runs": results}, indent=2))
    print(json.dumps(results, indent=2))
    ok = (
        all(
            r["missing_acknowledged"] == 0
            and r["stored_twice"] == 0
            and r["pairstat_equals_rescan"]
            and r["live_elo_consistent"]
            for r in results
        )
        and results[-1]["other_5xx"] == 0
        and results[-1]["first_clean_second_after_restart"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
