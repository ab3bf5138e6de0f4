"""Rating writes: recompute snapshots, and the rebuild of the sufficient statistics."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlmodel import Session, col

from arena.models import PairStat, Prompt, PromptCategory, RatingEntry, RatingSnapshot, utcnow


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


# The votes that count (no VoteExclusion row), per prompt, in one pass over the covering
# index ix_vote_aggregate in its order (no sort); the sums per track and per category are then
# numpy work on those rows.
_PER_PROMPT = """
SELECT prompt_id, model_a_id, model_b_id,
       CASE outcome WHEN 'a' THEN 0 WHEN 'b' THEN 1 WHEN 'tie' THEN 2 ELSE 3 END,
       COUNT(*)
FROM vote
WHERE NOT EXISTS (SELECT 1 FROM voteexclusion WHERE voteexclusion.vote_id = vote.id)
GROUP BY track, prompt_id, model_a_id, model_b_id, outcome
"""
_OUTCOMES = np.array(["a", "b", "tie", "both_bad"])
_FLIP = np.array([1, 0, 2, 3])


def rebuild_pair_stats(session: Session) -> int:
    """Recount the sufficient statistics from the raw votes that count (``--rescan``).

    Replaces every :class:`PairStat` row in one transaction; returns the number of rows.
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    cursor.execute(_PER_PROMPT)
    rows = cursor.fetchall()
    prompt_track: dict[str, str] = {
        p: t for p, t in session.execute(select(col(Prompt.id), col(Prompt.track)))
    }
    memberships: list[tuple[str, str]] = [
        (p, c)
        for p, c in session.execute(
            select(col(PromptCategory.prompt_id), col(PromptCategory.category))
        )
    ]
    session.execute(delete(PairStat))
    stats: list[tuple[str, str, int, int, str, int]] = []
    if rows:
        prompt, a, b, outcome, n = (np.array(c) for c in zip(*rows, strict=True))
        prompts, p_idx = np.unique(prompt, return_inverse=True)
        track_names = sorted({prompt_track[p] for p in prompts.tolist()})
        track_of_prompt = np.array([track_names.index(prompt_track[p]) for p in prompts.tolist()])
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        side = np.where(a < b, outcome, _FLIP[outcome])
        # One int64 key per (track, lo, hi, side): model ids and tracks are small integers.
        width = int(hi.max()) + 1
        key = ((track_of_prompt[p_idx] * width + lo) * width + hi) * 4 + side
        position = {p: k for k, p in enumerate(prompts.tolist())}
        groups: list[tuple[str, np.ndarray]] = [("", np.ones(len(key), dtype=bool))]
        for category in sorted({c for _, c in memberships}):
            members = [position[p] for p, c in memberships if c == category and p in position]
            groups.append((category, np.isin(p_idx, members)))
        for category, keep in groups:
            unique, inverse = np.unique(key[keep], return_inverse=True)
            totals = np.bincount(inverse.ravel(), weights=n[keep]).astype(np.int64)
            side_u, rest = unique % 4, unique // 4
            hi_u, rest = rest % width, rest // width
            lo_u, track_u = rest % width, rest // width
            stats.extend(
                (track_names[t], category, x, y, str(_OUTCOMES[o]), c)
                for t, x, y, o, c in zip(
                    track_u.tolist(),
                    lo_u.tolist(),
                    hi_u.tolist(),
                    side_u.tolist(),
                    totals.tolist(),
                    strict=True,
                )
            )
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    marks = ", ".join([mark] * 6)
    cursor.executemany(
        "INSERT INTO pairstat (track, category, model_lo, model_hi, outcome, count) "
        f"VALUES ({marks})",
        stats,
    )
    cursor.close()
    session.commit()
    return len(stats)
