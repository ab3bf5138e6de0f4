"""Build a track's leaderboard once; the HTML page and the JSON endpoint both render it.

Two views side by side: the live online Elo (moves with every vote) and the last
Bradley-Terry snapshot written by ``arena recompute`` (the official ranking), labelled as such.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from arena.models import Model, OnlineRating, RatingEntry, RatingSnapshot
from arena.settings import TRACK_LABELS


class LiveRow(BaseModel):
    rank: int
    model: str
    name: str
    organization: str
    license: str
    rating: float
    votes: int
    wins: int
    losses: int
    ties: int
    win_rate: float | None
    provisional: bool
    retired: bool


class OfficialRow(BaseModel):
    rank: int
    model: str
    name: str
    organization: str
    rating: float
    lower: float
    upper: float
    votes: int
    provisional: bool


class SnapshotInfo(BaseModel):
    method: str
    created_at: datetime
    vote_count: int
    rows: list[OfficialRow]


class Leaderboard(BaseModel):
    track: str
    track_label: str
    min_votes: int
    live: list[LiveRow]
    official: SnapshotInfo | None


def build_leaderboard(session: Session, *, track: str, min_votes: int) -> Leaderboard:
    """The live Elo table of ``track`` (highest first) and its latest overall snapshot."""
    rows = session.exec(
        select(OnlineRating, Model)
        .join(Model, col(Model.id) == col(OnlineRating.model_id))
        .where(OnlineRating.track == track)
        .order_by(col(OnlineRating.rating).desc())
    ).all()
    live = []
    for i, (rating, model) in enumerate(rows, start=1):
        decided = rating.votes
        live.append(
            LiveRow(
                rank=i,
                model=model.slug,
                name=model.name,
                organization=model.organization,
                license=model.license,
                rating=round(rating.rating, 1),
                votes=rating.votes,
                wins=rating.wins,
                losses=rating.losses,
                ties=rating.ties,
                win_rate=round((rating.wins + 0.5 * rating.ties) / decided, 4) if decided else None,
                provisional=rating.votes < min_votes,
                retired=model.retired,
            )
        )
    snapshot = session.exec(
        select(RatingSnapshot)
        .where(RatingSnapshot.track == track, RatingSnapshot.category == "")
        .order_by(col(RatingSnapshot.id).desc())
    ).first()
    official = None
    if snapshot is not None:
        entries = session.exec(
            select(RatingEntry, Model)
            .join(Model, col(Model.id) == col(RatingEntry.model_id))
            .where(RatingEntry.snapshot_id == snapshot.id)
            .order_by(col(RatingEntry.rating).desc())
        ).all()
        official = SnapshotInfo(
            method=snapshot.method,
            created_at=snapshot.created_at,
            vote_count=snapshot.vote_count,
            rows=[
                OfficialRow(
                    rank=e.rank,
                    model=m.slug,
                    name=m.name,
                    organization=m.organization,
                    rating=round(e.rating, 1),
                    lower=round(e.lower, 1),
                    upper=round(e.upper, 1),
                    votes=e.votes,
                    provisional=e.provisional,
                )
                for e, m in entries
            ],
        )
    return Leaderboard(
        track=track,
        track_label=TRACK_LABELS[track],
        min_votes=min_votes,
        live=live,
        official=official,
    )
