"""FastAPI dependencies, as typed aliases: ``def route(session: SessionDep, ...)``.

The ones that only read ``app.state`` or the request are ``async def``: FastAPI runs a plain
``def`` dependency in its thread pool, and a hop there per dependency per request is what
those cost most. Sessions stay plain ``def`` (taking SQLite's writer queue may block).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

import numpy as np
from fastapi import Depends, Request

from arena.core.errors import Forbidden, Unauthorized
from arena.core.integrity.policy import IntegrityPolicy
from arena.services.database import Engine, Session, Writes, session_scope
from arena.services.jobs import JobRunner
from arena.services.pools import CatalogCache
from arena.services.voting import Voting
from arena.settings import Settings
from arena.web.client import address_hash, client_address


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        yield session


async def get_writes(request: Request) -> Writes:
    """The process's writer (:mod:`arena.store.writer`): every write of a request goes there."""
    return request.app.state.writes


async def get_catalog(request: Request) -> CatalogCache:
    return request.app.state.catalog


async def get_jobs(request: Request) -> JobRunner:
    """This worker's admin job runner (made in the lifespan, see arena.services.jobs)."""
    return request.app.state.jobs


async def get_rng(request: Request) -> np.random.Generator:
    return request.app.state.rng


async def get_voter(request: Request) -> str:
    """The voter id the VoterMiddleware put on the request."""
    return request.state.voter_id


async def get_policy(request: Request) -> IntegrityPolicy:
    return request.app.state.policy


async def get_address_hash(request: Request) -> str | None:
    """The keyed hash of the client's address (see arena.web.client)."""
    state = request.app.state
    return address_hash(client_address(request, state.trusted_proxies), state.address_key)


async def get_voting(request: Request) -> Voting:
    state = request.app.state
    return Voting(
        writes=state.writes,
        settings=state.settings,
        catalog=state.catalog,
        rng=state.rng,
        policy=state.policy,
        voter=request.state.voter_id,
        address=await get_address_hash(request),
    )


async def require_admin(request: Request) -> None:
    """Admin routes: 403 when no ARENA_ADMIN_TOKEN is set, 401 for a missing or wrong token."""
    token = request.app.state.settings.admin_token
    if not token:
        raise Forbidden("the admin API is disabled: set ARENA_ADMIN_TOKEN on the server")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise Unauthorized("missing or wrong admin token: send 'Authorization: Bearer <token>'")


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
WritesDep = Annotated[Writes, Depends(get_writes)]
CatalogDep = Annotated[CatalogCache, Depends(get_catalog)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
RngDep = Annotated[np.random.Generator, Depends(get_rng)]
VoterDep = Annotated[str, Depends(get_voter)]
PolicyDep = Annotated[IntegrityPolicy, Depends(get_policy)]
AddressDep = Annotated[str | None, Depends(get_address_hash)]
VotingDep = Annotated[Voting, Depends(get_voting)]
