"""``arena serve`` and ``arena demo``: run the web app (the demo prepares its arena first)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from arena.cli.common import (
    add_common,
    open_engine,
    print_sync,
    progress_printer,
    registry_from,
    settings_from,
)
from arena.registry.base import ConfigError
from arena.registry.plugins import Registry
from arena.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="render the demo clips and serve a working arena")
    add_common(
        demo,
        config_help="arena.toml to use instead of the demo's (default: $ARENA_CONFIG, else the "
        "demo's copied into the data directory); its prompts' scene images are rendered beside it",
    )
    demo.add_argument("--votes", type=int, default=0, help="seed N simulated votes first")
    demo.add_argument("--seed", type=int, default=0, help="seed of the simulated votes")
    demo.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port (default 8000)")
    demo.add_argument("--no-serve", action="store_true", help="prepare everything, do not serve")
    demo.set_defaults(handler=demo_command)

    serve = sub.add_parser("serve", help="serve the arena")
    add_common(serve)
    serve.add_argument("--host", help="address to listen on (default: $ARENA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: $ARENA_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (PostgreSQL for more than one)"
    )
    serve.set_defaults(handler=serve_command)


def demo_command(args: argparse.Namespace) -> int:
    from arena.services.demo import prepare_demo_config, render_scene_images, seed_votes
    from arena.services.ingest import sync
    from arena.services.recompute import recompute_all

    settings = settings_from(args)
    if settings.config_path is None:
        settings = settings.with_(config_path=prepare_demo_config(settings.data_dir))
    elif not settings.config_path.is_file():
        raise ConfigError(
            f"{settings.config_path}: no such config file (from --config or $ARENA_CONFIG)"
        )
    else:
        render_scene_images(settings.config_path)
    registry = registry_from(settings)
    print(f"Arena demo: data in {settings.data_dir.resolve()}, config {settings.config_path}")
    engine = open_engine(settings, create=True)
    report = sync(engine, registry, settings, progress=progress_printer("Rendering clips"))
    print_sync(report)
    if args.votes:
        seed_votes(
            engine,
            settings,
            registry.config,
            votes=args.votes,
            seed=args.seed,
            progress=progress_printer("Simulated votes"),
        )
    fits = recompute_all(engine, settings, progress=progress_printer("Bradley-Terry fits"))
    if fits:
        print(f"official ratings: {len(fits)} snapshots ({sum(f.seconds for f in fits):.1f} s)")
    engine.dispose()
    if args.no_serve:
        return 0
    return serve(settings, registry, workers=1)


def serve_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    registry = registry_from(settings) if settings.config_path else None
    return serve(settings, registry, workers=args.workers)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may well resolve to a public address
        return False


def proxy_warning(settings: Settings) -> str | None:
    """The start-up warning for a server others can reach that trusts no proxy, or None."""
    if is_loopback(settings.host) or settings.trusted_proxies.strip():
        return None
    return (
        f"warning: listening on {settings.host} (not loopback) and ARENA_TRUSTED_PROXIES is "
        "unset: if a proxy is in front of this server, per-address limits see only the "
        "proxy's address (every client looks like one); name the proxy in ARENA_TRUSTED_PROXIES"
    )


def serve(settings: Settings, registry: Registry | None, *, workers: int) -> int:
    """Run uvicorn on the settings' host and port; several workers share the settings by env."""
    import uvicorn

    from arena.web.app import create_app

    base = f"http://{settings.host}:{settings.port}"
    print(
        f"Vote:        {base}/\nLeaderboard: {base}/leaderboard\nAPI docs:    {base}/docs",
        flush=True,
    )
    warning = proxy_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)
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
            "arena.web.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_level="info",
            proxy_headers=False,
        )
        return 0
    # proxy_headers=False: uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1 and
    # let any local client pick its address; ARENA_TRUSTED_PROXIES decides that instead.
    uvicorn.run(
        create_app(settings, registry),
        host=settings.host,
        port=settings.port,
        proxy_headers=False,
    )
    return 0
