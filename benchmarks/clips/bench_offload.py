"""Clip throughput: the app authorizing and nginx sending (X-Accel-Redirect), against nginx
serving the same file directly, and against the app sending the bytes itself.

    python benchmarks/clips/bench_offload.py [--seconds 10] [--connections 8] [--rounds 3]

One ``arena serve`` worker (SQLite, the tests' small arena) behind nginx configured from
``docs/nginx.conf``; one battle's left clip is replaced by a realistic clip (``--clip-seconds``
of 640x360 noise at 30 fps, a few MB); wrk (one thread, loopback) fetches, in turn:

- ``offload``: the battle's clip URL through nginx, with the voter's cookie (the app checks
  the battle and the voter, nginx sends the file);
- ``direct``: the same file from an nginx location that serves it with no app at all (the peer);
- ``app``: the battle's clip URL from a second worker without offload (Python sends the bytes).

The three are measured alternately, ``--rounds`` times; the ratio offload/direct is taken
within each round. Target: offload at least 80% of direct.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "integrity"))
sys.path.insert(0, str(ROOT))

from common import Server, machine, prepare_arena, scratch, sync  # noqa: E402

from arena.media.encode import write_mp4  # noqa: E402
from tests.frontserver import nginx_in_front  # noqa: E402

OUT = HERE / "results"
UNITS = {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate, unit = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out).groups()  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} non-2xx answers\n{out}")
    return {
        "megabytes_per_second": round(float(rate) * UNITS[unit], 1),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
    }


def big_clip(path: Path, seconds: float) -> None:
    rng = np.random.default_rng(0)
    frames = (rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(int(30 * seconds)))
    write_mp4(path, frames, fps=30, crf=28, preset="ultrafast")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration of each figure")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clip-seconds", type=float, default=5.0, help="length of the clip")
    parser.add_argument(
        "--out", type=Path, default=OUT / "offload.json", help="where the figures go (JSON)"
    )
    args = parser.parse_args()
    started = machine()
    work = scratch("offload")
    env = prepare_arena(work)
    sync(env)
    offload = Server({**env, "ARENA_CLIP_OFFLOAD": "x-accel-redirect"})
    plain = Server(env)
    offload.start(work / "offload.log")
    plain.start(work / "plain.log")
    try:
        request = urllib.request.Request(
            f"{offload.base}/api/v1/battles?track=text-to-video", method="POST"
        )
        with urllib.request.urlopen(request) as answer:
            cookie = answer.headers["set-cookie"].split(";", 1)[0]
            url = json.loads(answer.read())["left"]["url"]
        from arena.store.engine import make_engine, session_scope
        from arena.store.tables import Battle, Clip

        engine = make_engine(f"sqlite:///{work / 'data' / 'arena.db'}")
        with session_scope(engine) as session:
            battle = session.get(Battle, url.split("/")[2])
            clip = session.get(Clip, battle.left_clip_id)  # type: ignore[union-attr]
            name = clip.file  # type: ignore[union-attr]
        engine.dispose()
        clips_dir = work / "data" / "media" / "clips"
        made = Path(tempfile.mkdtemp(dir=work)) / "big.mp4"
        big_clip(made, args.clip_seconds)
        made.replace(clips_dir / name)
        size = (clips_dir / name).stat().st_size
        direct = (
            f"        location /direct/ {{ alias {clips_dir}/; "
            "types { } default_type video/mp4; }"
        )
        rounds = []
        with nginx_in_front(offload.base, clips_dir, work / "nginx", direct) as front:
            for n in range(1, args.rounds + 1):
                row = {
                    "offload": wrk(f"{front}{url}", args.seconds, args.connections, cookie),
                    "direct": wrk(f"{front}/direct/{name}", args.seconds, args.connections),
                    "app": wrk(f"{plain.base}{url}", args.seconds, args.connections, cookie),
                }
                row["ratio_offload_to_direct"] = round(
                    row["offload"]["megabytes_per_second"] / row["direct"]["megabytes_per_second"],
                    3,
                )
                row["ratio_app_to_direct"] = round(
                    row["app"]["megabytes_per_second"] / row["direct"]["megabytes_per_second"], 3
                )
                rounds.append(row)
                print(f"round {n}: {json.dumps(row)}", flush=True)
    finally:
        offload.kill(15)
        plain.kill(15)
    result = {
        "machine": started,
        "command": f"python benchmarks/clips/bench_offload.py --seconds {args.seconds} "
        f"--connections {args.connections} --rounds {args.rounds} "
        f"--clip-seconds {args.clip_seconds:g}",
        "clip_bytes": size,
        "median_ratio_offload_to_direct": statistics.median(
            r["ratio_offload_to_direct"] for r in rounds
        ),
        "median_ratio_app_to_direct": statistics.median(r["ratio_app_to_direct"] for r in rounds),
        "rounds": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
