"""Load: concurrent voters for 60 s on loopback, SQLite with one worker and PostgreSQL with
two, then the database is checked: zero 5xx, every acknowledged vote stored exactly once.

    python benchmarks/integrity/load.py [--seconds 60] [--voters 16] [--pg-workers 2]

Starts a throwaway PostgreSQL cluster (binaries in $ARENA_TEST_PGBIN, default
/usr/lib/postgresql/15/bin; run as the postgres user when root).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Server, db_check, machine, postgres, prepare_arena, scratch, sync
from loadgen import run_load

OUT = Path(__file__).resolve().parent / "results"
DEFENSES = {
    # The default limits stay on; addresses come from X-Forwarded-For via a trusted proxy.
    "ARENA_TRUSTED_PROXIES": "127.0.0.1",
    # The load generator votes at once: turn off the watch-time rule so votes are counted
    # (the heavier path: Elo and statistics written); the rule's own path is lighter.
    "ARENA_MIN_WATCH_MS": "0",
    "ARENA_MIN_WATCH_FRACTION": "0",
}


def one(name: str, env: dict[str, str], workers: int, seconds: float, voters: int) -> dict:
    work = scratch(name)
    env = {**prepare_arena(work), **env, **DEFENSES}
    sync(env)
    server = Server(env, workers=workers)
    server.start(work / "server.log")
    started = time.monotonic()
    tally = run_load(server.port, seconds=seconds, voters=voters)
    elapsed = time.monotonic() - started
    server.kill(15)
    url = env.get("ARENA_DATABASE_URL") or f"sqlite:///{work / 'data' / 'arena.db'}"
    return {
        "name": name,
        "workers": workers,
        **tally.summary(elapsed),
        **db_check(url, tally.acknowledged),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--voters", type=int, default=16)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=OUT / "load.json", help="where the JSON result is written"
    )
    args = parser.parse_args()
    results = [one("sqlite-1-worker", {}, 1, args.seconds, args.voters)]
    with postgres(scratch("pg")) as url:
        results.append(
            one(
                f"postgresql-{args.pg_workers}-workers",
                {"ARENA_DATABASE_URL": url},
                args.pg_workers,
                args.seconds,
                args.voters,
            )
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "runs": results}, indent=2))
    print(json.dumps(results, indent=2))
    ok = all(
        r["status_5xx"] == 0 and r["missing_acknowledged"] == 0 and r["stored_twice"] == 0
        for r in results
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
