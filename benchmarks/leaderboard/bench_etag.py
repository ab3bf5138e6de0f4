"""What a leaderboard refresh costs: a full build and render against a 304 from its ETag.

Builds a throwaway arena (``--models`` models on one track, ``--votes`` votes over prompts in
``--categories`` categories, loaded through the import writer; one recompute), serves it with
uvicorn on a free loopback port, and drives it with Debian's ``wrk`` for ``--seconds`` per case:
each route plain (the server builds the view) and with ``If-None-Match`` (the server answers
304 after its three version queries). Prints a markdown table with the ratio.

    PYTHONPATH=. python benchmarks/leaderboard/bench_etag.py --models 40 --votes 200000
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import uvicorn
from sqlmodel import Session

from arena.services.leaderboard import BoardQuery, build_leaderboard, figures
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store import add_imported_catalog, import_votes
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.imports import ImportedPrompt, ImportedVote
from arena.store.reads.leaderboard import data_version
from arena.web.app import create_app

TRACK = "text-to-video"


def build(settings: Settings, models: int, votes: int, categories: int, seed: int) -> float:
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    rng = np.random.default_rng(seed)
    names = [f"model-{i:03d}" for i in range(models)]
    prompts = [
        ImportedPrompt(f"p{i:03d}", TRACK, f"prompt {i}", (f"cat-{i % categories}",))
        for i in range(categories * 5)
    ]
    with session_scope(engine, write=True) as session:
        ids = add_imported_catalog(session, models=[(n, n) for n in names], prompts=prompts)
    strength = rng.normal(0, 150, models)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    done = 0
    while done < votes:
        n = min(5000, votes - done)
        a = rng.integers(models, size=n)
        b = (a + rng.integers(1, models, size=n)) % models
        p = 1 / (1 + 10 ** ((strength[b] - strength[a]) / 400))
        u = rng.random(n)
        outcome = np.where(u < 0.1, "tie", np.where(u < 0.1 + 0.9 * p, "a", "b"))
        batch = [
            ImportedVote(
                battle_id=f"bench-{done + k:09d}",
                track=TRACK,
                prompt_id=prompts[int(rng.integers(len(prompts)))].id,
                model_a_id=ids[names[a[k]]],
                model_b_id=ids[names[b[k]]],
                outcome=str(outcome[k]),
                voter_id=f"bench-{int(rng.integers(5000))}",
                created_at=start + timedelta(seconds=done + k),
                watch_ms=None,
            )
            for k in range(n)
        ]
        with session_scope(engine, write=True) as session:
            import_votes(session, votes=batch, k=4.0, initial=1000.0)
        done += n
    began = time.perf_counter()
    recompute_all(engine, settings, RecomputeOptions(rounds=200))
    engine.dispose()
    return time.perf_counter() - began


def in_process(settings: Settings, repeat: int = 30) -> list[tuple[str, float]]:
    """Median server-side work (no HTTP) of the version key, the JSON view and the plots."""
    engine = make_engine(settings.database_url)
    query = BoardQuery(track=TRACK)

    def median(fn: Callable[[Session], object]) -> float:
        times = []
        for _ in range(repeat):
            with session_scope(engine) as session:
                began = time.perf_counter()
                fn(session)
                times.append(time.perf_counter() - began)
        return statistics.median(times) * 1000

    today = datetime.now(UTC).date()
    out = [
        ("version key (the 304 path)", median(lambda s: data_version(s, TRACK, today=today))),
        (
            "build the view (JSON path)",
            median(lambda s: build_leaderboard(s, query, settings=settings).model_dump_json()),
        ),
        (
            "build the view and its four plots (page path, before the template)",
            median(lambda s: figures.render(s, build_leaderboard(s, query, settings=settings))),
        ),
    ]
    engine.dispose()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, seconds: int, header: str | None) -> tuple[float, str]:
    cmd = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    return rps, p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=40)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--categories", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="arena-bench-etag-"))
    try:
        settings = Settings(data_dir=tmp, secret_key="bench", catalog_ttl_seconds=60)
        began = time.perf_counter()
        fit = build(settings, args.models, args.votes, args.categories, args.seed)
        print(
            f"arena: {args.models} models, {args.votes} votes, built in "
            f"{time.perf_counter() - began:.1f} s (recompute {fit:.1f} s)"
        )
        print("\n| server-side work, median of 30 | ms |\n| --- | --- |")
        for label, ms in in_process(settings):
            print(f"| {label} | {ms:.2f} |")
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        routes = [
            f"/leaderboard?track={TRACK}",
            f"/api/v1/leaderboard?track={TRACK}",
            f"/api/v1/leaderboard?track={TRACK}&category=cat-1",
        ]
        print("\n| route | full build (req/s, p50) | 304 (req/s, p50) | ratio |")
        print("| --- | --- | --- | --- |")
        for route in routes:
            with urllib.request.urlopen(base + route) as first:
                tag, size = first.headers["ETag"], len(first.read())
            check = urllib.request.Request(base + route, headers={"If-None-Match": tag})
            try:
                urllib.request.urlopen(check)
                raise SystemExit(f"{route}: no 304 for its own ETag")
            except urllib.error.HTTPError as exc:  # urllib raises on 304
                assert exc.code == 304, exc.code
            full, full_p50 = wrk(base + route, args.seconds, None)
            cached, cached_p50 = wrk(base + route, args.seconds, f"If-None-Match: {tag}")
            print(
                f"| `{route}` ({size // 1024} KiB) | {full:.0f}, {full_p50} | "
                f"{cached:.0f}, {cached_p50} | {cached / full:.1f}x |"
            )
        server.should_exit = True
        thread.join(10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nnproc {os.cpu_count()}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
