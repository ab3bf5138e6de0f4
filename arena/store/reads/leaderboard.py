"""The leaderboard's reads: snapshots, live ratings, the maintained vote counts, models.

Every read is a small indexed query; only the count of excluded votes touches the vote log,
by primary key from the exclusions, so a board costs the same at ten million votes as at ten
thousand (it grows with the excluded votes alone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from arena.core.vocabulary import EXCLUSION_REASONS
from arena.store.tables import (
    Clip,
    Model,
    ModelClaim,
    OnlineRating,
    PairStat,
    Prompt,
    PromptCategory,
    RatingEntry,
    RatingSnapshot,
)

PairRow = tuple[int, int, str, int]
"""(model_lo, model_hi, outcome from lo's side, count): one :class:`PairStat` row."""


def models_by_id(session: Session) -> dict[int, Model]:
    return {m.id: m for m in session.exec(select(Model)) if m.id is not None}


def latest_claims(session: Session) -> dict[int, ModelClaim]:
    """Each claimed model's most recent claim."""
    out: dict[int, ModelClaim] = {}
    for claim in session.exec(select(ModelClaim).order_by(col(ModelClaim.id))):
        out[claim.model_id] = claim
    return out


def latest_snapshot(session: Session, track: str, category: str) -> RatingSnapshot | None:
    return session.exec(
        select(RatingSnapshot)
        .where(RatingSnapshot.track == track, RatingSnapshot.category == category)
        .order_by(col(RatingSnapshot.id).desc())
        .limit(1)
    ).first()


def snapshot_entries(session: Session, snapshot_ids: Sequence[int]) -> list[RatingEntry]:
    if not snapshot_ids:
        return []
    return list(
        session.exec(select(RatingEntry).where(col(RatingEntry.snapshot_id).in_(snapshot_ids)))
    )


def snapshot_ids(session: Session, track: str, category: str) -> list[int]:
    """Every snapshot id of a slice, oldest first (ids grow with time)."""
    return [
        i
        for i in session.exec(
            select(RatingSnapshot.id)
            .where(RatingSnapshot.track == track, RatingSnapshot.category == category)
            .order_by(col(RatingSnapshot.id))
        )
        if i is not None
    ]


def snapshots(session: Session, ids: Sequence[int]) -> list[RatingSnapshot]:
    if not ids:
        return []
    return list(
        session.exec(
            select(RatingSnapshot)
            .where(col(RatingSnapshot.id).in_(ids))
            .order_by(col(RatingSnapshot.id))
        )
    )


def pair_rows(session: Session, track: str, category: str) -> list[PairRow]:
    """The counted votes of a slice, aggregated per pair and outcome."""
    return [
        (lo, hi, outcome, int(count))
        for lo, hi, outcome, count in session.exec(
            select(PairStat.model_lo, PairStat.model_hi, PairStat.outcome, PairStat.count).where(
                PairStat.track == track, PairStat.category == category, PairStat.count > 0
            )
        )
    ]


_SLICE_VOTES = text(
    "SELECT m, SUM(n) FROM ("
    " SELECT model_lo AS m, count AS n FROM pairstat WHERE track = :track AND category = :category"
    " UNION ALL"
    " SELECT model_hi, count FROM pairstat WHERE track = :track AND category = :category"
    ") AS sides GROUP BY m"
)


def live_votes(session: Session, track: str, category: str) -> tuple[int, dict[int, int]]:
    """Counted votes of a slice now, and each model's share of them (summed in SQL)."""
    per_model = {
        int(m): int(n)
        for m, n in session.execute(_SLICE_VOTES, {"track": track, "category": category})
        if n
    }
    return sum(per_model.values()) // 2, per_model


_EXCLUDED = (
    "SELECT x.reason, COUNT(*) FROM voteexclusion x JOIN vote v ON v.id = x.vote_id "
    "WHERE v.track = :track{where} GROUP BY x.reason"
)
_EXCLUDED_TRACK = text(_EXCLUDED.format(where=""))
_EXCLUDED_CATEGORY = text(
    _EXCLUDED.format(
        where=" AND v.prompt_id IN "
        "(SELECT prompt_id FROM promptcategory WHERE category = :category)"
    )
)


def excluded_votes(session: Session, track: str, category: str) -> dict[str, int]:
    """Votes of a slice stored but not counted, by exclusion reason (reasons with none left
    out), in the order of :data:`arena.core.vocabulary.EXCLUSION_REASONS`, then any other."""
    sql = _EXCLUDED_CATEGORY if category else _EXCLUDED_TRACK
    counts = {
        str(reason): int(n)
        for reason, n in session.execute(sql, {"track": track, "category": category})
    }
    order = {r: i for i, r in enumerate(EXCLUSION_REASONS)}
    return {r: counts[r] for r in sorted(counts, key=lambda r: (order.get(r, len(order)), r))}


def track_models(session: Session, track: str) -> list[int]:
    """Ids of the models in the track's battles now: not retired, with a clip on the track."""
    return list(
        session.exec(
            select(Clip.model_id)
            .join(Model, col(Model.id) == col(Clip.model_id))
            .where(Clip.track == track, col(Model.retired).is_(False))
            .distinct()
            .order_by(col(Clip.model_id))
        )
    )


def online_ratings(session: Session, track: str) -> dict[int, OnlineRating]:
    rows = session.exec(select(OnlineRating).where(OnlineRating.track == track))
    return {r.model_id: r for r in rows}


def category_votes(session: Session, track: str) -> dict[str, int]:
    """Counted votes per category of a track ("" is the whole track), from the statistics."""
    rows = session.exec(
        select(PairStat.category, func.sum(PairStat.count))
        .where(PairStat.track == track)
        .group_by(col(PairStat.category))
    ).all()
    return {c: int(n or 0) for c, n in rows}


def track_categories(session: Session, track: str) -> set[str]:
    """Categories the track's prompts carry, and those a snapshot was fitted for."""
    from_prompts = session.exec(
        select(PromptCategory.category)
        .join(Prompt, col(Prompt.id) == col(PromptCategory.prompt_id))
        .where(Prompt.track == track)
        .distinct()
    ).all()
    from_snapshots = session.exec(
        select(RatingSnapshot.category).where(RatingSnapshot.track == track).distinct()
    ).all()
    return (set(from_prompts) | set(from_snapshots)) - {""}


# One statement for the maxima: the newest snapshot (of the track, or of any), the newest
# vote, and the newest integrity event (a flag changes the counts, not the votes).
_MAXIMA = (
    "SELECT (SELECT MAX(id) FROM ratingsnapshot{where}), (SELECT MAX(id) FROM vote), "
    "(SELECT MAX(id) FROM integrityevent)"
)
_LATEST = text(_MAXIMA.format(where=" WHERE track = :track"))
_LATEST_ANY = text(_MAXIMA.format(where=""))
_MODELS = text(
    "SELECT id, slug, name, organization, license, release_date, link, retired, claimed_at "
    "FROM model ORDER BY id"
)


def data_version(session: Session, track: str | None, *, today: date) -> str:
    """A short digest that changes whenever a board of ``track`` (None: any track) could.

    Reads a few indexed maxima instead of building the board: the newest snapshot (of the
    track), the newest vote (a vote, counted or not, or an imported one), the newest integrity
    event (flagging a vote changes the counts), and the models' shown fields (a rename, claim
    or retirement). ``today`` is mixed in because "recently claimed" expires with time. A vote
    on another track also changes it: a needless rebuild now and then, never a stale page.
    """
    maxima = (
        session.execute(_LATEST_ANY)
        if track is None
        else session.execute(_LATEST, {"track": track})
    ).one()
    h = hashlib.sha256(repr((*maxima, today)).encode())
    for row in session.execute(_MODELS):
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()[:20]
