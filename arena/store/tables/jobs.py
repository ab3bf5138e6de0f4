"""Admin jobs: a sync or a recompute that runs in the background, one at a time per arena.

A row is ``running`` while a worker process runs it and sends heartbeats; ``done`` with its
result, or ``failed`` with the error. A partial unique index lets at most one row be
``running``: two workers (or two processes sharing the database) that start a job together
cannot both succeed. A worker that dies (``kill -9``) stops sending heartbeats; its job is
then treated as failed and no longer blocks the next one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from arena.core.clock import utcnow

RUNNING = "running"
DONE = "done"
FAILED = "failed"
JOB_KINDS = ("sync", "recompute")

_ONE_RUNNING = text("state = 'running'")


class AdminJob(SQLModel, table=True):
    """One admin job: what it is, how far it got, and how it ended."""

    __table_args__ = (
        Index(
            "ux_adminjob_one_running",
            "state",
            unique=True,
            sqlite_where=_ONE_RUNNING,
            postgresql_where=_ONE_RUNNING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    state: str = Field(default=RUNNING, max_length=10)
    stage: str = Field(default="", max_length=200)
    done: int | None = None
    total: int | None = None
    result: str = ""
    """The summary as JSON text once ``done`` ("" before)."""
    error: str = ""
    owner: str = Field(default="", max_length=100)
    """The worker running it (``host:pid:token``); only the owner updates a running job."""
    actor: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    heartbeat_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
