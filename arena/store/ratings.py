"""Rating writes: recompute snapshots."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from arena.models import RatingEntry, RatingSnapshot, utcnow


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
