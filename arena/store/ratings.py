"""Rating writes: recompute snapshots, and the rebuild of the sufficient statistics."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlmodel import Session

from arena.models import PairStat, RatingEntry, RatingSnapshot, utcnow


def save_snapshot(
    session: Session,
    *,
    track: str,
    category: str,
    method: str,
    params: Mapping[str, Any],
    seed: int,
    vote_count: int,
    fingerprint: str,
    entries: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> RatingSnapshot:
    """Store one recompute's result; ``entries`` are :class:`RatingEntry` fields per model."""
    snapshot = RatingSnapshot(
        track=track,
        category=category,
        method=method,
        params=json.dumps(dict(params)),
        seed=seed,
        vote_count=vote_count,
        fingerprint=fingerprint,
        created_at=now or utcnow(),
    )
    session.add(snapshot)
    session.flush()
    assert snapshot.id is not None
    for entry in entries:
        session.add(RatingEntry(snapshot_id=snapshot.id, **entry))
    session.commit()
    return snapshot


# The vote log aggregated per prompt in one index scan (ix_vote_aggregate covers it), put in
# canonical pair order (lo < hi, outcome from lo's side), then summed per track for the
# category "" and per category through the prompts' categories.
_REBUILD = """
WITH raw AS MATERIALIZED (
    SELECT track, prompt_id, model_a_id AS a, model_b_id AS b, outcome, COUNT(*) AS n
    FROM vote
    GROUP BY track, prompt_id, model_a_id, model_b_id, outcome
), canon AS MATERIALIZED (
    SELECT track, prompt_id,
           CASE WHEN a < b THEN a ELSE b END AS lo,
           CASE WHEN a < b THEN b ELSE a END AS hi,
           CASE WHEN a < b THEN outcome
                WHEN outcome = 'a' THEN 'b'
                WHEN outcome = 'b' THEN 'a'
                ELSE outcome END AS side,
           n
    FROM raw
)
INSERT INTO pairstat (track, category, model_lo, model_hi, outcome, count)
SELECT track, '', lo, hi, side, SUM(n) FROM canon GROUP BY track, lo, hi, side
UNION ALL
SELECT canon.track, promptcategory.category, lo, hi, side, SUM(n)
FROM canon JOIN promptcategory ON promptcategory.prompt_id = canon.prompt_id
GROUP BY canon.track, promptcategory.category, lo, hi, side
"""


def rebuild_pair_stats(session: Session) -> int:
    """Recount the sufficient statistics from the raw votes (``arena recompute --rescan``).

    Replaces every :class:`PairStat` row in one transaction; returns the number of rows.
    """
    session.execute(delete(PairStat))
    session.execute(text(_REBUILD))
    count = session.execute(select(func.count()).select_from(PairStat)).scalar_one()
    session.commit()
    return int(count)
