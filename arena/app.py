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

from arena import __version__
from arena.catalog import CatalogCache
from arena.db import background_checkpoints, make_engine, make_loop_engine, prepare_schema
from arena.integrity.policy import IntegrityPolicy, parse_networks
from arena.jobs import JobRunner, JobTiming
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.web import admin, api, board, clips, pages, profiles
from arena.web.errors import install_error_handlers
from arena.web.limits import BodyLimitMiddleware
from arena.web.voter import VoterMiddleware

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "web" / "templates"


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
        # SQLite: the vote path's writes on the event loop get a connection of their own,
        # and its WAL checkpoints run in a thread (arena.web.voting, arena.db); PostgreSQL:
        # none, they run in the thread pool.
        sqlite = engine.dialect.name == "sqlite"
        loop_engine = make_loop_engine(engine) if sqlite else None
        app.state.loop_engine = loop_engine
        app.state.catalog = CatalogCache(engine, settings.catalog_ttl_seconds)
        # Admin sync and recompute run in this runner's thread, never inside a request.
        app.state.jobs = JobRunner(engine, job_timing)
        try:
            with background_checkpoints(engine) if sqlite else nullcontext():
                yield
        finally:
            await asyncio.to_thread(app.state.jobs.close)
            engine.dispose()
            if loop_engine is not None:
                loop_engine.dispose()

    app = FastAPI(
        title="Arena",
        version=__version__,
        summary="A blind, pairwise preference leaderboard for AI video-generation models",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.rng = np.random.default_rng(seed)
    app.state.policy = IntegrityPolicy.from_settings(settings)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    secret = settings.resolved_secret()
    app.state.address_key = f"address:{secret}".encode()
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
    app.include_router(pages.router)
    app.include_router(clips.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(VoterMiddleware, secret=secret)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-worker serving: settings from ARENA_*."""
    from arena.registry.config import load_config
    from arena.registry.plugins import build_registry

    settings = Settings.from_env()
    registry = build_registry(load_config(settings.config_path)) if settings.config_path else None
    return create_app(settings, registry)
