"""``arena audit blindness``: can a voter's browser tell the models apart by their files?"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from arena.cli.common import add_common, open_engine, settings_from
from arena.core.vocabulary import TRACKS

if TYPE_CHECKING:
    from arena.media.audit import TrackAudit


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="check the arena").add_subparsers(
        dest="audit_command", required=True, metavar="CHECK"
    )
    blind = audit.add_parser(
        "blindness",
        help="how well each property of the served files identifies the model, per track",
        description=(
            "For each track, observe every clip as a browser receives it (size, bitrate, "
            "duration, resolution, frame rate, codec parameters, metadata, MP4 layout), and "
            "measure how well each property picks out the model (leave-one-out "
            "nearest-centroid accuracy against chance, permutation test within prompts). "
            "Exit status 0 when every track is clean, 1 otherwise."
        ),
    )
    add_common(blind)
    blind.add_argument("--json", action="store_true", help="print JSON")
    blind.add_argument(
        "--sources", action="store_true", help="audit the providers' originals instead"
    )
    blind.add_argument("--track", choices=TRACKS, help="audit one track only")
    blind.add_argument("--alpha", type=float, default=0.01, help="significance level (0.01)")
    blind.add_argument(
        "--permutations",
        type=int,
        default=1000,
        help="permutations per test (at least 1000; raised as needed for the corrected alpha)",
    )
    blind.add_argument(
        "--strict",
        action="store_true",
        help="count content-driven leaks (sizes, bitrates) against a track's verdict too",
    )
    blind.set_defaults(handler=blindness_command)


def blindness_command(args: argparse.Namespace) -> int:
    from arena.media.audit import audit_track, observe_clips
    from arena.services.catalog import clip_files

    settings = settings_from(args)
    engine = open_engine(settings)
    rows = clip_files(engine)
    engine.dispose()
    clips = []
    for model, prompt, track, served, original in rows:
        if args.track and track != args.track:
            continue
        if args.sources:
            if not original:
                continue
            path = settings.sources_dir / original
        else:
            path = settings.clips_dir / served
        clips.append((model, prompt, track, Path(path)))
    by_track, unreadable = observe_clips(clips)
    audits = [
        audit_track(
            track,
            by_track[track],
            alpha=args.alpha,
            permutations=args.permutations,
            strict=args.strict,
        )
        for track in TRACKS
        if track in by_track
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "files": "sources" if args.sources else "served",
                    "tracks": [asdict(a) for a in audits],
                    "unreadable": unreadable,
                },
                indent=2,
            )
        )
    else:
        print_audits(audits, sources=args.sources)
        for model, prompt, reason in unreadable:
            print(f"unreadable: {model} / {prompt}: {reason}")
    clean = all(a.verdict == "clean" for a in audits) and not unreadable
    return 0 if clean else 1


def print_audits(audits: list[TrackAudit], *, sources: bool) -> None:
    if not audits:
        print("no clips to audit")
        return
    print(f"Blindness audit of the {'originals' if sources else 'served files'}")
    for audit in audits:
        print(
            f"\n{audit.track}: {audit.verdict.upper()}  ({audit.models} models, {audit.clips} "
            f"clips; chance {audit.chance:.2f})\n  because {audit.reason}"
        )
        across = [
            r.name for r in audit.properties if r.verdict == "uniform" and r.kind == "structural"
        ]
        within = [
            r.name for r in audit.properties if r.verdict == "uniform" and r.kind != "structural"
        ]
        if across:
            print(f"  one value across the track: {', '.join(across)}")
        if within:
            print(f"  one value within each prompt: {', '.join(within)}")
        for r in audit.properties:
            if r.verdict == "uniform":
                continue
            if r.kind == "content":
                label = {
                    "leaks": "LEAKS (content-driven, counted with --strict)",
                    "content": "separates the models, follows content (not counted)",
                }.get(r.verdict, "changes with content, within chance")
                line = (
                    f"{label}: up to {r.spread:.1%} from its prompt's median, accuracy "
                    f"{r.accuracy:.2f}, p={r.p_value:.3g}"
                )
            else:
                scope = "values" if r.kind == "structural" else "values within a prompt"
                line = (
                    f"{r.verdict.upper()}: {r.distinct} {scope}, accuracy {r.accuracy:.2f}, "
                    f"p={r.p_value:.3g}"
                )
            print(f"  {r.name:<15} {line}")
            for sentence in r.identifying[:5]:
                print(f"  {'':<15}   {sentence}")
        if any(r.verdict != "uniform" for r in audit.properties):
            print(
                f"  {'all varying properties together':<15} accuracy "
                f"{audit.combined_accuracy:.2f}, p={audit.combined_p:.3g}"
            )
