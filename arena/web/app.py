"""The application factory: ``create_app(settings, registry)``; nothing happens at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline

from arena import __version__
from arena.core.integrity.policy import parse_networks
from arena.registry.plugins import Registry
from arena.services.clips import BattleClips
from arena.services.database import (
    background_checkpoints,
    make_engine,
    prepare_schema,
    writes_for,
)
from arena.services.jobs import JobRunner, JobTiming
from arena.services.pools import CatalogCache
from arena.settings import Settings, integrity_policy
from arena.web import admin, admin_invitations, api, clips, invitations, pages
from arena.web import leaderboard as board
from arena.web import model_pages as profiles
from arena.web.client import ProxyWatch, ProxyWatchMiddleware
from arena.web.errors import install_error_handlers
from arena.web.housekeeping import periodic_purge
from arena.web.limits import BodyLimitMiddleware
from arena.web.voter import VoterMiddleware

# web/static links to the top-level static/ in a checkout; a wheel carries real copies.
STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DOCS_ASSETS = "/docs-assets"
"""Where /docs loads Swagger UI from: files shipped in a package, no CDN."""


def create_app(
    settings: Settings,
    registry: Registry | None = None,
    *,
    seed: int | None = None,
    job_timing: JobTiming | None = None,
) -> FastAPI:
    """Build the app. The engine, the clip catalogue and the admin job runner are made in the
    lifespan.

    ``registry`` is kept on ``app.state`` for routes that manage models; ``seed`` fixes the
    matchmaking randomness (tests); ``job_timing`` the admin jobs' heartbeats (tests).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        prepare_schema(engine)
        app.state.engine = engine
        # The web's writes: one writer thread on SQLite (its WAL checkpoints in a thread of
        # their own), the thread pool on PostgreSQL (arena.store.writer).
        sqlite = engine.dialect.name == "sqlite"
        writes = writes_for(engine, timeout=settings.write_timeout_seconds)
        app.state.writes = writes
        app.state.catalog = CatalogCache(
            engine, settings.catalog_ttl_seconds, showcase=settings.showcase_prompts
        )
        app.state.battle_clips = BattleClips(engine)
        # Admin sync and recompute run in this runner's thread, never inside a request.
        app.state.jobs = JobRunner(engine, job_timing, write=writes.call)
        try:
            with background_checkpoints(engine) if sqlite else nullcontext():
                # Expired battles nobody voted on are deleted on a schedule (a GET never
                # writes, so the page cannot clean up after itself).
                async with (
                    periodic_purge(engine, writes, settings) as purge,
                    admin.periodic_integrity_check(engine, settings),
                ):
                    app.state.purge = purge
                    yield
        finally:
            await asyncio.to_thread(app.state.jobs.close)
            await asyncio.to_thread(writes.close)  # queued writes may wait on SQLite's lock
            engine.dispose()

    app = FastAPIOffline(
        title="Arena",
        version=__version__,
        summary="A blind, pairwise preference leaderboard for AI video-generation models",
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
        # ReDoc's bundle fetches its logo from its CDN: no /redoc, as nothing may leave the machine.
        redoc_url=None,
        # Swagger UI would send the schema to an online validator; nothing leaves the machine.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.rng = np.random.default_rng(seed)
    app.state.policy = integrity_policy(settings)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    sign_in = settings.identity_header if settings.identity == "header" else ""
    app.state.proxy_watch = ProxyWatch(app.state.trusted_proxies, sign_in=sign_in.lower().encode())
    secret = settings.resolved_secret()
    app.state.address_key = f"address:{secret}".encode()
    app.state.voter_secret = secret.encode()
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    install_error_handlers(app)
    app.include_router(api.router, prefix="/api/v1", tags=["arena"])
    app.include_router(api.router, prefix="/api", include_in_schema=False)
    app.include_router(board.api, prefix="/api/v1", tags=["leaderboard"])
    app.include_router(board.api, prefix="/api", include_in_schema=False)
    app.include_router(profiles.api, prefix="/api/v1", tags=["models"])
    app.include_router(profiles.api, prefix="/api", include_in_schema=False)
    app.include_router(board.pages)
    app.include_router(profiles.pages)
    app.include_router(admin.router, prefix=admin.PREFIX, tags=["admin"])
    app.include_router(admin.pages)
    app.include_router(admin_invitations.router, prefix=admin.PREFIX, tags=["admin"])
    app.include_router(invitations.router)
    app.include_router(pages.router)
    app.include_router(clips.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        VoterMiddleware,
        secret=secret,
        trusted_proxies=app.state.trusted_proxies,
        identity_header=sign_in,
    )
    app.add_middleware(ProxyWatchMiddleware, watch=app.state.proxy_watch)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-worker serving: settings from ARENA_*."""
    from arena.registry.config import load_config
    from arena.registry.plugins import build_registry

    settings = Settings.from_env()
    registry = build_registry(load_config(settings.config_path)) if settings.config_path else None
    return create_app(settings, registry)
