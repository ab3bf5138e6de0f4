"""Time `arena models sync` on the demo arena: first sync, a second one with nothing changed,
and a sync into a fresh database with warm caches; and normalization against encoding alone.

    python benchmarks/ingest/bench_sync.py [--workers N] [--keep DIR] [--config TOML]

Prints a markdown table (paste it into results.md with the machine's details, printed too).
The demo's procedural renders are made first and not counted in the sync figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import av
from sqlalchemy.engine import Engine

from arena.media.encode import write_mp4
from arena.media.normalize import normalize
from arena.registry.config import load_config
from arena.registry.plugins import build_registry
from arena.services.demo import prepare_demo_config
from arena.services.ingest import SyncReport, sync
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    load = os.getloadavg()
    return (
        f"nproc {os.cpu_count()}, {cpu}, {int(mem) // 1024 // 1024} GiB RAM, "
        f"load average at start {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="sync workers (default: cores)")
    parser.add_argument("--keep", type=Path, help="work in this folder (default: a temp dir)")
    parser.add_argument(
        "--config", type=Path, help="an arena.toml to sync instead of the demo's (a smaller one)"
    )
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="arena-bench-"))
    print(f"machine: {machine()}\nfolder: {root}")
    config_path = prepare_demo_config(root / "config", template=args.config)
    registry = build_registry(load_config(config_path))

    def settings(name: str) -> Settings:
        return Settings(data_dir=root / name, sources_dir=root / "sources", config_path=config_path)

    started = time.perf_counter()
    workdir = root / "sources" / "procedural"
    clips = 0
    for model in registry.config.models:
        provider = registry.providers[model.provider]
        clips += sum(
            1 for _ in provider.clips(model, registry.config.prompts_for(model), workdir=workdir)
        )
    render = time.perf_counter() - started
    rows: list[tuple[str, float, float | None]] = [
        ("render the demo's sources (procedural provider, not part of a sync)", render, None)
    ]

    engines: dict[str, Engine] = {}

    def timed_sync(name: str) -> tuple[float, SyncReport]:
        if name not in engines:
            engines[name] = make_engine(settings(name).database_url)
            prepare_schema(engines[name])
        t = time.perf_counter()
        report = sync(engines[name], registry, settings(name), workers=args.workers)
        return time.perf_counter() - t, report

    full, report = timed_sync("first")
    assert report.added == clips and report.encoded == clips, report
    rows.append((f"first sync: probe, keep originals, normalize {clips} clips", full, 1.0))
    second, report = timed_sync("first")
    assert report.unchanged == clips, report
    rows.append(("second sync, nothing changed", second, second / full))
    warm, report = timed_sync("fresh")
    assert report.reused == clips, report
    rows.append(("sync into a new database, normalized files cached", warm, warm / full))
    for engine in engines.values():
        engine.dispose()

    # Normalization against its peer, a plain transcode of the same sources with Arena's
    # demo encoder (decode to RGB, write_mp4 at crf 23): one process, the first 14 clips.
    sample = sorted((root / "sources" / "originals").glob("*.mp4"))[:14]
    profile = registry.config.profile("text-to-video-audio")
    t = time.perf_counter()
    for i, src in enumerate(sample):
        with av.open(str(src)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        write_mp4(root / "transcode" / f"{i}.mp4", frames, fps=profile.fps)
    transcode = time.perf_counter() - t
    t = time.perf_counter()
    for i, src in enumerate(sample):
        normalize(src, root / "normalize" / f"{i}.mp4", profile, frames=72, audio=False)
    normalized = time.perf_counter() - t
    rows.append((f"plain transcode of {len(sample)} clips (peer), one process", transcode, None))
    rows.append((f"normalize the same {len(sample)} clips, one process", normalized, None))

    print(f"\n{clips} clips, workers={args.workers or os.cpu_count()}\n")
    print("| step | seconds | ratio to the first sync |")
    print("| --- | --- | --- |")
    for label, seconds, ratio in rows:
        print(f"| {label} | {seconds:.2f} | {'' if ratio is None else f'{ratio:.4f}'} |")
    print(f"\nnormalize / plain transcode: {normalized / transcode:.2f}")


if __name__ == "__main__":
    main()
