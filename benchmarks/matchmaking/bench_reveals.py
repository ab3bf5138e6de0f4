"""What blindness per voter costs on the battle path: a voter with 10,000 revealed clips.

One SQLite arena (default: 20 models x 600 prompts on one track, 12,000 clips, 190 pairs).
Voter ``r10000`` has 10,000 of those clips revealed (chosen at random; a blind battle is still
left, so matchmaking draws among the pairs that still have one), ``r1000`` and ``r100`` fewer
(``--revealed``); voter ``fresh`` has none.
Each battle is the real path: ``new_battle`` in a write transaction (read the voter's reveals,
restrict the draw, place the prompt, insert the battle, commit). Three variants, measured in
interleaved batches so the machine's drift hits them alike:

* ``no memory``: ``per_voter=False`` (the path before blindness per voter), the heaviest voter;
* ``memory, 0 revealed``: voter ``fresh``;
* ``memory, N revealed``: voter ``rN``, for each N of ``--revealed``.

Also split, for the heaviest voter: the read of their ids alone, and ``choose()`` alone with them.

    OPENBLAS_NUM_THREADS=1 python benchmarks/matchmaking/bench_reveals.py \
        [--models 20] [--prompts 600] [--revealed 100,1000,10000] [--battles 200] [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlmodel import Session

from arena import store
from arena.core.clock import utcnow
from arena.core.matchmaking import choose
from arena.services.battles import new_battle
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.reads.pools import load_catalog
from arena.store.tables import Clip, Model, Prompt, Reveal

TRACK = "text-to-video"
OUT = Path(__file__).resolve().parent / "results" / "reveals.json"


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start"
    )


def build(db: Path, models: int, prompts: int, revealed: list[int], seed: int) -> int:
    """The arena and each voter ``rN``'s N reveals; the number of clips."""
    engine = make_engine(f"sqlite:///{db}")
    prepare_schema(engine)
    rng = np.random.default_rng(seed)
    with session_scope(engine, write=True) as session:
        session.add_all(Prompt(id=f"p{k:04d}", track=TRACK, text=f"p{k}") for k in range(prompts))
        rows = [Model(slug=f"m{m}", name=f"m{m}", provider="bench") for m in range(models)]
        session.add_all(rows)
        session.flush()
        clips = [
            Clip(
                model_id=model.id,  # type: ignore[arg-type]
                prompt_id=f"p{k:04d}",
                track=TRACK,
                public_id=f"c{model.id}-{k}",
                file="none.mp4",
                duration=5.0,
                width=640,
                height=360,
                fps=24.0,
                video_codec="h264",
                has_audio=False,
                size_bytes=1,
            )
            for model in rows
            for k in range(prompts)
        ]
        session.add_all(clips)
        session.flush()
        ids = [c.id for c in clips]
        now = utcnow()
        for n in revealed:
            chosen = rng.choice(len(ids), size=min(n, len(ids)), replace=False)
            session.add_all(
                Reveal(voter_id=f"r{n}", track=TRACK, clip_id=ids[i], vote_id=0, created_at=now)
                for i in chosen
            )
        session.commit()
    engine.dispose()
    return len(ids)


def per_battle(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=600)
    parser.add_argument(
        "--revealed", default="100,1000,10000", help="revealed clips per measured voter"
    )
    parser.add_argument("--battles", type=int, default=200, help="battles per batch")
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    counts = sorted(int(n) for n in args.revealed.split(","))
    heaviest = f"r{counts[-1]}"
    started = machine()
    work = Path(tempfile.mkdtemp(prefix="arena-reveals-"))
    db = work / "arena.db"
    clips = build(db, args.models, args.prompts, counts, args.seed)
    engine = make_engine(f"sqlite:///{db}")
    settings = Settings(data_dir=work, showcase_prompts=0)
    catalog = load_catalog(engine)
    rng = np.random.default_rng(args.seed)

    def battle(voter: str, per_voter: bool) -> Callable[[], object]:
        def run() -> object:
            with session_scope(engine, write=True) as session:
                return new_battle(
                    session,
                    catalog=catalog,
                    rng=rng,
                    settings=settings,
                    track=TRACK,
                    voter_id=voter,
                    per_voter=per_voter,
                )

        return run

    def read() -> np.ndarray:
        with session_scope(engine) as session:
            return _read(session)

    def _read(session: Session) -> np.ndarray:
        return store.revealed_clips(session, voter_id=heaviest, track=TRACK)

    heavy_ids = read()
    pool = catalog.pool(TRACK)
    variants: dict[str, Callable[[], object]] = {
        "no memory": battle(heaviest, False),
        "memory, 0 revealed": battle("fresh", True),
        **{f"memory, {n:,} revealed": battle(f"r{n}", True) for n in counts},
        "read of the reveals alone": read,
        "choose() alone, no reveals": lambda: choose(pool, rng, rotation=catalog.rotation),
        "choose() alone, with the reveals": lambda: choose(
            pool, rng, rotation=catalog.rotation, revealed=heavy_ids
        ),
    }
    for fn in variants.values():  # warm up: plans, clip grid, caches
        per_battle(fn, 5)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.batches):
        for name, fn in variants.items():
            samples[name].append(per_battle(fn, args.battles))
    median = {name: statistics.median(v) for name, v in samples.items()}
    heavy = f"memory, {counts[-1]:,} revealed"
    blind_share = np.mean(
        [choose(pool, rng, revealed=heavy_ids).blind for _ in range(200)]  # type: ignore[arg-type]
    )
    result = {
        "machine": started,
        "models": args.models,
        "prompts": args.prompts,
        "clips": clips,
        "pairs": len(pool.pairs) if pool else 0,
        "revealed": len(heavy_ids),
        "battles_per_batch": args.battles,
        "batches": args.batches,
        "us_per_battle_median": {k: round(v, 1) for k, v in median.items()},
        "us_per_battle_batches": {k: [round(x, 1) for x in v] for k, v in samples.items()},
        "ratio_heavy_to_no_memory": round(median[heavy] / median["no memory"], 3),
        "ratio_to_no_memory": {
            k: round(v / median["no memory"], 3) for k, v in median.items() if "memory," in k
        },
        "heavy_voter_battles_blind": float(blind_share),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
