"""``arena models ...``: ingest and list the configured models' clips."""

from __future__ import annotations

import argparse
import json

from arena.cli.common import (
    add_common,
    open_engine,
    print_sync,
    progress_printer,
    registry_from,
    settings_from,
)


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="manage models").add_subparsers(
        dest="models_command", required=True, metavar="ACTION"
    )
    sync = models.add_parser("sync", help="ingest every configured model's clips")
    add_common(sync)
    sync.set_defaults(handler=sync_command)
    listing = models.add_parser("list", help="list models, providers and clip counts")
    add_common(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_command)


def sync_command(args: argparse.Namespace) -> int:
    from arena.ingest import sync

    settings = settings_from(args)
    registry = registry_from(settings)
    engine = open_engine(settings)
    report = sync(engine, registry, settings, progress=progress_printer("Syncing clips"))
    engine.dispose()
    print_sync(report)
    return 0


def list_command(args: argparse.Namespace) -> int:
    from arena.queries import model_listing

    settings = settings_from(args)
    engine = open_engine(settings)
    rows = model_listing(engine)
    engine.dispose()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        tracks = ", ".join(f"{t}: {n}" for t, n in row["clips"].items()) or "no clips"
        mark = " (retired)" if row["retired"] else ""
        print(f"{row['model']:<24} {row['name']}{mark} [{row['provider']}] {tracks}")
    return 0
