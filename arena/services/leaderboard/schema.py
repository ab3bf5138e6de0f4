"""The leaderboard's public JSON schema (version 1): what the API returns and the page renders.

Fields are only ever added within a version; a rename or a change of meaning bumps
``schema_version``. The README's "Leaderboard JSON" section documents every field.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from arena.services.leaderboard import examples

SCHEMA_VERSION = 1

SORT_KEYS: tuple[str, ...] = (
    "rank",
    "model",
    "organization",
    "license",
    "rating",
    "ci",
    "votes",
    "win_rate",
    "live",
)
"""The sortable columns (``?sort=``); ``ci`` is the interval's width."""


class BoardRow(BaseModel):
    """One model's line: the official rating (if it has one) beside its live figures."""

    rank: int | None = Field(
        description="CI-aware rank in the official snapshot: 1 + the number of established "
        "models whose interval lies wholly above this one's; null if not in the snapshot or "
        "not comparable"
    )
    model: str = Field(description="The model's id (stable; used in URLs)")
    name: str
    organization: str
    license: str
    url: str = Field(description="The model's page")
    rating: float | None = Field(description="Official Bradley-Terry rating, Elo scale")
    lower: float | None = Field(description="Lower bound of the official interval")
    upper: float | None = Field(description="Upper bound of the official interval")
    ci_plus: float | None = Field(description="upper - rating")
    ci_minus: float | None = Field(description="rating - lower")
    rating_source: str | None = Field(
        default=None,
        description="snapshot: rating and interval are the official snapshot's; live: no "
        "snapshot rates the model yet (none made, or it came since), so they are a provisional "
        "fit of the votes counted now (with the prior, so finite from no votes at all; the "
        "interval is wide until votes narrow it) and it has no rank; null: not comparable",
    )
    votes: int = Field(description="Votes the official rating is based on (0 if not rated)")
    wins: float | None
    losses: float | None
    ties: float | None = Field(description="tie and both_bad votes")
    win_rate: float | None = Field(description="(wins + ties / 2) / votes, in the snapshot")
    provisional: bool = Field(description="Fewer votes than the minimum: interval unreliable")
    placing: bool = Field(
        default=False,
        description="In battles, and its own live 95% interval (against its opponents' "
        "current ratings) is wider than ARENA_PLACEMENT_WIDTH: matchmaking is still placing "
        "it (placement battles against opponents near its estimate)",
    )
    not_comparable: str | None = Field(
        default=None,
        description="Why the snapshot could not rank this model with the others (no_votes, "
        "separate, only_won, only_lost, one_way, no_group): it then has no rank, rating or "
        "interval; null when it is ranked (or not in the snapshot)",
    )
    retired: bool = Field(description="No longer in new battles; its votes still count")
    recently_claimed: bool = Field(
        description="Claimed (renamed to its real name and maker) within recent_claim_days"
    )
    claimed_at: datetime | None
    formerly: str | None = Field(description="The name it had before its latest claim")
    live_rating: float | None = Field(
        description="Live online Elo on the whole track (null in category views)"
    )
    live_votes: int = Field(description="Counted votes in this track and category, now")
    rank_lower: int | None = Field(
        default=None,
        description="Best rank the model could hold: with rank_upper, an interval that holds "
        "every model's true rank at once with the snapshot's level (simultaneous), among the "
        "established models; null if unranked or the snapshot predates rank intervals",
    )
    rank_upper: int | None = Field(default=None, description="Worst rank the model could hold")
    tier: int | None = Field(
        default=None,
        description="1 = best. Every model of a tier is better than every model of the tiers "
        "below, at the snapshot's level for all tiers at once; inside a tier the order is not "
        "settled. null for provisional or unranked models",
    )


class CategoryOption(BaseModel):
    id: str = Field(description='Category id; "" is every prompt of the track')
    label: str
    votes: int = Field(description="Counted votes in the category, now")
    url: str


class TrackOption(BaseModel):
    id: str
    label: str
    url: str


class OfficialInfo(BaseModel):
    """The Bradley-Terry snapshot the official columns come from."""

    snapshot_id: int
    method: str = Field(description="bradley_terry, or davidson (ties modelled)")
    created_at: datetime
    vote_count: int = Field(description="Votes in the fit")
    fingerprint: str = Field(description="sha256 of the aggregated votes the fit read")
    ci: str = Field(description="bootstrap, sandwich or none")
    level: float = Field(description="Interval coverage, e.g. 0.95")
    rounds: int = Field(description="Bootstrap rounds (0 unless bootstrap)")
    seed: int
    ties: str = Field(description="How tie and both_bad count: half, drop or davidson")
    prior: float | None = Field(
        default=None,
        description="Virtual ties per model the fit added (0: the exact maximum-likelihood "
        "fit); null for a snapshot that did not record it",
    )
    min_votes: float = Field(description="Below this many votes a model is provisional")
    tiers: int | None = Field(
        default=None,
        description="Number of tiers (null for a snapshot that predates tiers)",
    )
    new_votes: int = Field(description="Counted votes in this slice since the snapshot")
    stale: bool = Field(
        description="The snapshot misses a notable share of the votes (5% or more) or a model "
        "that has votes now"
    )


class LiveInfo(BaseModel):
    """The live view: online Elo, moved by every counted vote."""

    method: str = "online_elo"
    k: float
    initial: float
    vote_count: int = Field(description="Counted votes in this slice, now")
    elo_available: bool = Field(
        description="Live Elo is kept per whole track; false in category views"
    )
    excluded: dict[str, int] = Field(
        default_factory=dict,
        description="Votes of this slice stored but not counted, by exclusion reason: "
        "watch_time (voted before the clips played), identity (not invited or signed in where "
        "the arena requires it), seen (not blind: a clip had been revealed to the voter by an "
        "earlier vote), voter (flagged voter), admin; reasons with none are left out",
    )


class BoardLinks(BaseModel):
    """The same view elsewhere: page, JSON, CSV, the data behind the plots, the plots."""

    html: str
    api: str
    csv: str
    matrix: str
    history: str
    plots: dict[str, str]


class Leaderboard(BaseModel):
    """A leaderboard view: one track, one category, sorted; built once, rendered as HTML,
    JSON and CSV."""

    schema_version: int = SCHEMA_VERSION
    track: str
    track_label: str
    category: str = Field(description='"" for every prompt of the track')
    sort: str = Field(description=f"One of {', '.join(SORT_KEYS)}")
    order: str = Field(description="asc or desc")
    hide_retired: bool
    min_votes: int = Field(description="ARENA_MIN_VOTES: provisional threshold of live rows")
    placement_width: float = Field(
        default=60.0,
        description="ARENA_PLACEMENT_WIDTH: a model in battles is placing while its own live "
        "95% interval is wider than this (Elo)",
    )
    recent_claim_days: int
    tracks: list[TrackOption]
    categories: list[CategoryOption]
    official: OfficialInfo | None = Field(description="null until the first `arena recompute`")
    live: LiveInfo
    rows: list[BoardRow]
    links: BoardLinks

    model_config = ConfigDict(json_schema_extra={"examples": [examples.LEADERBOARD]})


class PairMatrix(BaseModel):
    """Pairwise data of one slice, models in leaderboard order; the heatmaps draw it."""

    track: str
    category: str
    models: list[str]
    names: list[str]
    battles: list[list[int]] = Field(description="[i][j]: counted votes between i and j")
    win_rate: list[list[float | None]] = Field(
        description="[i][j]: share of i-vs-j votes i won, ties as half; null if they never met"
    )
    predicted: list[list[float | None]] | None = Field(
        description="[i][j]: P(i beats j) from the official ratings; null rows for unrated"
    )

    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAIRMATRIX]})


class HistoryPoint(BaseModel):
    snapshot_id: int
    created_at: datetime
    vote_count: int
    rating: float
    lower: float
    upper: float
    rank: int


class HistorySeries(BaseModel):
    model: str
    name: str
    points: list[HistoryPoint]


class RatingHistory(BaseModel):
    """Each model's official rating over the snapshots of one slice (oldest first)."""

    track: str
    category: str
    snapshots: int = Field(description="Snapshots of the slice in all (the series sample them)")
    series: list[HistorySeries]

    model_config = ConfigDict(json_schema_extra={"examples": [examples.RATINGHISTORY]})
