"""Does another process's SQLite write lock freeze the server? Read latency while it is held.

    python benchmarks/integrity/freeze.py [--hold 5] [--readers 4] [--baseline REV]

One ``arena serve`` worker on SQLite serves the tests' small arena. A voter thread keeps
issuing battles and voting (so writes are always waiting); reader threads request the
leaderboard page, a model page, the leaderboard JSON and a clip in turn. After a second,
another process takes SQLite's write lock (``BEGIN IMMEDIATE``) and holds it ``--hold``
seconds, as ``arena models sync`` or an import does while it writes a batch. The figures are
the latencies of the reads in flight at any moment while the lock was held (p50, p99, max, per
path) and what the writes started meanwhile answered.

``--baseline REV`` runs the same measurement, in the same run and alternately, on a copy of
the code at git revision REV (``git archive``), for a side-by-side figure. Target: every
path's p99 under 100 ms while the lock is held.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import ROOT, checkout, free_port, machine, prepare_arena, scratch, sync  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.sqlitelock import lock_held_by_another_process  # noqa: E402

OUT = HERE / "results"


def request(port: int, method: str, path: str, cookie: str = "") -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("set-cookie") or ""
    finally:
        conn.close()


def measure(code: Path, env: dict[str, str], hold: float, readers: int) -> dict[str, object]:
    port = free_port()
    # Run from the code's folder, so ``-m arena.cli`` imports that copy of the package.
    server = subprocess.Popen(
        [sys.executable, "-m", "arena.cli", "serve", "--port", str(port)],
        cwd=code,
        env={**os.environ, **env, "PYTHONPATH": str(code)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request(port, "GET", "/api/v1/tracks")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        status, body, cookie = request(port, "POST", "/api/v1/battles?track=text-to-video")
        clip = json.loads(body)["left"]["url"]
        paths = [
            "/leaderboard?track=text-to-video",
            "/models/clean-1",
            "/api/v1/leaderboard?track=text-to-video",
            clip,
        ]
        for path in paths:  # warm: first renders are not what is measured
            request(port, "GET", path)

        stop = threading.Event()
        reads: list[tuple[float, float, str, int]] = []
        writes: list[tuple[float, int]] = []

        jar = cookie.split(";", 1)[0]

        def voter() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, body, _ = request(port, "POST", "/api/v1/battles?track=text-to-video", jar)
                if status == 201:
                    vote = json.loads(body)["vote_url"]
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request(
                        "POST",
                        vote,
                        body=json.dumps({"outcome": "a", "watch_ms": 5000}),
                        headers={"Cookie": jar, "Content-Type": "application/json"},
                    )
                    status = conn.getresponse().status
                    conn.close()
                writes.append((started, status))

        def reader(offset: int) -> None:
            i = offset
            while not stop.is_set():
                path = paths[i % len(paths)]
                i += 1
                started = time.monotonic()
                # With the voter's cookie: a battle's clip is served to its voter only.
                status, _, _ = request(port, "GET", path, jar)
                reads.append((started, time.monotonic(), path, status))

        threads = [threading.Thread(target=voter)] + [
            threading.Thread(target=reader, args=(n,)) for n in range(readers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        with lock_held_by_another_process(Path(env["ARENA_DATA_DIR"]) / "arena.db", hold):
            locked = time.monotonic()
        released = time.monotonic()
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(120)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)

    # Every read in flight at some moment of the hold: a frozen worker's reads started before
    # the lock was taken and ended after it was released.
    during = [r for r in reads if r[0] < released and r[1] > locked]
    by_path: dict[str, dict[str, float]] = {}
    for path in paths:
        times = sorted((r[1] - r[0]) * 1000 for r in during if r[2] == path)
        name = "clip" if path == clip else path
        if not times:
            by_path[name] = {"n": 0}
            continue
        by_path[name] = {
            "n": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 1),
            "max_ms": round(times[-1], 1),
        }
    statuses: dict[str, int] = {}
    for started, status in writes:
        if locked <= started < released:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "hold_seconds": round(released - locked, 2),
        "reads_during_hold": by_path,
        "read_errors": sum(1 for r in during if r[3] != 200),
        "writes_started_during_hold_by_status": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold", type=float, default=5.0, help="seconds the lock is held")
    parser.add_argument("--readers", type=int, default=4, help="concurrent reader threads")
    parser.add_argument("--rounds", type=int, default=1, help="measurements of each code")
    parser.add_argument("--baseline", help="also measure the code at this git revision")
    parser.add_argument(
        "--out", type=Path, default=OUT / "freeze.json", help="where the figures go (JSON)"
    )
    args = parser.parse_args()
    started = machine()
    work = scratch("freeze")
    codes = {"this checkout": ROOT}
    if args.baseline:
        codes[f"baseline {args.baseline}"] = checkout(args.baseline)
    # Each code gets an arena of its own, synced (and migrated) by that code.
    envs = {}
    for k, (name, code) in enumerate(codes.items()):
        envs[name] = prepare_arena(work / f"arena-{k}")
        sync(envs[name], None if code == ROOT else code)
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in codes}
    for n in range(args.rounds):
        for name, code in codes.items():
            result = measure(code, envs[name], args.hold, args.readers)
            runs[name].append(result)
            print(f"round {n + 1}, {name}: {json.dumps(result)}", flush=True)
    command = f"python benchmarks/integrity/freeze.py --hold {args.hold:g} --readers {args.readers}"
    if args.rounds != 1:
        command += f" --rounds {args.rounds}"
    if args.baseline:
        command += f" --baseline {args.baseline}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": started, "command": command, "runs": runs}, indent=2)
    )
    print(json.dumps({name: [r["reads_during_hold"] for r in rs] for name, rs in runs.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
