"""Shared by the integrity benchmarks: an arena to serve, a server to start and kill, a
throwaway PostgreSQL cluster, and the checks that every acknowledged vote is stored once.

Everything runs on loopback; every loop is bounded in time.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "small.toml"
PGBIN = Path(os.environ.get("ARENA_TEST_PGBIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    """nproc, CPU model, RAM, load: what the results markdown must say."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except OSError:
        mem = 0
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start "
        "(the machine is shared with other engineers' work)"
    )


def prepare_arena(work: Path) -> dict[str, str]:
    """The tests' small arena (4 models, 28 clips) synced into ``work``; its ARENA_* env."""
    from arena.services.demo import prepare_demo_config

    config = prepare_demo_config(work / "data", template=SMALL)
    return {
        "ARENA_DATA_DIR": str(work / "data"),
        "ARENA_CONFIG": str(config),
        # Rendered sources are reused across runs (the provider's cache).
        "ARENA_SOURCES_DIR": str(Path(tempfile.gettempdir()) / "arena-bench-sources"),
        "ARENA_SECRET_KEY": "benchmark-secret",
    }


def sync(env: dict[str, str], code: Path | None = None) -> None:
    """``arena models sync`` into ``env``'s arena, with this checkout's code or ``code``."""
    done = subprocess.run(
        [sys.executable, "-m", "arena.cli", "models", "sync"],
        env={**os.environ, **env, **({"PYTHONPATH": str(code)} if code else {})},
        cwd=code,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"arena models sync failed: {done.stderr}")


@contextmanager
def postgres(work: Path) -> Iterator[str]:
    """A throwaway cluster on a free loopback port (run as the postgres user when root)."""
    data = work / "pg"
    port = free_port()
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.geteuid() == 0 else None
    if as_pg:
        shutil.chown(data, "postgres")
        shutil.chown(work, "postgres")

    def run(*args: str) -> None:
        cmd = " ".join(f"'{a}'" for a in args)
        subprocess.run([*as_pg, cmd] if as_pg else list(args), check=True, capture_output=True)

    run(str(PGBIN / "initdb"), "-D", str(data / "d"), "-U", "postgres", "-A", "trust")
    global LAST_CLUSTER
    pg = LAST_CLUSTER = PgCluster(run, data / "d", port)
    pg.start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg.stop()


LAST_CLUSTER: PgCluster | None = None
"""The cluster :func:`postgres` started last (the fault benchmark stops and starts it)."""


@dataclass
class PgCluster:
    run: object
    data: Path
    port: int

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c max_connections=200"
        self.run(  # type: ignore[operator]
            str(PGBIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-w",
            "-o",
            opts,
            "start",
        )

    def stop(self) -> None:
        self.run(str(PGBIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")  # type: ignore[operator]


@dataclass
class Server:
    """``arena serve`` in its own process group."""

    env: dict[str, str]
    workers: int = 1
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    code: Path | None = None
    """Serve this copy of the code (see :func:`checkout`) instead of the installed one."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log: Path) -> None:
        out = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arena.cli",
                "serve",
                "--workers",
                str(self.workers),
                "--port",
                str(self.port),
            ],
            env={**os.environ, **self.env, **({"PYTHONPATH": str(self.code)} if self.code else {})},
            cwd=self.code,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/api/v1/tracks", timeout=2).read()
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
                continue
            # One worker answers; a fault injected before the others have started would find
            # one still in its start-up (a worker that cannot start stops the whole server).
            if log.read_text(errors="replace").count("Application startup complete") >= max(
                self.workers, 1
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"server did not start; see {log}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(30)


def checkout(rev: str) -> Path:
    """The code at git revision ``rev`` (its ``arena`` and ``static``), unpacked into a scratch
    folder, to serve beside this checkout's in the same run (``Server(code=...)``)."""
    import tarfile

    where = scratch(f"code-{rev.replace('/', '_')}")
    archive = where / "code.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "arena", "static"],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(where, filter="tar")
    return where


def scratch(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"arena-bench-{name}-"))


def db_check(url: str, acknowledged: set[str]) -> dict[str, object]:
    """Every acknowledged vote stored exactly once; statistics consistent with the votes."""
    from sqlalchemy import text

    from arena.store.engine import make_engine, session_scope
    from arena.store.reads.integrity import pair_stat_counts, rescan_pair_counts

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT battle_id, COUNT(*) FROM vote GROUP BY battle_id"))
        stored = {battle: n for battle, n in rows}
        live_votes = conn.execute(text("SELECT COALESCE(SUM(votes), 0) FROM onlinerating")).scalar()
        counted = conn.execute(
            text(
                "SELECT COUNT(*) FROM vote LEFT JOIN voteexclusion ON vote.id = vote_id "
                "WHERE vote_id IS NULL"
            )
        ).scalar()
    with session_scope(engine) as session:
        exact = pair_stat_counts(session) == rescan_pair_counts(session)
    engine.dispose()
    missing = acknowledged - set(stored)
    return {
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "missing_acknowledged": len(missing),
        "stored_twice": sum(1 for n in stored.values() if n != 1),
        "stored_not_acknowledged": len(set(stored) - acknowledged),
        "pairstat_equals_rescan": exact,
        "live_elo_consistent": live_votes == 2 * counted,
    }


def dump(path: Path, result: dict) -> None:
    path.write_text(json.dumps(result, indent=2, default=str))
