"""Speed of the vote path: wrk on loopback, one uvicorn worker, SQLite. "Get battle + vote"
(each battle by a new voter from its own address, default limits and the anomaly test on)
against a bare FastAPI endpoint served the same way, in the same run, as a ratio.

    python benchmarks/integrity/speed.py [--seconds 20] [--connections 8] [--rounds 3]
                                         [--baseline REV]

``--baseline REV`` also measures the code at git revision REV (``git archive``, its own arena
synced by that code) in every round, for a ratio to it in the same run.

The two servers are measured alternately, ``--rounds`` times each, because this machine's
speed drifts by 10-30% from one minute to the next; each round's ratio compares neighbours
in time, and the summary gives the median ratio and the median p99.

Both servers run with uvicorn's defaults (httptools, uvloop when installed), access log on
for both, as `arena serve` runs; wrk uses one thread. Target: at least 40% of bare, p99
under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Server, checkout, free_port, machine, prepare_arena, scratch, sync  # noqa: E402
from load import DEFENSES, OUT  # noqa: E402


def wrk(url: str, script: str, seconds: int, connections: int) -> dict[str, object]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": rps,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "wrk_output": out,
    }


def bare(seconds: int, connections: int) -> dict[str, object]:
    port = free_port()
    proc = subprocess.Popen(
        # Served as `arena serve` serves Arena: uvicorn's defaults, access log included.
        [sys.executable, "-m", "uvicorn", "bare:app", "--port", str(port)],
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"http://127.0.0.1:{port}/bare", method="POST")
                )
                break
            except OSError:
                time.sleep(0.1)
        return wrk(f"http://127.0.0.1:{port}/bare", str(HERE / "bare.lua"), seconds, connections)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


def arena(seconds: int, connections: int, code: Path | None = None) -> dict[str, object]:
    """Battle + vote on this checkout's code, or on ``code`` (a :func:`checkout`)."""
    work = scratch("speed")
    env = {**prepare_arena(work), **DEFENSES}
    sync(env, code)
    server = Server(env, workers=1, code=code)
    server.start(work / "server.log")
    try:
        loaded = wrk(server.base, str(HERE / "battle_vote.lua"), seconds, connections)
        # One connection: the latency of the path itself, without queueing behind others.
        alone = wrk(server.base, str(HERE / "battle_vote.lua"), seconds, 1)
        return {**loaded, "one_connection": alone}
    finally:
        server.kill(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="bare and Arena measured alternately, N times each"
    )
    parser.add_argument(
        "--out", type=Path, default=OUT / "speed.json", help="where the JSON result is written"
    )
    parser.add_argument(
        "--baseline",
        help="also measure the code at this git revision, in the same rounds (ratio to it)",
    )
    args = parser.parse_args()
    started = machine()
    base_code = checkout(args.baseline) if args.baseline else None
    rounds = []
    for n in range(1, args.rounds + 1):
        peer = bare(args.seconds, args.connections)
        ours = arena(args.seconds, args.connections)
        ratio = round(ours["requests_per_second"] / peer["requests_per_second"], 3)  # type: ignore[operator]
        row: dict[str, object] = {"bare": peer, "arena_battle_plus_vote": ours, "ratio": ratio}
        if base_code is not None:
            before = arena(args.seconds, args.connections, base_code)
            row["baseline_battle_plus_vote"] = before
            row["ratio_to_baseline"] = round(
                ours["requests_per_second"] / before["requests_per_second"],  # type: ignore[operator]
                3,
            )
            print(
                f"round {n}: baseline {before['requests_per_second']} req/s p99 "
                f"{before['p99_ms']} ms | ratio to baseline {row['ratio_to_baseline']}",
                flush=True,
            )
        rounds.append(row)
        alone = ours["one_connection"]
        print(
            f"round {n}: bare {peer['requests_per_second']} req/s p99 {peer['p99_ms']} ms | "
            f"arena {ours['requests_per_second']} req/s p50 {ours['p50_ms']} p99 "
            f"{ours['p99_ms']} ms non-2xx {ours['non_2xx']} | one connection "
            f"{alone['requests_per_second']} req/s p99 {alone['p99_ms']} ms | ratio {ratio}",  # type: ignore[index]
            flush=True,
        )
    result = {
        "machine": started,
        "command": f"python benchmarks/integrity/speed.py --seconds {args.seconds} "
        f"--connections {args.connections} --rounds {args.rounds}"
        + (f" --baseline {args.baseline}" if args.baseline else ""),
        "median_ratio": statistics.median(r["ratio"] for r in rounds),  # type: ignore[misc]
        "median_ratio_to_baseline": statistics.median(
            r["ratio_to_baseline"]  # type: ignore[misc]
            for r in rounds
        )
        if base_code is not None
        else None,
        "median_p99_ms": statistics.median(
            r["arena_battle_plus_vote"]["p99_ms"]  # type: ignore[index]
            for r in rounds
        ),
        "rounds": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
