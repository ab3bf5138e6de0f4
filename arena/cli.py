"""The ``arena`` command: demo, serve, models sync / list.

Each sub-command parses its flags, builds :class:`Settings` (environment first, flags over it),
and calls into the library; it holds no SQL and no commit. Errors a user can cause print one
line naming what was wrong and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from arena.errors import ArenaError
from arena.ingest import Progress, SyncReport
from arena.registry.base import ConfigError
from arena.registry.plugins import Registry
from arena.settings import Settings, SettingsError

Handler = Callable[[argparse.Namespace], int]


def progress_printer(label: str, stream: TextIO | None = None) -> Progress:
    """A progress callback: a live line on a terminal, a line per 10% otherwise."""
    out = stream if stream is not None else sys.stderr
    tty = out.isatty()
    started = time.monotonic()
    last_decile = -1

    def report(done: int, total: int, item: str) -> None:
        nonlocal last_decile
        elapsed = time.monotonic() - started
        line = f"{label} {done}/{total} ({elapsed:.0f}s) {item}"
        if tty:
            print(f"\r\x1b[2K{line}", end="" if done < total else "\n", file=out, flush=True)
            return
        decile = done * 10 // max(total, 1)
        if decile != last_decile or done == total:
            last_decile = decile
            print(line, file=out, flush=True)

    return report


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    changes: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        changes["data_dir"] = Path(args.data_dir)
        if not os.environ.get("ARENA_DATABASE_URL"):
            changes["database_url"] = ""
        for key in ("media_dir", "sources_dir"):
            if not os.environ.get(f"ARENA_{key.upper()}"):
                changes[key] = Path()
    if getattr(args, "config", None):
        changes["config_path"] = Path(args.config)
    for key in ("host", "port"):
        if getattr(args, key, None):
            changes[key] = getattr(args, key)
    return settings.with_(**changes) if changes else settings


def _print_sync(report: SyncReport) -> None:
    print(
        f"clips: {report.added} added, {report.replaced} replaced, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected"
    )
    for model, prompt, reason in report.rejected:
        print(f"  rejected {model} / {prompt}: {reason}")


def _registry(settings: Settings) -> Registry:
    from arena.registry.config import load_config
    from arena.registry.plugins import build_registry

    path = settings.config_path or Path("arena.toml")
    return build_registry(load_config(path))


def cmd_demo(args: argparse.Namespace) -> int:
    from arena.db import create_schema, make_engine
    from arena.demo import prepare_demo_config, seed_votes
    from arena.ingest import sync

    settings = _settings(args)
    settings = settings.with_(config_path=prepare_demo_config(settings.data_dir))
    registry = _registry(settings)
    print(f"Arena demo: data in {settings.data_dir.resolve()}, config {settings.config_path}")
    engine = make_engine(settings.database_url)
    create_schema(engine)
    report = sync(engine, registry, settings, progress=progress_printer("Rendering clips"))
    _print_sync(report)
    if args.votes:
        seed_votes(
            engine,
            settings,
            registry.config,
            votes=args.votes,
            seed=args.seed,
            progress=progress_printer("Simulated votes"),
        )
    engine.dispose()
    if args.no_serve:
        return 0
    return _serve(settings, registry, workers=1)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    registry = _registry(settings) if settings.config_path else None
    return _serve(settings, registry, workers=args.workers)


def _serve(settings: Settings, registry: Registry | None, *, workers: int) -> int:
    import uvicorn

    from arena.app import create_app

    base = f"http://{settings.host}:{settings.port}"
    print(
        f"Vote:        {base}/\nLeaderboard: {base}/leaderboard\nAPI docs:    {base}/docs",
        flush=True,
    )
    if workers > 1:
        os.environ.update(
            {
                "ARENA_DATA_DIR": str(settings.data_dir),
                "ARENA_DATABASE_URL": settings.database_url,
                "ARENA_MEDIA_DIR": str(settings.media_dir),
                "ARENA_SOURCES_DIR": str(settings.sources_dir),
                "ARENA_SECRET_KEY": settings.resolved_secret(),
            }
        )
        if settings.config_path:
            os.environ["ARENA_CONFIG"] = str(settings.config_path)
        uvicorn.run(
            "arena.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="info",
        )
        return 0
    app = create_app(settings, registry)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


def cmd_models_sync(args: argparse.Namespace) -> int:
    from arena.db import create_schema, make_engine
    from arena.ingest import sync

    settings = _settings(args)
    registry = _registry(settings)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    report = sync(engine, registry, settings, progress=progress_printer("Syncing clips"))
    engine.dispose()
    _print_sync(report)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from arena.db import create_schema, make_engine
    from arena.queries import model_listing

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    create_schema(engine)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arena", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir", help="data directory (default: $ARENA_DATA_DIR or ./arena-data)"
        )
        p.add_argument(
            "--config", help="arena.toml to use (default: $ARENA_CONFIG or ./arena.toml)"
        )

    demo = sub.add_parser("demo", help="render the demo clips and serve a working arena")
    common(demo)
    demo.add_argument("--votes", type=int, default=0, help="seed N simulated votes first")
    demo.add_argument("--seed", type=int, default=0, help="seed of the simulated votes")
    demo.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port (default 8000)")
    demo.add_argument("--no-serve", action="store_true", help="prepare everything, do not serve")
    demo.set_defaults(handler=cmd_demo)

    serve = sub.add_parser("serve", help="serve the arena")
    common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL for >1)"
    )
    serve.set_defaults(handler=cmd_serve)

    models = sub.add_parser("models", help="manage models").add_subparsers(
        dest="models_command", required=True, metavar="ACTION"
    )
    msync = models.add_parser("sync", help="ingest every configured model's clips")
    common(msync)
    msync.set_defaults(handler=cmd_models_sync)
    mlist = models.add_parser("list", help="list models, providers and clip counts")
    common(mlist)
    mlist.add_argument("--json", action="store_true")
    mlist.set_defaults(handler=cmd_models_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (ConfigError, SettingsError, ArenaError) as exc:
        print(f"arena: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
