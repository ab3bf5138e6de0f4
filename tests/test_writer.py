"""SQLite's write lock held by another process never freezes a worker (arena.store.writer).

Another process takes the lock with ``BEGIN IMMEDIATE`` and holds it, as ``arena models sync``
or an import does while it writes a batch. Meanwhile the worker must go on answering pages,
clips and reads at once; its writes wait on the writer thread and complete when the lock is
released, or answer 503 with ``Retry-After`` once their turn (the writer queue and the lock)
has not come within ``ARENA_WRITE_TIMEOUT``, having written nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from arena.registry.plugins import Registry
from arena.services.ingest import sync
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.tables import Battle
from arena.web.app import create_app
from tests.browser import live_server
from tests.conftest import arena_settings
from tests.sqlitelock import lock_held_by_another_process

HOLD = 4.0
FAST = 1.5  # "at once" on a busy two-core machine; a frozen worker answers after the 4 s hold


@pytest.fixture
def sqlite_settings(tmp_path: Path, shared_dir: Path, config_path: Path) -> Settings:
    return arena_settings(tmp_path / "data", shared_dir, config_path)


@pytest.fixture
def synced(sqlite_settings: Settings, registry: Registry) -> Iterator[Settings]:
    engine = make_engine(sqlite_settings.database_url)
    prepare_schema(engine)
    assert not sync(engine, registry, sqlite_settings).rejected
    engine.dispose()
    yield sqlite_settings


def battles(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return int(session.exec(select(func.count()).select_from(Battle)).one())
    finally:
        engine.dispose()


def post_battle(base: str, out: list[httpx.Response]) -> threading.Thread:
    def go() -> None:
        out.append(httpx.post(f"{base}/api/v1/battles?track=text-to-video", timeout=30))

    thread = threading.Thread(target=go)
    thread.start()
    return thread


def test_pages_clips_and_reads_answer_at_once_while_another_process_holds_the_lock(
    synced: Settings, registry: Registry
) -> None:
    app = create_app(synced, registry, seed=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        clip = http.post("/api/v1/battles?track=text-to-video").json()["left"]["url"]
        paths = (
            "/leaderboard?track=text-to-video",
            "/models/clean-1",
            "/api/v1/leaderboard?track=text-to-video",
            clip,
            "/",  # the battle page: a GET writes nothing, so it never waits for the writer
        )
        for path in paths:  # warm: first renders and caches are not what is measured
            assert http.get(path).status_code == 200
        with lock_held_by_another_process(synced.data_dir / "arena.db", HOLD):
            locked_at = time.monotonic()
            waiting: list[httpx.Response] = []
            writer = post_battle(base, waiting)  # queued on the writer thread
            time.sleep(0.2)
            for path in paths:
                started = time.monotonic()
                answer = http.get(path)
                took = time.monotonic() - started
                assert answer.status_code == 200, (path, answer.text[:300])
                assert took < FAST, f"{path} took {took:.2f} s while the lock was held"
            assert not waiting  # the write is still waiting for the lock
        writer.join(30)
        assert [r.status_code for r in waiting] == [201]
        assert time.monotonic() - locked_at >= HOLD - 0.5
    assert battles(synced) == 2


def test_a_write_whose_turn_does_not_come_in_time_answers_503_and_writes_nothing(
    synced: Settings, registry: Registry
) -> None:
    app = create_app(synced.with_(write_timeout_seconds=0.5), registry, seed=0)
    with live_server(app) as base:
        with lock_held_by_another_process(synced.data_dir / "arena.db", HOLD):
            # The first waits on the writer thread for SQLite's lock, the second in the queue
            # behind it: neither has started, so both give up after the timeout.
            first: list[httpx.Response] = []
            waiting = post_battle(base, first)
            time.sleep(0.1)
            second = httpx.post(f"{base}/api/v1/battles?track=text-to-video", timeout=30)
            waiting.join(30)
            for answer in (first[0], second):
                assert answer.status_code == 503, answer.text
                assert "busy" in answer.json()["detail"]
                assert int(answer.headers["Retry-After"]) >= 1
        retry = httpx.post(f"{base}/api/v1/battles?track=text-to-video", timeout=30)
        assert retry.status_code == 201
    assert battles(synced) == 1  # only the retry: the two that timed out wrote nothing


def test_admin_writes_and_the_purge_go_through_the_writer(
    synced: Settings, registry: Registry
) -> None:
    # An admin's write queues on the writer like a vote: while another process holds the lock
    # past ARENA_WRITE_TIMEOUT it answers 503 with Retry-After at once, having written
    # nothing, instead of waiting out SQLite's busy timeout on a thread of its own.
    token = "test-admin-token-0123456789"
    auth = {"Authorization": f"Bearer {token}"}
    settings = synced.with_(write_timeout_seconds=0.5, admin_token=token)
    app = create_app(settings, registry, seed=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        retire = "/api/v1/admin/models/clean-1/retire"
        with lock_held_by_another_process(synced.data_dir / "arena.db", HOLD):
            started = time.monotonic()
            answer = http.post(retire, headers=auth)
            assert answer.status_code == 503, answer.text
            assert "busy" in answer.json()["detail"]
            assert int(answer.headers["Retry-After"]) >= 1
            assert time.monotonic() - started < FAST
        listing = http.get("/api/v1/admin/models", headers=auth).json()
        assert not next(m for m in listing if m["model"] == "clean-1")["retired"]
        assert http.post(retire, headers=auth).status_code == 200
