"""``arena import votes FILE``: load a vote log, with a report of every rejected line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from arena.cli.common import add_common, open_engine, settings_from
from arena.core.vocabulary import TRACKS

SHOWN = 50
"""Rejected lines printed; --report FILE keeps them all."""


def register(sub: argparse._SubParsersAction) -> None:
    imports = sub.add_parser("import", help="import a vote log").add_subparsers(
        dest="import_command", required=True, metavar="WHAT"
    )
    votes = imports.add_parser(
        "votes",
        help="load votes from a FastChat / LMArena battle file, JSON lines or CSV",
        description="Load votes into the arena: they count in the live ratings at once and in "
        "the official ones at the next `arena recompute`. Missing models are created under the "
        "'imported' provider, missing prompts from the file. Each bad line is reported and "
        "skipped; exit status 1 if any was. Lines already imported are skipped.",
    )
    add_common(votes)
    votes.add_argument("file", type=Path, help="the vote log to import")
    votes.add_argument(
        "--format",
        choices=("auto", "fastchat", "jsonl", "csv"),
        default="auto",
        help="the file's format (default: told from its content)",
    )
    votes.add_argument(
        "--track", choices=TRACKS, default=TRACKS[0], help="track of records that name none"
    )
    votes.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    votes.add_argument(
        "--strict", action="store_true", help="import nothing unless every line is good"
    )
    votes.add_argument("--report", type=Path, help="write every rejected line here (JSON lines)")
    votes.set_defaults(handler=votes_command)


def votes_command(args: argparse.Namespace) -> int:
    from arena.core.errors import Invalid
    from arena.services.dataset.importer import import_votes_file

    settings = settings_from(args)
    if not args.file.is_file():
        raise Invalid(f"no such file: {args.file}")
    engine = open_engine(settings, create=True)
    report = import_votes_file(
        engine,
        settings,
        args.file,
        fmt=args.format,
        default_track=args.track,
        dry_run=args.dry_run,
        strict=args.strict,
    )
    engine.dispose()
    verb = "would import" if report.dry_run else "imported"
    print(
        f"{report.source}: {report.records} records: {verb} {report.imported} votes, "
        f"{report.duplicates} already present, {report.excluded} excluded in the source, "
        f"{len(report.rejected)} rejected"
    )
    if report.models_created:
        print(
            f"models {'to create' if report.dry_run else 'created'} (provider 'imported'): "
            + ", ".join(report.models_created)
        )
    if report.prompts_created:
        print(
            f"prompts {'to create' if report.dry_run else 'created'}: "
            + ", ".join(report.prompts_created)
        )
    for line, reason in report.rejected[:SHOWN]:
        print(f"  rejected {report.source}:{line}: {reason}", file=sys.stderr)
    if len(report.rejected) > SHOWN:
        print(f"  ... and {len(report.rejected) - SHOWN} more", file=sys.stderr)
    if args.report:
        with args.report.open("w", encoding="utf-8") as fh:
            for line, reason in report.rejected:
                fh.write(json.dumps({"line": line, "reason": reason}) + "\n")
    if args.strict and report.rejected:
        print("nothing imported (--strict)", file=sys.stderr)
        return 2
    if report.imported and not report.dry_run:
        print("run `arena recompute` to include them in the official ratings")
    return 1 if report.rejected else 0
