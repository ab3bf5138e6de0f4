"""Where the web's writes run: one writer thread per SQLite database, the pool on PostgreSQL.

SQLite lets one connection write at a time, and a writer that finds the lock taken by another
process (an ``arena models sync``, an import) waits in SQLite's busy handler for up to its busy
timeout. Such a wait must never happen on the event loop, where it would stall every request of the
worker, pages and clips included. So, as datasette does, each process has one writer thread per
SQLite database, fed by a queue: a request hands it a function of a session and awaits the result;
the loop only waits on a future. A write that has not started within ``timeout`` seconds raises
:class:`WriteTimeout` (503 with ``Retry-After`` at the edge): nothing of it was written, so the
client may retry. A write starts only once the writer holds both locks it needs, this process's
writer queue (shared with the CLI's and the admin jobs' writes,
:func:`arena.store.engine.writer_queue`) and SQLite's own write lock (``BEGIN IMMEDIATE``), so the
timeout bounds every wait, including another process's lock. A write that has started is always
awaited to its end, so its answer says what was stored.

On PostgreSQL, a network database with row locks, writes run in the thread pool on pooled
connections, as reads do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session

from arena.core.errors import Unavailable
from arena.store.engine import make_writer_engine, session_scope

T = TypeVar("T")
Work = Callable[[Session], T]


class WriteTimeout(Unavailable):
    """A write waited longer than the writer's timeout for its turn; nothing was written."""

    def __init__(self, timeout: float) -> None:
        super().__init__(
            f"the database is busy (a write waited {timeout:g} s for its turn); try again shortly"
        )
        self.retry_after = max(1, round(timeout / 2))


class Write(Protocol):
    """Runs one write transaction: ``work`` gets the session and its result is returned.

    A server passes its writer's :meth:`Writes.call`, so every write of the process goes
    through the writer; a command line, which is a process of its own, writes directly
    (:func:`direct`)."""

    def __call__(self, work: Work[T]) -> T: ...


def direct(engine: Engine) -> Write:
    """Each write in a write session of its own, in the calling thread (the CLI's way)."""

    def write(work: Work[T]) -> T:
        with session_scope(engine, write=True) as session:
            return work(session)

    return write


class Writes(Protocol):
    """Runs a function of a write session and returns what it returns."""

    async def run(self, work: Work[T]) -> T: ...

    def call(self, work: Work[T]) -> T:
        """:meth:`run` for a thread that is not the event loop's (blocks it until done)."""
        ...

    def close(self) -> None: ...


@dataclass
class _Job:
    work: Work[Any]
    future: concurrent.futures.Future[Any]


SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005).

The writer thread and the event loop hand every write back and forth; under load the loop
runs Python almost without pause, so a writer woken by a queued write waited up to the whole
default interval for the GIL. At 0.5 ms the battle-plus-vote path went from 0.72x to 0.77x of
ef75b29's requests per second, p99 from 35 to 30 ms (``benchmarks/integrity/RESULTS.md``)."""


class WriterThread:
    """One thread that runs queued write functions, each in its own transaction."""

    def __init__(self, engine: Engine, *, timeout: float) -> None:
        # Process-wide; only ever lowered here, so the writer gets the GIL soon after a write.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.engine = make_writer_engine(engine)
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="arena-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Work[T]) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put(_Job(work, future))
        waiting = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({waiting}, timeout=self.timeout)
        if not done and future.cancel():  # still queued: it will never run
            raise WriteTimeout(self.timeout)
        return await waiting

    def call(self, work: Work[T]) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put(_Job(work, future))
        try:
            return future.result(timeout=self.timeout)
        except TimeoutError:
            if future.cancel():  # still queued: it will never run
                raise WriteTimeout(self.timeout) from None
            return future.result()

    def close(self) -> None:
        """Finish the queued writes, then stop the thread and close its connection."""
        self._jobs.put(None)
        self._thread.join()
        self.engine.dispose()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            if job.future.cancelled():
                continue  # timed out in the queue
            started = False
            try:
                with session_scope(self.engine, write=True) as session:
                    session.connection()  # BEGIN IMMEDIATE: both locks are the writer's now
                    if not job.future.set_running_or_notify_cancel():
                        continue  # timed out while waiting for them: rolled back, unwritten
                    started = True
                    result = job.work(session)
            except BaseException as error:  # handed to the awaiting request
                if started or job.future.set_running_or_notify_cancel():
                    job.future.set_exception(error)
            else:
                job.future.set_result(result)


class PooledWrites:
    """PostgreSQL: each write in the thread pool, on a pooled connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, work: Work[T]) -> T:
        return await anyio.to_thread.run_sync(self.call, work)

    def call(self, work: Work[T]) -> T:
        with session_scope(self.engine, write=True) as session:
            return work(session)

    def close(self) -> None:
        pass


def writes_for(engine: Engine, *, timeout: float) -> Writes:
    """The writer of ``engine``: a thread of its own on SQLite, the pool on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        return WriterThread(engine, timeout=timeout)
    return PooledWrites(engine)
