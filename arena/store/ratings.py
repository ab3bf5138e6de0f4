"""Rating writes: recompute snapshots, and the rebuild of the sufficient statistics."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from arena.core.clock import utcnow
from arena.core.vocabulary import FLIP, OUTCOME_CODE, OUTCOMES
from arena.store.engine import session_scope
from arena.store.pairstats import PairKey, apply_counts
from arena.store.tables import PairStat, PromptCategory, RatingEntry, RatingSnapshot
from arena.store.writer import Write, direct


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
_COUNTS = "NOT EXISTS (SELECT 1 FROM voteexclusion WHERE voteexclusion.vote_id = vote.id)"
_OUTCOME = "CASE outcome WHEN 'a' THEN 0 WHEN 'b' THEN 1 WHEN 'tie' THEN 2 ELSE 3 END"
_PER_PROMPT = f"""
SELECT track, prompt_id, model_a_id, model_b_id, {_OUTCOME}, COUNT(*)
FROM vote WHERE {_COUNTS}
GROUP BY track, prompt_id, model_a_id, model_b_id, outcome
"""
# One slice (a track, or a track's category): one GROUP BY, the category's prompts found
# through the index's (track, prompt_id) prefix.
_SLICE = f"""
SELECT model_a_id, model_b_id, {_OUTCOME}, COUNT(*)
FROM vote WHERE track = {{mark}} AND {_COUNTS}{{category}}
GROUP BY model_a_id, model_b_id, outcome
"""
_IN_CATEGORY = " AND prompt_id IN (SELECT prompt_id FROM promptcategory WHERE category = {mark})"
_OUTCOMES = np.array(OUTCOMES)
_FLIP = np.array([OUTCOME_CODE[FLIP[o]] for o in OUTCOMES])
Stat = tuple[str, str, int, int, str, int]


def rebuild_pair_stats(
    engine: Engine,
    *,
    tracks: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    write: Write | None = None,
) -> int:
    """Make the sufficient statistics equal the raw votes that count again (``--rescan``);
    return how many :class:`PairStat` rows it corrected (0 when they were right). ``write``
    runs the correcting transaction (a server's writer; by default, directly).

    Rebuilds the slices asked for: with no ``categories``, every category of ``tracks``
    (None: all tracks) and the whole tracks, in one pass over the votes per prompt; with
    ``categories`` ("" is the whole track), those slices only, one GROUP BY each, which for
    the whole track costs about the bare GROUP BY.

    Safe while the arena serves, and votes do not wait for it. One read transaction, in one
    snapshot (``REPEATABLE READ`` on PostgreSQL; SQLite's read transactions are snapshots),
    counts the votes and reads the maintained rows; their difference is the drift at that
    snapshot. A second, short transaction adds the drift to the rows, as increments in key
    order like any vote's. Every write that changed what counts after the snapshot changed
    PairStat by its own exact amount in its own transaction, so the rows end equal to a
    count of the votes at that moment: no vote committed meanwhile is lost or counted twice.
    """
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        counted = _count_slices(session, tracks, categories)
        kept = select(
            col(PairStat.track),
            col(PairStat.category),
            col(PairStat.model_lo),
            col(PairStat.model_hi),
            col(PairStat.outcome),
            col(PairStat.count),
        )
        if tracks is not None:
            kept = kept.where(col(PairStat.track).in_(tracks))
        if categories is not None:
            kept = kept.where(col(PairStat.category).in_(categories))
        drift: Counter[PairKey] = Counter({(t, c, lo, hi, o): n for t, c, lo, hi, o, n in counted})
        drift.subtract({(t, c, lo, hi, o): n for t, c, lo, hi, o, n in session.execute(kept)})
    wrong = {key: n for key, n in drift.items() if n}
    if wrong:
        (write or direct(engine))(partial(_apply, wrong))
    return len(wrong)


def _apply(counts: dict[PairKey, int], session: Session) -> None:
    apply_counts(session, counts)
    session.commit()


def _count_slices(
    session: Session, tracks: Sequence[str] | None, categories: Sequence[str] | None
) -> list[Stat]:
    """The PairStat rows the votes that count give, for the slices asked for."""
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    cursor = dbapi.cursor()
    try:
        if categories is None:
            return _per_prompt(session, _execute(cursor, _PER_PROMPT, ()), tracks)
        if tracks is None:
            tracks = [t for (t,) in _execute(cursor, "SELECT DISTINCT track FROM vote", ())]
        stats: list[Stat] = []
        for track in tracks:
            for category in categories:
                sql = _SLICE.format(
                    mark=mark, category=_IN_CATEGORY.format(mark=mark) if category else ""
                )
                rows = _execute(cursor, sql, (track, category) if category else (track,))
                if rows:
                    a, b, outcome, n = (np.array(c) for c in zip(*rows, strict=True))
                    stats.extend(_fold(track, category, a, b, outcome, n))
        return stats
    finally:
        cursor.close()


def _execute(cursor: Any, sql: str, params: tuple[str, ...]) -> list[Any]:
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def _per_prompt(session: Session, rows: list[Any], tracks: Sequence[str] | None) -> list[Stat]:
    """Each track's (of ``tracks``, None: all) and each category's sums, from counts per
    track and prompt (the track a vote was cast in, whatever its prompt's track is now)."""
    if not rows:
        return []
    memberships = session.execute(
        select(col(PromptCategory.prompt_id), col(PromptCategory.category))
    ).all()
    track, prompt, a, b, outcome, n = (np.array(c) for c in zip(*rows, strict=True))
    prompts, p_idx = np.unique(prompt, return_inverse=True)
    names, row_track = np.unique(track, return_inverse=True)
    # Which rows each category holds, computed once for every track: a lookup by prompt
    # index (comparing the rows' prompt strings themselves cost more than the whole rebuild).
    position = {p: i for i, p in enumerate(prompts.tolist())}
    in_category = {}
    for category in sorted({c for _, c in memberships}):
        member = np.zeros(len(prompts), dtype=bool)
        member[[position[p] for p, c in memberships if c == category and p in position]] = True
        in_category[category] = member[p_idx]
    stats: list[Stat] = []
    for t, name in enumerate(names.tolist()):
        if tracks is not None and name not in tracks:
            continue
        in_track = row_track == t
        stats.extend(_fold(name, "", a[in_track], b[in_track], outcome[in_track], n[in_track]))
        for category, rows_in in in_category.items():
            keep = in_track & rows_in
            if keep.any():
                stats.extend(_fold(name, category, a[keep], b[keep], outcome[keep], n[keep]))
    return stats


def _fold(
    track: str, category: str, a: np.ndarray, b: np.ndarray, outcome: np.ndarray, n: np.ndarray
) -> list[Stat]:
    """Counts per (model a, model b, outcome) as PairStat rows: (lo, hi) with the outcome
    seen from lo's side, summed."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    side = np.where(a < b, outcome, _FLIP[outcome])
    width = int(hi.max()) + 1  # one int64 key per (lo, hi, side): model ids are small
    unique, inverse = np.unique((lo * width + hi) * 4 + side, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=n).astype(np.int64)
    side_u, rest = unique % 4, unique // 4
    hi_u, lo_u = rest % width, rest // width
    return [
        (track, category, x, y, str(_OUTCOMES[o]), c)
        for x, y, o, c in zip(
            lo_u.tolist(), hi_u.tolist(), side_u.tolist(), totals.tolist(), strict=True
        )
    ]
