"""``arena serve`` and ``arena demo``: run the web app (the demo prepares its arena first)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import threading
import time
from collections.abc import Callable

from arena.cli.common import (
    add_common,
    open_engine,
    print_sync,
    progress_printer,
    registry_from,
    settings_from,
    stage_printer,
)
from arena.registry.base import ConfigError
from arena.registry.plugins import Registry
from arena.services.database import Writes
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
    from arena.services.demo import (
        first_track,
        prepare_demo_config,
        prepare_tracks,
        render_scene_images,
        seed_votes,
        tracks_of,
    )
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
    tracks = tracks_of(registry.config)
    # Served as soon as one track is ready, the others following in the background; simulated
    # votes and --no-serve want every track first.
    first = None if args.votes or args.no_serve else first_track(registry.config)
    now = [first] if first else tracks
    later = [t for t in tracks if t not in now]
    print(f"preparing {', '.join(now)}" + (f" first; then {', '.join(later)}" if later else ""))
    report = prepare_tracks(engine, registry, settings, now, progress=stage_printer())
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
        print("prepared (--no-serve: not serving)")
        return 0

    def ready(base: str, writes: Writes) -> None:
        note = f" ({', '.join(later)} in the background)" if later else ""
        print(f"ready at {base}/{note}", flush=True)
        if later:  # its writes go through the server's writer, like the server's own
            threading.Thread(
                target=_prepare_later, args=(settings, registry, later, writes), daemon=True
            ).start()

    return serve(settings, registry, workers=1, on_ready=ready)


def _prepare_later(
    settings: Settings, registry: Registry, tracks: list[str], writes: Writes
) -> None:
    """The demo's other tracks, prepared while the first is served (lines marked so)."""
    from arena.services.demo import prepare_tracks

    engine = open_engine(settings)
    try:
        report = prepare_tracks(
            engine,
            registry,
            settings,
            tracks,
            progress=stage_printer("background ", live=False),
            write=writes.call,
        )
        print(
            f"background: {', '.join(tracks)} ready ({report.added} clips added, "
            f"{len(report.rejected)} rejected)",
            flush=True,
        )
    except Exception as exc:  # the first track is still served; say what went wrong
        print(f"background: preparing {', '.join(tracks)} failed: {exc!r}", file=sys.stderr)
    finally:
        engine.dispose()


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


def serve(
    settings: Settings,
    registry: Registry | None,
    *,
    workers: int,
    on_ready: Callable[[str, Writes], None] | None = None,
) -> int:
    """Run uvicorn on the settings' host and port; several workers share the settings by env.

    ``on_ready(base_url, writes)`` is called once the (single-worker) server accepts
    connections, with the server's writer."""
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
    app = create_app(settings, registry)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            proxy_headers=False,
        )
    )
    if on_ready is not None:

        def wait() -> None:
            while not server.started:
                if server.should_exit:
                    return
                time.sleep(0.05)
            on_ready(base, app.state.writes)

        threading.Thread(target=wait, daemon=True).start()
    server.run()
    return 0
