# Long because the admin API's routes share one auth dependency and one router.
"""The admin API, mounted at ``/api/v1/admin``, behind ``Authorization: Bearer $ARENA_ADMIN_TOKEN``.

Models (sync from the config, retire, unretire, claim), voters and votes (flag, unflag, list
what is excluded, the audit trail), position bias, the integrity monitor (also an HTML page,
``/admin/integrity``, behind the same token), and the recompute. Sync and recompute are
background jobs (:mod:`arena.services.jobs`): the POST answers ``202`` with the job at once, and
``/jobs/{id}`` tells its progress and result. No token configured on the server: 403 saying
so; a missing or wrong token: 401. ``arena admin`` calls these routes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from arena.core.clock import utcnow
from arena.core.errors import Conflict
from arena.core.integrity.bias import PositionBias
from arena.core.integrity.monitor import Alarm, MonitorReport
from arena.core.vocabulary import EXCLUSION_REASONS
from arena.services import integrity as admin_integrity
from arena.services import jobs as admin_jobs
from arena.services.battles import check_track
from arena.services.catalog import claim_model, model_listing, set_retired
from arena.services.database import Engine
from arena.services.jobs import (
    AdminJob,
    JobRunner,
    recompute_work,
    sync_work,
)
from arena.settings import Settings
from arena.web import admin_examples as ex
from arena.web.api import TrackQuery
from arena.web.deps import (
    EngineDep,
    JobsDep,
    SessionDep,
    SettingsDep,
    WritesDep,
    require_admin,
)
from arena.web.housekeeping import Health, health

router = APIRouter(dependencies=[Depends(require_admin)])
pages = APIRouter(dependencies=[Depends(require_admin)], include_in_schema=False)
PREFIX = "/api/v1/admin"
log = logging.getLogger("arena.core.integrity")

SLUG = r"^[A-Za-z0-9._-]{1,100}$"
VoteId = Path(ge=1, le=2**31 - 1, description="A vote's id (see /votes/excluded)", examples=[4172])
Offset = Query(0, ge=0, le=10**9, examples=[0])
Limit = Query(100, ge=1, le=1000, examples=[100])
VoterId = Path(
    min_length=1,
    max_length=64,
    description="The id in a voter's cookie",
    examples=["Jx3q0c0v1Fh6o2c3rQ8YtA"],
)
JobId = Path(ge=1, le=2**31 - 1, description="An admin job's id", examples=[7])
Slug = Path(pattern=SLUG, description="A model's id", examples=["static-0"])


class Reason(BaseModel):
    """Why an admin acts, and who (free text, kept in the audit trail)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)
    actor: str = Field(default="admin", max_length=100)


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    organization: str = Field(default="", max_length=200)
    license: str | None = Field(default=None, max_length=100)
    link: str | None = Field(default=None, max_length=500)
    note: str = Field(default="", max_length=1000)


class JobIn(BaseModel):
    """Who starts a job (free text, kept on the job)."""

    model_config = ConfigDict(extra="forbid")
    actor: str = Field(default="admin", max_length=100)


class JobOut(BaseModel):
    """An admin job: its progress while ``running``; its ``result`` once ``done``, or its
    ``error`` once ``failed``."""

    id: int
    kind: str = Field(description="sync or recompute")
    state: Literal["running", "done", "failed"]
    stage: str = Field(description="what it is doing now")
    done: int | None = Field(description="steps of the stage done, when known")
    total: int | None = Field(description="steps of the stage, when known")
    result: Any = Field(description="the summary, once done")
    error: str
    actor: str
    owner: str = Field(description="the worker running it (host:pid:token)")
    created_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    status_url: str


class Done(BaseModel):
    """What an action changed."""

    ok: bool = True
    detail: str
    votes_affected: int = 0


def _refresh(request: Request) -> None:
    """This worker sees a catalogue change now; others within ``catalog_ttl_seconds``."""
    request.app.state.catalog.invalidate()


@router.get("/models", responses=ex.ok(ex.MODELS))
def list_models(engine: EngineDep) -> list[dict[str, Any]]:
    """Every model with its provider, status and clip count per track."""
    return model_listing(engine)


@router.post("/models/sync", status_code=202, responses=ex.started(ex.SYNC_JOB))
def sync_models(
    request: Request,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    jobs: JobsDep,
    body: JobIn | None = None,
) -> JobOut:
    """Start a background job that adds and refreshes the configured models (``arena models
    sync``); ``202`` with the job, ``409`` naming the job already running. The catalogue of
    this worker refreshes when it ends; others within ``catalog_ttl_seconds``."""
    registry = request.app.state.registry
    if registry is None:
        raise Conflict("the server runs without a config: start it with ARENA_CONFIG or --config")
    work = sync_work(engine, registry, settings, write=jobs.write)
    catalog = request.app.state.catalog
    job = jobs.start("sync", work, actor=(body or JobIn()).actor, on_done=catalog.invalidate)
    return _started(response, job, jobs)


@router.post("/models/{slug}/retire", responses=ex.ok(ex.DONE))
async def retire(request: Request, writes: WritesDep, slug: str = Slug) -> Done:
    """No new battles for the model; its votes and leaderboard line stay."""
    await writes.run(partial(set_retired, slug=slug, retired=True))
    _refresh(request)
    return Done(detail=f"model {slug!r} retired")


@router.post("/models/{slug}/unretire", responses=ex.ok(ex.DONE))
async def unretire(request: Request, writes: WritesDep, slug: str = Slug) -> Done:
    """The model enters battles again."""
    await writes.run(partial(set_retired, slug=slug, retired=False))
    _refresh(request)
    return Done(detail=f"model {slug!r} is back in battles")


@router.post("/models/{slug}/claim", responses=ex.ok(ex.DONE))
async def claim(body: ClaimIn, request: Request, writes: WritesDep, slug: str = Slug) -> Done:
    """Reveal who made a codenamed model: rename it, keep its votes, record the claim."""
    await writes.run(partial(claim_model, slug=slug, **body.model_dump()))
    _refresh(request)
    return Done(detail=f"model {slug!r} is now {body.new_slug!r} ({body.name})")


@router.get("/voters/flagged", responses=ex.ok([ex.VOTER]))
def flagged(
    session: SessionDep, limit: int = Limit, offset: int = Offset
) -> list[admin_integrity.VoterReport]:
    """Flagged voters, newest first, with their evidence and vote counts."""
    return admin_integrity.flagged_voters(session, limit=limit, offset=offset)


@router.get("/voters/{voter_id}", responses=ex.ok(ex.VOTER))
def voter(session: SessionDep, voter_id: str = VoterId) -> admin_integrity.VoterReport:
    return admin_integrity.voter_report(session, voter_id)


@router.post("/voters/{voter_id}/flag", responses=ex.ok(ex.DONE))
async def flag_voter(body: Reason, writes: WritesDep, voter_id: str = VoterId) -> Done:
    """Flag a voter: their votes are kept but stop counting."""
    n = await writes.run(
        partial(admin_integrity.flag_voter, voter_id=voter_id, actor=body.actor, reason=body.reason)
    )
    return Done(detail=f"voter {voter_id!r} flagged", votes_affected=n)


@router.post("/voters/{voter_id}/unflag", responses=ex.ok(ex.DONE))
async def unflag_voter(body: Reason, writes: WritesDep, voter_id: str = VoterId) -> Done:
    """Clear a voter's flag: votes excluded because of it count again; the test restarts."""
    n = await writes.run(
        partial(
            admin_integrity.unflag_voter, voter_id=voter_id, actor=body.actor, reason=body.reason
        )
    )
    return Done(detail=f"voter {voter_id!r} unflagged", votes_affected=n)


@router.get("/votes/excluded", responses=ex.ok([ex.EXCLUDED]))
def excluded(
    session: SessionDep,
    reason: str | None = Query(
        None, pattern=f"^({'|'.join(EXCLUSION_REASONS)})$", examples=["admin"]
    ),
    limit: int = Limit,
    offset: int = Offset,
) -> list[admin_integrity.ExcludedVote]:
    """Votes that do not count, and why."""
    return admin_integrity.excluded_votes(session, reason=reason, limit=limit, offset=offset)


@router.post("/votes/{vote_id}/flag", responses=ex.ok(ex.DONE))
async def flag_vote(body: Reason, writes: WritesDep, vote_id: int = VoteId) -> Done:
    await writes.run(
        partial(admin_integrity.flag_vote, vote_id=vote_id, actor=body.actor, reason=body.reason)
    )
    return Done(detail=f"vote {vote_id} excluded", votes_affected=1)


@router.post("/votes/{vote_id}/unflag", responses=ex.ok(ex.DONE))
async def unflag_vote(body: Reason, writes: WritesDep, vote_id: int = VoteId) -> Done:
    """Make an excluded vote count, whatever excluded it."""
    old = await writes.run(
        partial(admin_integrity.unflag_vote, vote_id=vote_id, actor=body.actor, reason=body.reason)
    )
    return Done(detail=f"vote {vote_id} counts again (was excluded for {old})", votes_affected=1)


@router.get("/events", responses=ex.ok([ex.EVENT]))
def events(
    session: SessionDep,
    voter_id: str | None = Query(None, max_length=64, examples=["Jx3q0c0v1Fh6o2c3rQ8YtA"]),
    limit: int = Limit,
    offset: int = Offset,
) -> list[admin_integrity.EventOut]:
    """The audit trail of every flag and unflag, newest first."""
    return admin_integrity.integrity_events(session, voter_id=voter_id, limit=limit, offset=offset)


class IntegrityHealth(BaseModel):
    ok: bool = Field(description="No integrity alarm (see /integrity)")
    alarms: list[Alarm]


class AdminHealth(Health):
    """Housekeeping and deployment checks of the answering process, and the integrity
    monitor's alarms (``ok`` is false while one fires: ``arena admin health`` exits 1)."""

    ok: bool
    integrity: IntegrityHealth


@router.get("/health", responses=ex.ok(ex.HEALTH))
def health_view(request: Request, engine: EngineDep, settings: SettingsDep) -> AdminHealth:
    """Housekeeping and deployment checks of the answering process: expired unvoted battles
    waiting and purged; whether a request came through a proxy ARENA_TRUSTED_PROXIES does not
    name (per-address limits then see only the proxy); the integrity monitor's alarms, each
    also logged."""
    report = admin_integrity.check_integrity(engine, settings)
    base = health(engine, request.app.state.purge, request.app.state.proxy_watch)
    return AdminHealth(
        **base.model_dump(),
        ok=report.ok,
        integrity=IntegrityHealth(ok=report.ok, alarms=report.alarms),
    )


@router.get("/integrity", responses=ex.ok(ex.MONITOR))
def integrity(session: SessionDep, settings: SettingsDep) -> MonitorReport:
    """Per UTC day and track, the share of votes each integrity filter kept out, how often
    each failed, and the alarms (rules: ARENA_MONITOR_*)."""
    return admin_integrity.integrity_monitor(session, settings=settings)


@pages.get("/admin/integrity", response_class=HTMLResponse)
def integrity_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The integrity monitor as a page, with a banner while an alarm fires."""
    report = admin_integrity.integrity_monitor(session, settings=settings)
    return request.app.state.templates.TemplateResponse(
        request,
        "admin_integrity.html",
        {"report": report, "percent": _percent},
        headers={"Cache-Control": "no-store"},
    )


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


@asynccontextmanager
async def periodic_integrity_check(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """Check the monitor's alarms every ``ARENA_MONITOR_CHECK_SECONDS`` (logging each one)
    while the context is open, so an alarm reaches the log even if nobody asks; 0: never."""
    every = settings.monitor_check_seconds
    if not every:
        yield
        return

    async def forever() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await run_in_threadpool(partial(admin_integrity.check_integrity, engine, settings))
            except Exception as exc:  # the database is down, say: try again next time
                log.warning("the integrity check failed: %s: %s", type(exc).__name__, exc)

    task = asyncio.create_task(forever(), name="arena-integrity-check")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


@router.get("/position-bias", responses=ex.ok([ex.BIAS]))
def position_bias(session: SessionDep) -> list[PositionBias]:
    """Left-win share of decisive counted votes per track, with a 95% interval and p-value."""
    return admin_integrity.position_bias_report(session)


@router.get("/vote-sources", responses=ex.ok([ex.SOURCES]))
def vote_sources(
    session: SessionDep,
    track: str = TrackQuery,
    days: float = Query(
        7.0, gt=0, le=3650, description="Look at counted votes this recent", examples=[7]
    ),
    new_below: int = Query(
        5, ge=1, le=10**6, description="Fewer votes than this: a new voter", examples=[5]
    ),
) -> list[admin_integrity.VoteSources]:
    """Per model: share of its wins from new voters and from its top 5 addresses (sybil rings
    that rotate cookies show here, not in the per-voter test)."""
    since = utcnow() - timedelta(days=days)
    return admin_integrity.vote_sources(
        session, track=check_track(track), since=since, new_below=new_below
    )


@router.post("/recompute", status_code=202, responses=ex.started(ex.RECOMPUTE_JOB))
def recompute(
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    jobs: JobsDep,
    body: JobIn | None = None,
) -> JobOut:
    """Start a background job that fits Bradley-Terry on every track and category and stores
    the snapshots (``arena recompute`` with its defaults); ``202`` with the job, ``409``
    naming the job already running. Its result has one line per snapshot."""
    work = recompute_work(engine, settings, write=jobs.write)
    return _started(response, jobs.start("recompute", work, actor=(body or JobIn()).actor), jobs)


@router.get("/jobs", responses=ex.ok([ex.RECOMPUTE_DONE, ex.SYNC_DONE]))
def list_jobs(
    session: SessionDep,
    jobs: JobsDep,
    limit: int = Query(20, ge=1, le=1000, examples=[20]),
    offset: int = Offset,
) -> list[JobOut]:
    """Admin jobs, newest first."""
    return [_out(j, jobs) for j in admin_jobs.list_jobs(session, limit=limit, offset=offset)]


@router.get("/jobs/{job_id}", responses=ex.ok(ex.RECOMPUTE_DONE))
def get_job(session: SessionDep, jobs: JobsDep, job_id: int = JobId) -> JobOut:
    """One job: its stage and progress while it runs; its result, or its error, once ended.
    A running job whose worker stopped sending heartbeats shows as failed."""
    return _out(admin_jobs.get_job(session, job_id), jobs)


def _started(response: Response, job: AdminJob, jobs: JobRunner) -> JobOut:
    out = _out(job, jobs)
    response.headers["Location"] = out.status_url
    return out


def _out(job: AdminJob, jobs: JobRunner) -> JobOut:
    seen = admin_jobs.as_seen(job, now=utcnow(), stale_after=jobs.timing.stale_after)
    return JobOut(
        id=seen.id or 0,
        kind=seen.kind,
        state=seen.state,  # type: ignore[arg-type]
        stage=seen.stage,
        done=seen.done,
        total=seen.total,
        result=json.loads(seen.result) if seen.result else None,
        error=seen.error,
        actor=seen.actor,
        owner=seen.owner,
        created_at=seen.created_at,
        heartbeat_at=seen.heartbeat_at,
        finished_at=seen.finished_at,
        status_url=f"{PREFIX}/jobs/{seen.id}",
    )
