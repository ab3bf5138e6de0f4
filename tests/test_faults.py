"""A short version of benchmarks/integrity/faults.py: ``arena serve`` killed with SIGKILL
while voters vote, then restarted. Every acknowledged vote is stored exactly once and
nothing is half-written (PairStat equals a rescan; the live Elo counts each vote twice)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from arena.settings import Settings
from tests.browser import free_port
from tests.invariants import assert_stats_equal_group_by


def start(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arena.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/api/v1/tracks")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")


def voter(port: int, stop: threading.Event, acked: set[str], statuses: list[int]) -> None:
    """Battle + vote until stopped; a fresh connection after any error."""
    conn = None
    while not stop.is_set():
        try:
            conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/v1/battles?track=text-to-video")
            response = conn.getresponse()
            body = response.read()
            cookie = (response.getheader("set-cookie") or "").split(";")[0]
            statuses.append(response.status)
            if response.status != 201:
                continue
            battle = json.loads(body)
            conn.request(
                "POST",
                battle["vote_url"],
                body=b'{"outcome": "b", "watch_ms": 4000}',
                headers={"Cookie": cookie, "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
            if response.status == 200:
                acked.add(battle["id"])
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
    if conn is not None:
        conn.close()


def test_sigkill_under_load_loses_no_acknowledged_vote(
    settings: Settings, engine: Engine, backend: str, config_path: Path, tmp_path: Path
) -> None:
    port, workers = free_port(), (2 if backend == "postgresql" else 1)
    env = {
        "ARENA_DATA_DIR": str(settings.data_dir),
        "ARENA_DATABASE_URL": settings.database_url,
        "ARENA_SOURCES_DIR": str(settings.sources_dir),
        "ARENA_CONFIG": str(config_path),
        "ARENA_SECRET_KEY": "faults",
        "ARENA_MIN_WATCH_MS": "0",
        "ARENA_MIN_WATCH_FRACTION": "0",
        "ARENA_VOTER_VOTE_LIMITS": "off",
        "ARENA_IP_VOTE_LIMITS": "off",
        "ARENA_VOTER_BATTLE_LIMITS": "off",
        "ARENA_IP_BATTLE_LIMITS": "off",
    }
    log = tmp_path / "serve.log"
    server = start(env, port, workers, log)
    acked: set[str] = set()
    statuses: list[int] = []
    stop = threading.Event()
    threads = [threading.Thread(target=voter, args=(port, stop, acked, statuses)) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # every worker, mid-transaction or not
        server.wait(10)
        before_restart = len(acked)
        server = start(env, port, workers, log)
        deadline = time.monotonic() + 30
        while len(acked) < before_restart + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert before_restart >= 40 and len(acked) >= before_restart + 20
    assert not [s for s in statuses if s >= 500]
    with engine.connect() as conn:
        stored = dict(
            conn.execute(text("SELECT battle_id, COUNT(*) FROM vote GROUP BY battle_id")).all()
        )
        live = conn.execute(text("SELECT SUM(votes) FROM onlinerating")).scalar_one()
    assert acked <= set(stored) and set(stored.values()) == {1}
    assert live == 2 * len(stored)
    assert assert_stats_equal_group_by(engine) == len(stored)
