"""Time a cold `arena demo` to its first battle, measure its folder, then time a warm start.

    python benchmarks/demo/bench_first_start.py [--config TOML] [--baseline REV] [--out JSON]

Each start runs `arena demo --data-dir DIR --port P` in an empty folder (cold) and then again
in the same folder (warm). The first battle is served when ``POST /api/v1/battles`` on the
first track answers 201 with both clip URLs and one of those clips answers 200: the time from
launch to that moment is the figure. CPU seconds are the user and system time of the whole
process tree at that moment (the machine is shared, so wall time depends on its load; CPU time
much less). After the first battle the script waits for the demo to finish its background work,
then sizes the folder (each file once, so hard links count once). ``--baseline REV`` runs the
same at another revision (e.g. main's 4acb1c9) in the same run, one after the other.
Prints a markdown table and the machine's details (paste both into RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integrity"))
from common import ROOT, checkout, free_port, machine, scratch

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """User + system seconds of ``root`` and its live descendants, with their reaped children."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(v) for v in fields[11:15]) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    return total


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path``, each inode counted once (as du does)."""
    seen: set[tuple[int, int]] = set()
    size = 0
    for file in path.rglob("*"):
        st = file.lstat()
        if file.is_file() and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            size += st.st_size
    return size


def post(http: urllib.request.OpenerDirector, url: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with http.open(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def first_battle(base: str, track: str, proc: subprocess.Popen, deadline: float) -> None:
    """Ask for a battle until one comes with clips, and fetch a clip as its voter (a cookie)."""
    http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"arena demo exited with {proc.returncode}")
        try:
            status, battle = post(http, f"{base}/api/v1/battles?track={track}")
            if status == 201 and battle["left"]["url"] and battle["right"]["url"]:
                with http.open(base + battle["left"]["url"], timeout=10) as clip:
                    if clip.status == 200 and clip.read(8)[4:8] == b"ftyp":
                        return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError("no battle before the deadline")


def start(code: Path | None, config: Path | None, data: Path, log: Path, timeout: float) -> dict:
    """One `arena demo` start: seconds and CPU seconds to the first battle, then stopped once
    its background work is done (its log says so)."""
    port = free_port()
    command = [sys.executable, "-m", "arena.cli", "demo", "--data-dir", str(data)]
    command += ["--port", str(port)] + (["--config", str(config)] if config else [])
    env = {**os.environ, "PYTHONPATH": str(code or ROOT), "ARENA_CATALOG_TTL": "1"}
    for key in ("ARENA_CONFIG", "ARENA_DATABASE_URL", "ARENA_MEDIA_DIR", "ARENA_SOURCES_DIR"):
        env.pop(key, None)
    began = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=code or ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        first_battle(f"http://127.0.0.1:{port}", "text-to-video", proc, began + timeout)
        seconds = time.monotonic() - began
        cpu = tree_cpu(proc.pid)
        text = log.read_text()
        while "in the background" in text.split("ready at", 1)[-1].split("\n", 1)[0]:
            if "background: " in text and (" ready (" in text or "failed" in text):
                break
            if time.monotonic() > began + timeout or proc.poll() is not None:
                raise RuntimeError("the background work did not finish")
            time.sleep(0.5)
            text = log.read_text()
        total = time.monotonic() - began
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    return {
        "first_battle_seconds": round(seconds, 1),
        "first_battle_cpu_seconds": round(cpu, 1),
        "all_tracks_seconds": round(total, 1),
        "said_rendering": "render" in text.lower(),
        "traceback": "Traceback" in text,
    }


def measure(name: str, code: Path | None, config: Path | None, timeout: float) -> dict:
    work = scratch(f"demo-{name}")
    try:
        if config is not None:  # the demo renders a config's scene images beside it
            shutil.copyfile(config, work / config.name)
            config = work / config.name
        data = work / "data"
        cold = start(code, config, data, work / "cold.log", timeout)
        size = folder_bytes(data)
        warm = start(code, config, data, work / "warm.log", timeout)
        return {"cold": cold, "folder_mb": round(size / 1e6, 1), "warm": warm}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="arena.toml (default: the packaged demo)")
    parser.add_argument("--baseline", help="also measure this git revision (e.g. 4acb1c9)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per start, at most")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    config = args.config.resolve() if args.config else None
    result: dict = {"machine": machine(), "config": str(args.config or "the packaged demo")}
    result["this checkout"] = measure("this", None, config, args.timeout)
    if args.baseline:
        code = checkout(args.baseline)
        try:
            result[args.baseline] = measure("baseline", code, config, args.timeout)
        finally:
            shutil.rmtree(code, ignore_errors=True)
    load = os.getloadavg()
    result["load_at_end"] = f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    print(result["machine"])
    print(
        "\n| code | cold: first battle (s) | its CPU (s) | all tracks (s) | folder (MB) "
        "| warm: first battle (s) | cold start says render | warm start says render |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in ("this checkout", args.baseline):
        if name and name in result:
            r = result[name]
            print(
                f"| {name} | {r['cold']['first_battle_seconds']} | "
                f"{r['cold']['first_battle_cpu_seconds']} | {r['cold']['all_tracks_seconds']} | "
                f"{r['folder_mb']} | {r['warm']['first_battle_seconds']} | "
                f"{r['cold']['said_rendering']} | {r['warm']['said_rendering']} |"
            )
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
