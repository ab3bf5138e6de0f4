"""Rate limits shared by every worker: one counter row per key, upserted in the request's
transaction (see :mod:`arena.core.integrity.ratelimit` for the sliding-window estimate)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlmodel import Session

from arena.core.errors import RateLimited
from arena.core.integrity.policy import RateLimit
from arena.core.integrity.ratelimit import estimate, retry_after, window_of
from arena.store.driver import Sql, Tx, as_tx, upsert
from arena.store.tables import RateCounter

_SAME = 'ratecounter."window" >= excluded."window"'
_ROLL = (
    f'"previous" = CASE WHEN {_SAME} THEN ratecounter."previous" '
    'WHEN ratecounter."window" = excluded."window" - 1 THEN ratecounter."count" ELSE 0 END, '
    f'"count" = CASE WHEN {_SAME} THEN ratecounter."count" + 1 ELSE 1 END, '
    f'"window" = CASE WHEN {_SAME} THEN ratecounter."window" ELSE excluded."window" END, '
    f'"expires" = CASE WHEN {_SAME} THEN ratecounter."expires" ELSE excluded."expires" END'
)


_EXPIRED = Sql('DELETE FROM ratecounter WHERE "expires" < :now')


def take_rate(
    db: Session | Tx, *, limits: Sequence[tuple[str, RateLimit]], now: float, what: str
) -> None:
    """Count one request against each ``(key, limit)``; over any limit, raise RateLimited.

    The increments are row-locking upserts, so workers never both take the last slot; a
    rejected request rolls back with its transaction and counts nothing.
    """
    if not limits:
        return
    counters = sorted(
        (f"{key}:{limit.seconds}", window_of(limit, now), limit.seconds) for key, limit in limits
    )
    # One statement per request: roll the row into the new window if it moved on (the old
    # count becomes "previous" when the windows touch), else count one more. A worker whose
    # clock lags never rolls a row back.
    tx = as_tx(db)
    result = upsert(
        tx,
        RateCounter,
        [
            {"key": name, "window": w, "count": 1, "previous": 0, "expires": (w + 2) * size}
            for name, w, size in counters
        ],
        conflict=("key",),
        update=_ROLL,
        returning='"key", "count", "previous"',
    )
    counts = {key: (count, prev) for key, count, prev in result}
    waits = []
    for key, limit in limits:
        cur, prev = counts[f"{key}:{limit.seconds}"]
        if estimate(limit, now, prev, cur) > limit.count:
            waits.append((retry_after(limit, now, prev, cur - 1), limit, key))
    if waits:
        wait, limit, key = max(waits, key=lambda w: w[0])
        who = "this address" if ":ip:" in key else "this voter"
        raise RateLimited(
            f"too many {what} from {who}: the limit is {limit}; retry in {wait} s",
            retry_after=wait,
        )
    if secrets.randbelow(256) == 0:  # now and then, drop counters nobody will read again
        tx.run(_EXPIRED, {"now": int(now)})
