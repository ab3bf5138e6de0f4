"""Another process holding SQLite's write lock, as `arena models sync` does while it writes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLD = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(float(sys.argv[2]))
db.execute('COMMIT')
"""


@contextmanager
def lock_held_by_another_process(database: Path, seconds: float) -> Iterator[None]:
    """Enter once another process holds SQLite's write lock on ``database`` (``BEGIN
    IMMEDIATE``); it keeps it ``seconds``, and leaving waits until it has let go."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            yield
        finally:
            holder.wait(seconds + 30)
