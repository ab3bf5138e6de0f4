"""Admin jobs in the database: start one (at most one running), beat, finish, read.

The partial unique index on ``AdminJob.state`` (``WHERE state = 'running'``) is the only
guard of "one job at a time": :func:`start_job` just inserts, and the database refuses a
second running row whichever worker or process tries, so no check-then-insert race exists.
Every update of a running job names its owner, so a worker whose job was declared stale
(and failed) cannot bring it back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from arena.core.clock import utcnow
from arena.core.errors import Conflict, NotFound
from arena.store.tables import AdminJob
from arena.store.tables.jobs import DONE, FAILED, RUNNING


class JobRunning(Conflict):
    """A job could not start: another one is running (``running`` names it, or None when it
    finished in between)."""

    def __init__(self, running: AdminJob | None) -> None:
        if running is None:
            message = "another admin job was running; try again"
        else:
            by = f" by {running.actor}" if running.actor else ""
            message = (
                f"admin job {running.id} ({running.kind}) is running: started "
                f"{running.created_at:%Y-%m-%d %H:%M:%S} UTC{by}, stage "
                f"{running.stage or 'starting'!r}; one job runs at a time (follow it with "
                f"`arena admin job {running.id}`)"
            )
        super().__init__(message)
        self.running = running


def stale_error(job: AdminJob) -> str:
    """Why a running job whose worker went silent counts as failed."""
    return (
        f"its worker ({job.owner}) stopped: no heartbeat since "
        f"{job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC (the process died or lost the database)"
    )


def is_stale(job: AdminJob, *, now: datetime, stale_after: float) -> bool:
    return job.state == RUNNING and job.heartbeat_at < now - timedelta(seconds=stale_after)


def start_job(
    session: Session,
    *,
    kind: str,
    owner: str,
    actor: str = "",
    stale_after: float,
    now: datetime | None = None,
) -> AdminJob:
    """Record a new running job owned by ``owner``; :class:`JobRunning` (409) if one runs.

    A running job whose heartbeat is older than ``stale_after`` seconds is marked failed
    first: its worker died, and it must not block the arena forever.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=stale_after)
    stale = session.exec(
        select(AdminJob).where(AdminJob.state == RUNNING, col(AdminJob.heartbeat_at) < cutoff)
    ).all()
    for job in stale:
        session.execute(
            sa.update(AdminJob)
            .where(
                col(AdminJob.id) == job.id,
                col(AdminJob.state) == RUNNING,
                col(AdminJob.heartbeat_at) < cutoff,
            )
            .values(state=FAILED, error=stale_error(job), finished_at=now)
        )
    job = AdminJob(kind=kind, owner=owner, actor=actor, created_at=now, heartbeat_at=now)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        session.commit()  # the stale ones stay failed
        raise JobRunning(running_job(session)) from None
    session.commit()
    return job


def running_job(session: Session) -> AdminJob | None:
    return session.exec(select(AdminJob).where(AdminJob.state == RUNNING)).first()


def beat_job(
    session: Session,
    *,
    job_id: int,
    owner: str,
    stage: str,
    done: int | None,
    total: int | None,
    now: datetime | None = None,
) -> bool:
    """The owner's heartbeat, with its progress; False if the job is no longer its to run."""
    result = session.execute(
        sa.update(AdminJob)
        .where(
            col(AdminJob.id) == job_id, col(AdminJob.owner) == owner, col(AdminJob.state) == RUNNING
        )
        .values(heartbeat_at=now or utcnow(), stage=stage[:200], done=done, total=total)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_job(
    session: Session,
    *,
    job_id: int,
    owner: str,
    result: str | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """End the owner's job: ``done`` with ``result`` (JSON text), or ``failed`` with ``error``.

    False (and nothing written) if it was no longer running under this owner.
    """
    values: dict[str, object] = {"finished_at": now or utcnow()}
    if error is None:
        values |= {"state": DONE, "result": result or ""}
    else:
        values |= {"state": FAILED, "error": error}
    updated = session.execute(
        sa.update(AdminJob)
        .where(
            col(AdminJob.id) == job_id, col(AdminJob.owner) == owner, col(AdminJob.state) == RUNNING
        )
        .values(**values)
    )
    session.commit()
    return bool(updated.rowcount)  # type: ignore[attr-defined]


def as_seen(job: AdminJob, *, now: datetime, stale_after: float) -> AdminJob:
    """The job as a reader should see it: a silent running job is failed (nothing written;
    the next start records it)."""
    if not is_stale(job, now=now, stale_after=stale_after):
        return job
    seen = AdminJob.model_validate(job.model_dump())
    seen.state, seen.error = FAILED, stale_error(job)
    return seen


def get_job(session: Session, job_id: int) -> AdminJob:
    job = session.get(AdminJob, job_id)
    if job is None:
        raise NotFound(f"no admin job {job_id}")
    return job


def list_jobs(session: Session, *, limit: int = 20, offset: int = 0) -> list[AdminJob]:
    """Jobs, newest first."""
    return list(
        session.exec(
            select(AdminJob).order_by(col(AdminJob.id).desc()).offset(offset).limit(limit)
        ).all()
    )
