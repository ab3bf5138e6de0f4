# Long because one view feeds the page, JSON and CSV; its fields stay together.
"""Build a leaderboard view once; the page, the JSON endpoint and the CSV all render it.

A view is one track and one category (``""``: every prompt of the track), sorted by one
column. Its rows join the latest Bradley-Terry snapshot of the slice (the official columns)
with the live figures: the online Elo of the track and the counted votes of the slice, both
kept up to date by every vote. A model with votes but no official rating yet (added since
the snapshot) is listed after the rated ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from arena.core.clock import utcnow
from arena.core.errors import Invalid
from arena.core.matchmaking.placement import live_intervals, live_state, placing_models
from arena.core.vocabulary import TRACK_LABELS, TRACKS
from arena.services.leaderboard.schema import (
    SORT_KEYS,
    BoardLinks,
    BoardRow,
    CategoryOption,
    Leaderboard,
    LiveInfo,
    OfficialInfo,
    TrackOption,
)
from arena.settings import Settings
from arena.store import Session
from arena.store.reads import leaderboard as reads
from arena.store.tables import Model, ModelClaim, RatingEntry, RatingSnapshot

PLOTS: tuple[str, ...] = ("ratings", "win-rates", "battles", "history")
STALE_SHARE = 0.05
"""A snapshot missing this share of the slice's current votes is flagged stale."""

_ASCENDING = {"rank", "model", "organization", "license", "ci"}


@dataclass(frozen=True)
class BoardQuery:
    """Which view: the query parameters of ``/leaderboard`` and ``/api/v1/leaderboard``."""

    track: str = TRACKS[0]
    category: str = ""
    sort: str = "rank"
    order: str = ""
    hide_retired: bool = False

    def __post_init__(self) -> None:
        if self.track not in TRACKS:
            raise Invalid(f"unknown track {self.track!r}; tracks: {', '.join(TRACKS)}")
        if self.sort not in SORT_KEYS:
            raise Invalid(f"unknown sort column {self.sort!r}; columns: {', '.join(SORT_KEYS)}")
        if self.order not in ("", "asc", "desc"):
            raise Invalid(f"order must be 'asc' or 'desc', got {self.order!r}")

    @property
    def direction(self) -> str:
        """The effective order: the one asked for, else the column's natural one."""
        return self.order or ("asc" if self.sort in _ASCENDING else "desc")

    def params(self, **changes: Any) -> dict[str, str]:
        """Query parameters of this view (with ``changes``), defaults left out."""
        q = replace(self, **changes)
        out = {"track": q.track}
        if q.category:
            out["category"] = q.category
        if q.sort != "rank":
            out["sort"] = q.sort
        if q.order and q.order != replace(q, order="").direction:
            out["order"] = q.order
        if q.hide_retired:
            out["retired"] = "hide"
        return out

    def url(self, path: str, **changes: Any) -> str:
        return f"{path}?{urlencode(self.params(**changes))}"

    def sort_url(self, column: str) -> str:
        """The page sorted by ``column``; on the current column, the other way round."""
        if column == self.sort:
            flipped = "asc" if self.direction == "desc" else "desc"
            return self.url("/leaderboard", order=flipped)
        return self.url("/leaderboard", sort=column, order="")


def category_label(category: str) -> str:
    if not category:
        return "All prompts"
    text = category.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def _r(value: float | None, digits: int = 1) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def is_recent(claimed_at: datetime | None, now: datetime, days: int) -> bool:
    return claimed_at is not None and days > 0 and now - claimed_at <= timedelta(days=days)


def not_comparable(snapshot: RatingSnapshot | None) -> dict[int, dict[str, Any]]:
    """The models a snapshot could not rank with the others, by id: reason and tallies."""
    if snapshot is None:
        return {}
    left = json.loads(snapshot.params or "{}").get("not_comparable", [])
    return {int(item["model_id"]): item for item in left}


def rank_intervals(snapshot: RatingSnapshot | None) -> dict[int, dict[str, Any]]:
    """Each ranked model's rank interval and tier in a snapshot, by id (empty for snapshots
    stored before rank intervals)."""
    if snapshot is None:
        return {}
    ranks = json.loads(snapshot.params or "{}").get("ranks", [])
    return {int(item["model_id"]): item for item in ranks}


def official_info(
    snapshot: RatingSnapshot, live_total: int, unrated_with_votes: bool
) -> OfficialInfo:
    assert snapshot.id is not None
    meta = json.loads(snapshot.params or "{}")
    params = meta.get("params", {})
    prior = params.get("prior")
    new_votes = live_total - snapshot.vote_count
    missed = new_votes != 0 and abs(new_votes) >= STALE_SHARE * max(snapshot.vote_count, 1)
    return OfficialInfo(
        snapshot_id=snapshot.id,
        method=snapshot.method,
        created_at=snapshot.created_at,
        vote_count=snapshot.vote_count,
        fingerprint=snapshot.fingerprint,
        ci=str(params.get("ci", "")),
        level=float(params.get("level", 0.95)),
        rounds=int(params.get("rounds", 0)),
        seed=snapshot.seed,
        ties=str(params.get("ties", "half")),
        prior=None if prior is None else float(prior),
        min_votes=float(params.get("min_votes", 0)),
        tiers=meta.get("tiers"),
        new_votes=new_votes,
        stale=missed or unrated_with_votes,
    )


def _row(
    model: Model,
    entry: RatingEntry | None,
    *,
    live_rating: float | None,
    live_votes: int,
    claim: ModelClaim | None,
    recent: bool,
    min_votes: int,
    left_out: dict[str, Any] | None = None,
    ranks: dict[str, Any] | None = None,
    estimate: tuple[float, float, float] | None = None,
    placing: bool = False,
) -> BoardRow:
    """A model's line; ``left_out`` is its record among the snapshot's models not comparable
    (tallies and reason, no rating); ``ranks`` its rank interval and tier; ``estimate`` the
    provisional (rating, lower, upper) of the live fit, shown when the snapshot does not rate
    the model (none yet, or it came since)."""
    ranks = ranks if entry is not None else None
    live = entry is None and left_out is None and estimate is not None
    rating, lower, upper = (
        (entry.rating, entry.lower, entry.upper)
        if entry is not None
        else estimate
        if live and estimate is not None
        else (None, None, None)
    )
    tallies: dict[str, Any] | None = (
        left_out
        if left_out is not None
        else None
        if entry is None
        else {k: getattr(entry, k) for k in ("votes", "wins", "losses", "ties", "provisional")}
    )
    return BoardRow(
        rank=entry.rank if entry else None,
        model=model.slug,
        name=model.name,
        organization=model.organization,
        license=model.license,
        url=f"/models/{model.slug}",
        rating=_r(rating),
        lower=_r(lower),
        upper=_r(upper),
        ci_plus=_r(upper - rating) if upper is not None and rating is not None else None,
        ci_minus=_r(rating - lower) if lower is not None and rating is not None else None,
        rating_source="snapshot" if entry is not None else "live" if live else None,
        votes=int(tallies["votes"]) if tallies else 0,
        wins=tallies["wins"] if tallies else None,
        losses=tallies["losses"] if tallies else None,
        ties=tallies["ties"] if tallies else None,
        win_rate=_r((tallies["wins"] + 0.5 * tallies["ties"]) / tallies["votes"], 4)
        if tallies and tallies["votes"]
        else None,
        provisional=bool(tallies["provisional"]) if tallies else live_votes < min_votes,
        placing=placing,
        not_comparable=str(left_out["reason"]) if left_out is not None else None,
        retired=model.retired,
        recently_claimed=recent,
        claimed_at=model.claimed_at,
        formerly=claim.from_name if claim is not None and model.claimed_at else None,
        live_rating=_r(live_rating),
        live_votes=live_votes,
        rank_lower=ranks["rank_lower"] if ranks else None,
        rank_upper=ranks["rank_upper"] if ranks else None,
        tier=ranks["tier"] if ranks else None,
    )


_KEYS: dict[str, Callable[[BoardRow], Any]] = {
    "rank": lambda r: r.rank,
    "model": lambda r: r.name.casefold(),
    "organization": lambda r: r.organization.casefold() or None,
    "license": lambda r: r.license.casefold() or None,
    "rating": lambda r: r.rating,
    "ci": lambda r: None if r.upper is None or r.lower is None else r.upper - r.lower,
    "votes": lambda r: r.votes,
    "win_rate": lambda r: r.win_rate,
    "live": lambda r: r.live_rating,
}


def sort_rows(rows: Sequence[BoardRow], sort: str, direction: str) -> list[BoardRow]:
    """Rows by ``sort``; empty values last either way; equal values in leaderboard order.

    Leaderboard order: official rank, then rating; the models the snapshot could not compare
    after, then the unrated ones, each by live Elo and live votes.
    """
    base = sorted(
        rows,
        key=lambda r: (
            r.rank is None,
            r.not_comparable is None,
            r.rank or 0,
            -(r.rating or 0.0),
            -(r.live_rating or 0.0),
            -r.live_votes,
            r.name.casefold(),
        ),
    )
    key = _KEYS[sort]
    if sort == "rank" and direction == "asc":
        return base
    present = [r for r in base if key(r) is not None]
    missing = [r for r in base if key(r) is None]
    return sorted(present, key=key, reverse=direction == "desc") + missing


def build_leaderboard(
    session: Session, query: BoardQuery, *, settings: Settings, now: datetime | None = None
) -> Leaderboard:
    """The view ``query`` asks for; :class:`Invalid` for a category the track does not have."""
    now = now or utcnow()
    track, category = query.track, query.category
    per_category = reads.category_votes(session, track)
    known = reads.track_categories(session, track) | {c for c in per_category if c}
    if category and category not in known:
        raise Invalid(
            f"unknown category {category!r} on track {track!r}; "
            f"categories: {', '.join(sorted(known)) or '(none)'}"
        )
    models = reads.models_by_id(session)
    claims = reads.latest_claims(session)
    snapshot = reads.latest_snapshot(session, track, category)
    entries = {
        e.model_id: e
        for e in reads.snapshot_entries(session, [snapshot.id] if snapshot and snapshot.id else [])
    }
    left_out = not_comparable(snapshot)
    ranked = rank_intervals(snapshot)
    live_total, live_per_model = reads.live_votes(session, track, category)
    online = reads.online_ratings(session, track) if not category else {}
    in_battles = reads.track_models(session, track)
    shown = sorted(
        (set(entries) | set(left_out) | set(live_per_model) | set(online) | set(in_battles))
        & set(models)
    )
    track_rows = reads.pair_rows(session, track, "")
    view_rows = track_rows if not category else reads.pair_rows(session, track, category)
    fit = live_state(shown, view_rows) if shown else None
    estimates = live_intervals(shown, view_rows, state=fit)
    # Placement is per track, whatever the view: the rule matchmaking applies. On a whole-track
    # view of the models in battles it reads the same fit (one fit per page, not two).
    same = not category and shown == in_battles
    placing = placing_models(
        in_battles, track_rows, settings.placement_width, state=fit if same else None
    )
    rows = [
        _row(
            models[model_id],
            entries.get(model_id),
            live_rating=online[model_id].rating if model_id in online else None,
            live_votes=live_per_model.get(model_id, 0),
            claim=claims.get(model_id),
            recent=is_recent(models[model_id].claimed_at, now, settings.recent_claim_days),
            min_votes=settings.min_votes,
            left_out=left_out.get(model_id),
            ranks=ranked.get(model_id),
            estimate=estimates.get(model_id),
            placing=model_id in placing,
        )
        for model_id in shown
    ]
    official = None
    if snapshot is not None:
        unrated = any(m not in entries and m not in left_out for m in live_per_model)
        official = official_info(snapshot, live_total, unrated)
    if query.hide_retired:
        rows = [r for r in rows if not r.retired]
    return Leaderboard(
        track=track,
        track_label=TRACK_LABELS[track],
        category=category,
        sort=query.sort,
        order=query.direction,
        hide_retired=query.hide_retired,
        min_votes=settings.min_votes,
        placement_width=settings.placement_width,
        recent_claim_days=settings.recent_claim_days,
        tracks=[
            TrackOption(
                id=t,
                label=TRACK_LABELS[t],
                url=query.url("/leaderboard", track=t, category=""),
            )
            for t in TRACKS
        ],
        categories=[
            CategoryOption(
                id=c,
                label=category_label(c),
                votes=per_category.get(c, 0),
                url=query.url("/leaderboard", category=c),
            )
            for c in ["", *sorted(known)]
        ],
        official=official,
        live=LiveInfo(
            k=settings.elo_k,
            initial=settings.elo_initial,
            vote_count=live_total,
            elo_available=not category,
            excluded=reads.excluded_votes(session, track, category),
        ),
        rows=sort_rows(rows, query.sort, query.direction),
        links=board_links(query),
    )


def board_links(query: BoardQuery) -> BoardLinks:
    data = {"track": query.track, **({"category": query.category} if query.category else {})}
    q = urlencode(data)
    return BoardLinks(
        html=query.url("/leaderboard"),
        api=query.url("/api/v1/leaderboard"),
        csv=query.url("/api/v1/leaderboard.csv"),
        matrix=f"/api/v1/leaderboard/matrix?{q}",
        history=f"/api/v1/leaderboard/history?{q}",
        plots={name: f"/api/v1/leaderboard/plots/{name}.svg?{q}" for name in PLOTS},
    )
