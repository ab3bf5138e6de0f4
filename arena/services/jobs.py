"""Background admin jobs: a sync or a recompute runs in a thread the app owns, not in a request.

The app's lifespan makes one :class:`JobRunner` per worker process. :meth:`JobRunner.start`
records the job (the store lets one run at a time per arena, across every worker and
process) and hands it to the runner's executor; the request answers at once. While the job
runs, a heartbeat thread writes its progress and the time every ``timing.heartbeat``
seconds: a job whose worker died stops beating and, ``timing.stale_after`` seconds later,
counts as failed and no longer blocks the next one. A closed connection or a proxy timeout
touches only the request, never the job. At shutdown the runner asks its job to stop at the
next progress step and records it as failed if it does not end within the grace period.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from arena import store
from arena.core.errors import Unavailable
from arena.registry.plugins import Registry
from arena.services.recompute import recompute_all
from arena.settings import Settings
from arena.store import Engine
from arena.store.jobs import as_seen as as_seen
from arena.store.jobs import get_job as get_job
from arena.store.jobs import list_jobs as list_jobs
from arena.store.tables import AdminJob as AdminJob
from arena.store.writer import Write, direct

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
Work = Callable[[Progress], Any]
"""A job's work: called with its progress hook, returns its JSON-able summary."""


@dataclass(frozen=True)
class JobTiming:
    """How often a running job beats, when a silent one counts as dead, how long shutdown
    waits for a running job to stop."""

    heartbeat: float = 2.0
    stale_after: float = 60.0
    shutdown_grace: float = 10.0


class JobStopped(Exception):
    """Raised at a progress step when the job must stop (shutdown, or no longer its own)."""


class _Run:
    """One running job's progress, shared by its work and its heartbeat."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stage = "starting"
        self.done: int | None = None
        self.total: int | None = None
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.recorded = threading.Event()
        self.stop_reason = ""

    def progress(self, done: int, total: int, stage: str) -> None:
        if self.stop_reason:
            raise JobStopped(self.stop_reason)
        with self.lock:
            self.done, self.total, self.stage = done, total, stage

    def snapshot(self) -> tuple[str, int | None, int | None]:
        with self.lock:
            return self.stage, self.done, self.total


class JobRunner:
    """This worker's admin jobs: starts them, beats for them, records how they end."""

    def __init__(
        self, engine: Engine, timing: JobTiming | None = None, *, write: Write | None = None
    ) -> None:
        self.engine = engine
        self.write = write or direct(engine)
        """Runs the job table's writes: the server's writer, like its other writes."""
        self.timing = timing or JobTiming()
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arena-job")
        self._runs: dict[int, _Run] = {}
        self._closing = False

    def start(
        self, kind: str, work: Work, *, actor: str = "", on_done: Callable[[], None] | None = None
    ) -> AdminJob:
        """Record a running job (409 if one runs) and run ``work`` in the background."""
        if self._closing:
            raise Unavailable("the server is shutting down: start the job on another worker")
        job = self.write(
            partial(
                store.start_job,
                kind=kind,
                owner=self.owner,
                actor=actor,
                stale_after=self.timing.stale_after,
            )
        )
        assert job.id is not None
        run = _Run(job.id)
        self._runs[job.id] = run
        # The heartbeat starts now, so a job queued behind one that is still stopping (it
        # was declared dead elsewhere and has not reached its next step) stays alive.
        beating = threading.Thread(
            target=self._beat, args=(run,), name=f"arena-job-{run.job_id}-heartbeat", daemon=True
        )
        beating.start()
        try:
            self.executor.submit(self._run, run, beating, work, on_done)
        except RuntimeError:  # the runner closed between the check above and here
            run.finished.set()
            self._finish(run, result=None, error="the server shut down before the job started")
            raise Unavailable(
                "the server is shutting down: start the job on another worker"
            ) from None
        return job

    def _run(
        self,
        run: _Run,
        beating: threading.Thread,
        work: Work,
        on_done: Callable[[], None] | None,
    ) -> None:
        result: str | None = None
        error: str | None = None
        try:
            result = json.dumps(work(run.progress))
        except JobStopped as exc:
            error = f"stopped: {exc}"
        except Exception as exc:  # recorded on the job, where the admin reads it
            log.exception("admin job %s failed", run.job_id)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            run.finished.set()
            beating.join()
        try:
            if on_done is not None:
                on_done()
        finally:
            self._finish(run, result=result, error=error)
            run.recorded.set()

    def _beat(self, run: _Run) -> None:
        while not run.finished.wait(self.timing.heartbeat):
            stage, done, total = run.snapshot()
            try:
                mine = self.write(
                    partial(
                        store.beat_job,
                        job_id=run.job_id,
                        owner=self.owner,
                        stage=stage,
                        done=done,
                        total=total,
                    )
                )
            except Exception:  # a busy or unreachable database: beat again next time
                log.warning("heartbeat of admin job %s failed", run.job_id, exc_info=True)
                continue
            if not mine:
                run.stop_reason = "another worker declared this job dead (heartbeats were late)"
                return

    def _finish(self, run: _Run, *, result: str | None, error: str | None) -> None:
        self._runs.pop(run.job_id, None)
        try:
            self.write(
                partial(
                    store.finish_job,
                    job_id=run.job_id,
                    owner=self.owner,
                    result=result,
                    error=error,
                )
            )
        except Exception:  # the job turns stale and failed for readers; nothing else to do
            log.exception("cannot record the end of admin job %s", run.job_id)

    def close(self) -> None:
        """Shutdown: ask a running job to stop, wait ``shutdown_grace``, record it failed."""
        self._closing = True
        runs = list(self._runs.values())
        for run in runs:
            run.stop_reason = "the server shut down during the job; start it again"
        for run in runs:
            if not run.recorded.wait(self.timing.shutdown_grace):
                run.finished.set()  # its heartbeat ends
                self._finish(run, result=None, error=f"stopped: {run.stop_reason}")
        self.executor.shutdown(wait=False, cancel_futures=True)


def sync_work(
    engine: Engine, registry: Registry, settings: Settings, *, write: Write | None = None
) -> Work:
    """The admin sync: ``arena models sync`` with half the cores, so serving keeps the rest."""
    from arena.services.ingest import sync  # PyAV is slow to import and most workers never sync

    workers = max(1, (os.cpu_count() or 2) // 2)

    def work(progress: Progress) -> dict[str, Any]:
        report = sync(engine, registry, settings, progress=progress, workers=workers, write=write)
        return {
            "added": report.added,
            "replaced": report.replaced,
            "unchanged": report.unchanged,
            "rejected": [{"model": m, "prompt": p, "reason": r} for m, p, r in report.rejected],
        }

    return work


def recompute_work(engine: Engine, settings: Settings, *, write: Write | None = None) -> Work:
    """The admin recompute: ``arena recompute`` with its defaults; one line per snapshot."""

    def work(progress: Progress) -> list[dict[str, Any]]:
        return [
            {
                "track": s.track,
                "category": s.category,
                "snapshot_id": s.snapshot_id,
                "votes": s.votes,
                "models": s.models,
                "fingerprint": s.fingerprint,
                "seconds": round(s.seconds, 3),
            }
            for s in recompute_all(engine, settings, progress=progress, write=write)
        ]

    return work
