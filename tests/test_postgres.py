"""PostgreSQL for real: a release-0.1.0 database upgrades there too, and ``arena serve
--workers 2`` runs on one PostgreSQL database (workers share the schema step, the cookie
secret, the rate counters and the ratings)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import alembic_config, make_engine, prepare_schema
from arena.web.app import create_app
from tests import pg
from tests.browser import free_port
from tests.conftest import DATA

OLD_TABLES = ["model", "prompt", "promptcategory", "clip", "battle", "vote"]
OLD_TABLES += ["onlinerating", "pairstat", "ratingsnapshot", "ratingentry"]


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in OLD_TABLES}


def test_release_0_1_0_data_upgrades_on_postgresql(
    settings: Settings, registry: Registry, backend: str
) -> None:
    if backend != "postgresql":
        return  # tests/test_migrations.py upgrades the same file on SQLite
    old = create_engine(f"sqlite:///{DATA / 'arena-0.1.0.db'}")
    with pg.fresh_database(empty=True) as url:
        engine = make_engine(url)
        with engine.begin() as conn:  # the 0.1.0 schema, as the baseline revision makes it
            command.upgrade(alembic_config(conn), "0001")
        meta = MetaData()
        meta.reflect(old, only=OLD_TABLES)
        with old.connect() as src, engine.begin() as dst:
            for name in OLD_TABLES:
                rows = [dict(r._mapping) for r in src.execute(meta.tables[name].select())]
                if rows:
                    dst.execute(meta.tables[name].insert(), rows)
            for name in ("model", "clip", "vote", "ratingsnapshot"):
                dst.execute(text(f"SELECT setval('{name}_id_seq', (SELECT MAX(id) FROM {name}))"))
        before = table_counts(engine)
        assert before["vote"] == 60
        prepare_schema(engine)
        assert table_counts(engine) == before
        with engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        engine.dispose()
        with TestClient(create_app(settings.with_(database_url=url), registry)) as client:
            battle = client.post("/api/v1/battles?track=text-to-video")
            assert battle.status_code == 201, battle.text
            vote = client.post(battle.json()["vote_url"], json={"outcome": "a"})
            assert vote.status_code == 200, vote.text
        engine = make_engine(url)
        assert table_counts(engine)["vote"] == 61
        engine.dispose()
    old.dispose()


def request(url: str, method: str = "GET", body: dict | None = None, cookie: str = "") -> tuple:
    """One request on a fresh connection (so the kernel spreads them over the workers)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, json.loads(response.read()), response.headers.get("set-cookie")


def test_serve_with_two_workers_on_one_postgresql(
    settings: Settings, engine: Engine, backend: str, config_path: Path, tmp_path: Path
) -> None:
    if backend != "postgresql":
        return  # several workers need PostgreSQL; the SQLite run has nothing to check here
    port = free_port()
    env = {
        **os.environ,
        "ARENA_DATA_DIR": str(settings.data_dir),
        "ARENA_DATABASE_URL": settings.database_url,
        "ARENA_SOURCES_DIR": str(settings.sources_dir),
        "ARENA_CONFIG": str(config_path),
        "ARENA_MIN_WATCH_MS": "0",
        "ARENA_MIN_WATCH_FRACTION": "0",
        "ARENA_VOTER_VOTE_LIMITS": "5/minute",
        "ARENA_IP_VOTE_LIMITS": "off",
        "ARENA_IP_BATTLE_LIMITS": "off",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "arena.cli", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request(f"{base}/api/v1/tracks")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        workers = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) >= 2

        def voter(i: int) -> list[int]:
            statuses, cookie = [], ""
            for _ in range(6):
                _, battle, set_cookie = request(
                    f"{base}/api/v1/battles?track=text-to-video", "POST", cookie=cookie
                )
                cookie = cookie or (set_cookie or "").split(";")[0]
                vote_url = base + battle["vote_url"]
                try:
                    statuses.append(request(vote_url, "POST", {"outcome": "a"}, cookie)[0])
                except urllib.error.HTTPError as exc:
                    statuses.append(exc.code)
            return statuses

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(voter, range(4)))
        # Each voter's cookie works on both workers; the shared limit stops the sixth vote.
        assert results == [[200] * 5 + [429]] * 4
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM vote")).scalar_one() == 20
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
