"""Admin sync and recompute as background jobs, over real HTTP on both backends: the POST
answers 202 at once, the job reports progress and result, one runs at a time across workers,
a client that leaves does not stop it, and a job whose worker died does not block the next."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

import arena.services.jobs
from arena import store
from arena.core.clock import utcnow
from arena.core.errors import Conflict
from arena.registry.plugins import Registry
from arena.services.jobs import JobRunner, JobStopped, JobTiming
from arena.settings import Settings
from arena.store import jobs as store_jobs
from arena.store.engine import alembic_config, make_engine, session_scope
from arena.web.app import create_app
from tests import pg
from tests.browser import live_server
from tests.test_admin import AUTH, TOKEN, arena_admin, wait_for_job

FAST = JobTiming(heartbeat=0.1, stale_after=30.0, shutdown_grace=5.0)
"""Quick progress; a silent worker counts as dead only after 30 s (a loaded test machine)."""
SHORT = JobTiming(heartbeat=0.1, stale_after=1.5, shutdown_grace=5.0)
"""For the test that kills a worker: dead after 1.5 s of silence."""
JOBS = "/api/v1/admin/jobs"


class Gate:
    """Holds the recompute back until :meth:`open`, reporting progress meanwhile; then the
    real recompute runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.event = threading.Event()
        self.entered = threading.Event()
        real = arena.services.jobs.recompute_all

        def held(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            self.entered.set()
            while not self.event.wait(0.02):
                progress(0, 1, "held by the test")
            return real(*args, progress=progress, **kwargs)

        monkeypatch.setattr(arena.services.jobs, "recompute_all", held)

    def open(self) -> None:
        self.event.set()


def admin_app(settings: Settings, registry: Registry, timing: JobTiming = FAST) -> FastAPI:
    return create_app(settings.with_(admin_token=TOKEN), registry, seed=0, job_timing=timing)


@pytest.fixture
def server(settings: Settings, registry: Registry, engine: Engine) -> Iterator[httpx.Client]:
    with (
        live_server(admin_app(settings, registry)) as base,
        httpx.Client(base_url=base, timeout=20, headers=AUTH) as client,
    ):
        yield client


def vote(client: httpx.Client, n: int) -> None:
    for _ in range(n):
        battle = client.post("/api/v1/battles?track=text-to-video").json()
        response = client.post(battle["vote_url"], json={"outcome": "a", "watch_ms": 3000})
        assert response.status_code == 200, response.text


def test_a_recompute_job_answers_at_once_reports_progress_then_its_result(
    server: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    vote(server, 6)
    gate = Gate(monkeypatch)
    # A proxy that gives up after 2 s would have cut the old in-request recompute off.
    started = server.post("/api/v1/admin/recompute", json={"actor": "ana"}, timeout=2)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and job["kind"] == "recompute" and job["actor"] == "ana"
    assert started.headers["location"] == job["status_url"] == f"{JOBS}/{job['id']}"
    assert gate.entered.wait(10)
    deadline = time.monotonic() + 10
    while (seen := server.get(job["status_url"]).json())["stage"] != "held by the test":
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
    assert (seen["state"], seen["done"], seen["total"]) == ("running", 0, 1)
    gate.open()
    ended = wait_for_job(server, job)
    assert ended["state"] == "done" and ended["error"] == "" and ended["finished_at"]
    fits = {(f["track"], f["category"]): f for f in ended["result"]}
    whole = fits[("text-to-video", "")]
    assert whole["votes"] == 6
    board = server.get("/api/v1/leaderboard?track=text-to-video").json()
    assert board["official"]["snapshot_id"] == whole["snapshot_id"]
    listed = server.get(JOBS).json()
    assert [j["id"] for j in listed][:1] == [job["id"]] and listed[0]["state"] == "done"
    assert server.get(f"{JOBS}/999999").status_code == 404
    assert server.get(f"{JOBS}/0").status_code == 422
    assert (
        server.get(JOBS, headers={"Authorization": "Bearer wrong-token-000000"}).status_code == 401
    )


def test_a_second_start_while_one_runs_is_409_on_any_worker(
    settings: Settings, registry: Registry, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers (two apps, each with its own job runner) on one database: one job runs."""
    gate = Gate(monkeypatch)
    with (
        live_server(admin_app(settings, registry)) as one,
        live_server(admin_app(settings, registry)) as two,
        httpx.Client(timeout=20, headers=AUTH) as client,
        httpx.Client(base_url=two, timeout=20, headers=AUTH) as on_two,
    ):
        job = client.post(f"{one}/api/v1/admin/recompute").json()
        for base, path in [(two, "/recompute"), (two, "/models/sync"), (one, "/recompute")]:
            refused = client.post(f"{base}/api/v1/admin{path}")
            assert refused.status_code == 409, refused.text
            detail = refused.json()["detail"]
            assert f"admin job {job['id']} (recompute) is running" in detail
        # Either worker tells the job's progress: it lives in the database.
        assert client.get(f"{two}{JOBS}/{job['id']}").json()["state"] == "running"
        gate.open()
        assert wait_for_job(on_two, job)["state"] == "done"
        again = on_two.post("/api/v1/admin/models/sync")
        assert again.status_code == 202, again.text
        synced = wait_for_job(on_two, again.json())
        assert synced["state"] == "done" and synced["result"]["rejected"] == []


def test_workers_starting_together_start_one_job(engine: Engine) -> None:
    """The database, not a check in Python, refuses the second running job."""
    n = 8
    barrier = threading.Barrier(n)
    won: list[int] = []
    refused: list[str] = []

    def start(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine, write=True) as session:
                job = store.start_job(session, kind="recompute", owner=f"w{i}", stale_after=60)
            won.append(job.id or 0)
        except Conflict as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=start, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1 and len(refused) == n - 1, (won, refused)
    assert all(f"admin job {won[0]} " in r or "try again" in r for r in refused)
    with session_scope(engine) as session:
        running = [j for j in store_jobs.list_jobs(session) if j.state == "running"]
    assert [j.id for j in running] == won


def test_a_client_that_disconnects_does_not_stop_the_job(
    server: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    vote(server, 4)
    gate = Gate(monkeypatch)
    host, port = server.base_url.host, server.base_url.port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/v1/admin/recompute HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        assert gate.entered.wait(10)  # the job started; the client hangs up unanswered
    time.sleep(0.3)
    gate.open()
    (job,) = server.get(JOBS).json()
    ended = wait_for_job(server, job)
    assert ended["state"] == "done" and ended["result"][0]["votes"] == 4


DEAD_WORKER = """
import sys, time
from arena.store.engine import make_engine
from arena.services.jobs import JobRunner, JobTiming
runner = JobRunner(make_engine(sys.argv[1]), JobTiming(heartbeat=0.1))
job = runner.start("sync", lambda progress: time.sleep(600), actor="doomed")
print(job.id, flush=True)
time.sleep(600)
"""


def test_a_job_whose_worker_was_killed_does_not_block_the_next(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    with (
        live_server(admin_app(settings, registry, SHORT)) as base,
        httpx.Client(base_url=base, timeout=20, headers=AUTH) as server,
    ):
        _killed_worker_does_not_block(server, settings)


def _killed_worker_does_not_block(server: httpx.Client, settings: Settings) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", DEAD_WORKER, settings.database_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        dead_id = int(worker.stdout.readline())
        time.sleep(0.3)
        alive = server.get(f"{JOBS}/{dead_id}").json()
        assert alive["state"] == "running" and alive["actor"] == "doomed"
        refused = server.post("/api/v1/admin/recompute")
        assert refused.status_code == 409 and f"admin job {dead_id} (sync)" in refused.text
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        worker.stdout.close()  # type: ignore[union-attr]
    killed = time.monotonic()
    deadline = time.monotonic() + 10
    while (seen := server.get(f"{JOBS}/{dead_id}").json())["state"] == "running":
        assert time.monotonic() < deadline, seen
        time.sleep(0.1)
    assert seen["state"] == "failed" and "no heartbeat since" in seen["error"]
    assert time.monotonic() - killed < SHORT.stale_after + 2
    assert alive["owner"] in seen["error"]
    started = server.post("/api/v1/admin/recompute")
    assert started.status_code == 202, started.text
    assert wait_for_job(server, started.json())["state"] == "done"
    stored = {j["id"]: j for j in server.get(JOBS).json()}
    assert stored[dead_id]["state"] == "failed" and stored[dead_id]["finished_at"]


def test_shutdown_records_a_running_job_as_stopped(
    settings: Settings, registry: Registry, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    with TestClient(admin_app(settings, registry)) as client:
        job = client.post("/api/v1/admin/recompute", headers=AUTH).json()
        assert gate.entered.wait(10)
    with session_scope(engine) as session:
        stopped = store_jobs.get_job(session, job["id"])
    assert stopped.state == "failed" and "the server shut down" in stopped.error
    gate.open()


def test_arena_admin_starts_follows_and_lists_jobs(
    settings: Settings, registry: Registry, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_server(admin_app(settings, registry)) as url:
        with httpx.Client(base_url=url, timeout=20) as voter:
            vote(voter, 5)
        gate = Gate(monkeypatch)
        follow = subprocess.Popen(
            [sys.executable, "-m", "arena.cli", "admin", "recompute"],
            env={**os.environ, "ARENA_URL": url, "ARENA_ADMIN_TOKEN": TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert gate.entered.wait(30)
        busy = arena_admin(url, "models", "sync")
        assert busy.returncode == 2 and "409" in busy.stderr and "is running" in busy.stderr
        time.sleep(0.8)  # the follower sees the held stage at least once
        gate.open()
        out, err = follow.communicate(timeout=60)
        assert follow.returncode == 0, err
        job_id = re.search(r"started job (\d+) \(recompute\)", err)
        assert job_id is not None, err
        assert f"job {job_id[1]}: held by the test (0/1)" in err
        assert "track=text-to-video" in out and "votes=5.0" in out

        nowait = arena_admin(url, "models", "sync", "--no-wait")
        assert nowait.returncode == 0, nowait.stderr
        sync_id = re.search(r"started job (\d+) \(sync\)", nowait.stderr)
        assert sync_id is not None and "state: running" in nowait.stdout
        waited = arena_admin(url, "job", sync_id[1], "--wait")
        assert waited.returncode == 0, waited.stderr
        assert "rejected: []" in waited.stdout and "added: 0" in waited.stdout
        shown = arena_admin(url, "job", sync_id[1])
        assert "state: done" in shown.stdout and "result:" in shown.stdout
        listing = arena_admin(url, "jobs")
        lines = listing.stdout.splitlines()
        assert [line.split()[:3] for line in lines] == [
            [sync_id[1], "sync", "done"],
            [job_id[1], "recompute", "done"],
        ]
        missing = arena_admin(url, "job", "999999")
        assert missing.returncode == 2 and "no admin job 999999" in missing.stderr


def _migrated(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    return engine


def test_migration_0007_keeps_one_running_job_and_downgrades(backend: str, tmp_path: Path) -> None:
    def check(url: str) -> None:
        engine = _migrated(url)
        insert = text(
            "INSERT INTO adminjob (kind, state, stage, result, error, owner, actor, created_at, "
            "heartbeat_at) VALUES ('sync', :state, '', '', '', 'w', '', :t, :t)"
        )
        try:
            with engine.begin() as conn:
                for state in ("done", "failed", "running", "done"):
                    conn.execute(insert, {"state": state, "t": "2026-12-01 00:00:00"})
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(insert, {"state": "running", "t": "2026-12-01 00:00:00"})
            with engine.begin() as conn:
                command.downgrade(alembic_config(conn), "0006")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT COUNT(*) FROM vote")).scalar_one() == 0
                with pytest.raises(Exception, match="adminjob"):
                    conn.execute(text("SELECT COUNT(*) FROM adminjob"))
        finally:
            engine.dispose()

    if backend == "postgresql":
        with pg.fresh_database(empty=True) as url:
            check(url)
    else:
        check(f"sqlite:///{tmp_path / 'jobs.db'}")


def test_a_worker_whose_job_was_declared_dead_stops_it_and_cannot_revive_it(
    engine: Engine,
) -> None:
    """Heartbeats late (a stalled worker): another start fails the job; the first worker's
    next heartbeat learns it, its work stops at the next step, and its end writes nothing."""
    runner = JobRunner(engine, JobTiming(heartbeat=0.05, stale_after=60))
    steps = threading.Event()
    ended: list[str] = []

    def work(progress: Any) -> None:
        try:
            while True:
                progress(1, 2, "working")
                steps.set()
                time.sleep(0.02)
        except JobStopped as exc:
            ended.append(str(exc))
            raise

    job = runner.start("sync", work)
    assert steps.wait(10)
    later = utcnow() + timedelta(seconds=120)  # as another worker's clock sees it, 2 min on
    with session_scope(engine, write=True) as session:
        other = store.start_job(session, kind="recompute", owner="other", stale_after=60, now=later)
    deadline = time.monotonic() + 10
    while not ended:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runner.close()
    assert "declared this job dead" in ended[0]
    with session_scope(engine) as session:
        first, second = (
            store_jobs.get_job(session, job.id or 0),
            store_jobs.get_job(session, other.id or 0),
        )
        assert first.state == "failed" and "no heartbeat since" in first.error
        assert second.state == "running" and second.owner == "other"
        assert not store.finish_job(session, job_id=job.id or 0, owner=runner.owner, result="{}")
        assert not store.beat_job(
            session, job_id=job.id or 0, owner=runner.owner, stage="x", done=None, total=None
        )
    with session_scope(engine) as session:
        assert store_jobs.get_job(session, job.id or 0).state == "failed"
