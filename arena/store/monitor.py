"""What the integrity filters keep out, per UTC day and track: the tallies the vote path
writes (refused attempts, failed filters); :mod:`arena.store.reads.monitor` reads them.

Excluded votes are counted from ``VoteExclusion`` by reason, whatever the reason is, so a new
filter shows up in the monitor as soon as it writes its exclusions. A filter that raises is
run through :func:`run_filter`: the error is logged, tallied as ``failed`` and the vote goes
on as if the filter had let it through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from arena.core.errors import RateLimited
from arena.store.driver import Tx, upsert
from arena.store.tables import FilterTally

log = logging.getLogger("arena.core.integrity")

T = TypeVar("T")

REFUSED = "refused"
FAILED = "failed"


def day_of(moment: datetime) -> str:
    """The UTC day of ``moment``, ``YYYY-MM-DD``."""
    return moment.astimezone(UTC).date().isoformat()


def tally(tx: Tx, *, now: datetime, track: str, filter: str, kind: str) -> None:
    """Count one ``kind`` (``refused`` or ``failed``) for ``filter`` on ``track`` today."""
    upsert(
        tx,
        FilterTally,
        [{"day": day_of(now), "track": track, "filter": filter, "kind": kind, "count": 1}],
        conflict=("day", "track", "filter", "kind"),
        update='"count" = filtertally."count" + 1',
    )


def run_filter(
    tx: Tx,
    name: str,
    check: Callable[[], T],
    *,
    track: str,
    now: datetime,
    savepoint: bool = False,
) -> T | None:
    """``check()``; if it raises, log it, tally it as failed and return None (the vote is kept).

    ``savepoint``: run it in a SAVEPOINT, for a filter that writes more than one statement, or
    on PostgreSQL (where a failed statement aborts the transaction), so what it half did is
    undone and the vote goes on. On SQLite a failed statement undoes itself alone.
    :class:`RateLimited` is a verdict, not a failure: it passes through.
    """
    # On the connection itself: the vote path's statements bypass the session, which would
    # emit its own SAVEPOINT only on its next use of the connection.
    nested = tx.connection.begin_nested() if savepoint else None
    try:
        result = check()
    except RateLimited:
        if nested is not None:
            nested.rollback()
        raise
    except Exception:
        if nested is not None:
            nested.rollback()
            # ORM objects the filter added or loaded (flagging uses the session) are gone
            # from the database now: forget them, or the commit would write them again.
            tx.session.expunge_all()
        log.exception(
            "integrity filter %r failed on a %s vote; the vote is kept and counted as failed",
            name,
            track,
        )
        tally(tx, now=now, track=track, filter=name, kind=FAILED)
        return None
    if nested is not None:
        nested.commit()
    return result
