"""``arena models ...``: check the config, ingest clips, list models, retire and claim them.

Lifecycle commands work on the database directly (through :mod:`arena.services.catalog`); a running
server sees the change at its next catalogue refresh, with no restart.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

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
    check = models.add_parser("check", help="check the config and every provider's options")
    add_common(check)
    check.set_defaults(handler=check_command)

    sync = models.add_parser("sync", help="ingest every configured model's clips")
    add_common(sync)
    sync.add_argument(
        "--workers", type=int, help="processes normalizing in parallel (default: one per core)"
    )
    sync.set_defaults(handler=sync_command)

    listing = models.add_parser("list", help="list models, providers and clip counts")
    add_common(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_command)

    for action, text in (
        ("retire", "no new battles; votes and leaderboard line stay"),
        ("unretire", "back into battles"),
    ):
        parser = models.add_parser(action, help=text)
        add_common(parser)
        parser.add_argument("model", help="the model's id")
        parser.set_defaults(handler=retire_command, retired=action == "retire")

    claim = models.add_parser(
        "claim", help="reveal who made a model launched under a codename (votes carry over)"
    )
    add_common(claim)
    claim.add_argument("model", help="the codename's model id")
    claim.add_argument("--as", dest="new_id", help="the real id (default: keep the id)")
    claim.add_argument("--name", required=True, help="the real display name")
    claim.add_argument("--organization", required=True, help="who made it")
    claim.add_argument("--license", help="its license, if it changes")
    claim.add_argument("--link", help="its page, if it changes")
    claim.add_argument("--note", default="", help="kept with the claim record")
    claim.set_defaults(handler=claim_command)


def check_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    registry = registry_from(settings)
    config = registry.config
    tracks = Counter(p.track for p in config.prompts)
    print(
        f"{config.path}: {len(config.models)} models, {len(config.prompts)} prompts "
        f"({', '.join(f'{t}: {n}' for t, n in tracks.items())}); providers: "
        f"{', '.join(sorted(registry.providers))}"
    )
    for track, profile in config.normalize.items():
        print(
            f"  {track}: {profile.width}x{profile.height} {profile.fps} fps, "
            f"{profile.duration} duration (max {profile.max_seconds:g} s), "
            f"{profile.rate_control} {profile.kbps} kbit/s"
        )
    return 0


def sync_command(args: argparse.Namespace) -> int:
    from arena.services.ingest import sync

    settings = settings_from(args)
    registry = registry_from(settings)
    engine = open_engine(settings, create=True)
    try:
        report = sync(
            engine,
            registry,
            settings,
            progress=progress_printer("Syncing clips"),
            workers=args.workers,
        )
    finally:
        engine.dispose()
    print_sync(report)
    return 0


def list_command(args: argparse.Namespace) -> int:
    from arena.registry.base import ConfigError
    from arena.registry.config import load_config
    from arena.registry.plugins import provider_usage
    from arena.services.catalog import model_listing

    settings = settings_from(args)
    prompts = None
    usage: dict[str, dict[str, Any]] = {}
    for path in (settings.config_path, Path("arena.toml"), settings.data_dir / "arena.toml"):
        if path is not None and path.is_file():
            try:
                config = load_config(path)
            except ConfigError as exc:
                print(f"arena: warning: {exc}; prompts taken from the database", file=sys.stderr)
                break
            prompts = {p.id: p.track for p in config.prompts}
            usage = provider_usage(config, settings.sources_dir)
            break
    engine = open_engine(settings)
    rows = model_listing(engine, prompts)
    engine.dispose()
    for row in rows:
        row["usage"] = usage.get(row["model"])
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if not rows:
        print("no models yet: run `arena models sync`")
    for row in rows:
        status = []
        if row["retired"]:
            status.append("retired")
        if row["claimed_from"]:
            status.append(f"claimed, was {', '.join(row['claimed_from'])}")
        mark = f" ({'; '.join(status)})" if status else ""
        clips = ", ".join(f"{t}: {n}" for t, n in row["clips"].items()) or "no clips"
        print(f"{row['model']:<24} {row['name']}{mark} [{row['provider']}] {clips}")
        if row["usage"]:
            print(f"{'':<24} {usage_line(row['usage'])}")
        if row["lacking"]:
            shown = ", ".join(row["lacking"][:8])
            more = f" and {len(row['lacking']) - 8} more" if len(row["lacking"]) > 8 else ""
            print(f"{'':<24} lacks {len(row['lacking'])}: {shown}{more}")
    return 0


def usage_line(usage: dict[str, Any]) -> str:
    """A hosted model's accounting on one line: jobs, failures, seconds, cost."""
    line = (
        f"jobs: {usage.get('submitted', 0)} submitted, {usage.get('succeeded', 0)} succeeded, "
        f"{usage.get('failed', 0)} failed, {usage.get('running', 0)} running; "
        f"{float(usage.get('seconds', 0)):.1f} s"
    )
    if usage.get("cost"):
        line += f"; cost {float(usage['cost']):.2f} {usage.get('currency', '')}".rstrip()
    return line


def retire_command(args: argparse.Namespace) -> int:
    from arena.services import catalog
    from arena.services.database import session_scope

    engine = open_engine(settings_from(args))
    try:
        with session_scope(engine, write=True) as session:
            model = catalog.set_retired(session, slug=args.model, retired=args.retired)
    finally:
        engine.dispose()
    state = "retired: no new battles" if model.retired else "back in battles"
    print(f"{model.slug} ({model.name}) {state}")
    return 0


def claim_command(args: argparse.Namespace) -> int:
    from arena.services import catalog
    from arena.services.database import session_scope

    engine = open_engine(settings_from(args))
    try:
        with session_scope(engine, write=True) as session:
            claim = catalog.claim_model(
                session,
                slug=args.model,
                new_slug=args.new_id or args.model,
                name=args.name,
                organization=args.organization,
                license=args.license,
                link=args.link,
                note=args.note,
            )
    finally:
        engine.dispose()
    print(
        f"{claim.from_slug} ({claim.from_name}) is now {claim.to_slug} ({claim.to_name}, "
        f"{claim.to_organization}); its votes and ratings carry over"
    )
    return 0
