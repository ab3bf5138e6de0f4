"""A model's page, built once for HTML and JSON: metadata, ratings, head-to-head, clips.

The clips shown are the showcase: every model's clip for the first ``showcase_prompts`` prompts of
each track (by prompt id), served at ``/models/{id}/clips/{prompt}``. Those prompts are held out of
battles (:func:`arena.store.reads.pools.load_catalog`), so no clip a model page publishes is ever
shown to a voter blind: what the showcase costs is its prompts.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from arena.core.clock import utcnow
from arena.core.errors import NotFound
from arena.core.vocabulary import FLIP, TRACK_LABELS, TRACKS
from arena.services.leaderboard import examples
from arena.services.leaderboard.builder import is_recent
from arena.services.leaderboard.schema import SCHEMA_VERSION
from arena.settings import Settings
from arena.store import Session
from arena.store.reads import catalog
from arena.store.reads import leaderboard as reads
from arena.store.tables import Clip, Model


class TrackRating(BaseModel):
    """The model on one track: official rating (latest whole-track snapshot) and live Elo."""

    track: str
    track_label: str
    rank: int | None
    models: int = Field(description="Models in the snapshot")
    rating: float | None
    lower: float | None
    upper: float | None
    votes: int
    win_rate: float | None
    provisional: bool | None
    live_rating: float | None
    live_votes: int
    snapshot_at: datetime | None
    leaderboard: str


class HeadToHead(BaseModel):
    """Counted votes against one opponent on one track, from this model's side."""

    track: str
    track_label: str
    opponent: str
    opponent_name: str
    votes: int
    wins: int
    losses: int
    ties: int
    both_bad: int
    win_rate: float = Field(description="(wins + (ties + both_bad) / 2) / votes")
    predicted: float | None = Field(description="P(win) from the official ratings")


class ShowcaseClip(BaseModel):
    track: str
    prompt: str
    image_url: str | None
    url: str
    duration: float
    width: int
    height: int
    has_audio: bool


class ClaimRecord(BaseModel):
    from_model: str
    from_name: str
    from_organization: str
    claimed_at: datetime
    note: str


class ModelProfile(BaseModel):
    """A model's page as data (``/api/v1/models/{id}``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.MODELPROFILE]})

    schema_version: int = SCHEMA_VERSION
    model: str
    name: str
    organization: str
    license: str
    release_date: date | None
    link: str
    provider: str = Field(description='Who supplies its clips; "imported" for imported votes')
    retired: bool
    retired_at: datetime | None
    claimed_at: datetime | None
    recently_claimed: bool
    claims: list[ClaimRecord]
    tracks: list[TrackRating]
    head_to_head: list[HeadToHead]
    clips: list[ShowcaseClip]


class MovedModel(Exception):
    """The id was the model's name before a claim; the model lives at ``slug`` now."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


def find_model(session: Session, slug: str) -> Model:
    """The model with this id; :class:`MovedModel` for a claimed codename, else NotFound."""
    model = catalog.model_by_slug(session, slug)
    if model is not None:
        return model
    if (moved := catalog.claimed_model(session, slug)) is not None:
        raise MovedModel(moved.slug)
    raise NotFound(f"no model {slug!r}")


def showcase_clip(session: Session, slug: str, prompt_id: str, per_track: int) -> Clip:
    """The model's clip of a showcased prompt; NotFound for any other (battle clips stay blind)."""
    model = find_model(session, slug)
    clip = None
    if prompt_id in catalog.showcase_prompts(session, per_track) and model.id is not None:
        clip = catalog.model_clip(session, model.id, prompt_id)
    if clip is None:
        raise NotFound(f"no showcase clip of {slug!r} for prompt {prompt_id!r}")
    return clip


def _head_to_head(
    session: Session, model: Model, names: dict[int, Model], ratings: dict[str, dict[int, float]]
) -> list[HeadToHead]:
    assert model.id is not None
    tallies: dict[tuple[str, int], dict[str, int]] = {}
    for track in TRACKS:
        for lo, hi, outcome, n in reads.pair_rows(session, track, ""):
            if model.id not in (lo, hi):
                continue
            other, side = (hi, outcome) if lo == model.id else (lo, FLIP[outcome])
            counts = tallies.setdefault((track, other), {"a": 0, "b": 0, "tie": 0, "both_bad": 0})
            counts[side] += n
    out = []
    for (track, other), c in tallies.items():
        votes = sum(c.values())
        mine, theirs = ratings.get(track, {}).get(model.id), ratings.get(track, {}).get(other)
        predicted = None
        if mine is not None and theirs is not None:
            predicted = round(1.0 / (1.0 + 10 ** ((theirs - mine) / 400)), 4)
        out.append(
            HeadToHead(
                track=track,
                track_label=TRACK_LABELS[track],
                opponent=names[other].slug,
                opponent_name=names[other].name,
                votes=votes,
                wins=c["a"],
                losses=c["b"],
                ties=c["tie"],
                both_bad=c["both_bad"],
                win_rate=round((c["a"] + 0.5 * (c["tie"] + c["both_bad"])) / votes, 4),
                predicted=predicted,
            )
        )
    order = {t: i for i, t in enumerate(TRACKS)}
    return sorted(out, key=lambda h: (order[h.track], -h.votes, h.opponent_name.casefold()))


def build_profile(
    session: Session, slug: str, *, settings: Settings, now: datetime | None = None
) -> ModelProfile:
    """The model's page data; raises :class:`MovedModel` or :class:`NotFound`."""
    now = now or utcnow()
    model = find_model(session, slug)
    assert model.id is not None
    names = reads.models_by_id(session)
    online = catalog.online_ratings(session, model.id)
    tracks, ratings = [], {}
    for track in TRACKS:
        snapshot = reads.latest_snapshot(session, track, "")
        entries = reads.snapshot_entries(session, [snapshot.id] if snapshot and snapshot.id else [])
        ratings[track] = {e.model_id: e.rating for e in entries}
        mine = next((e for e in entries if e.model_id == model.id), None)
        _, live = reads.live_votes(session, track, "")
        if mine is None and track not in online and not live.get(model.id):
            continue
        tracks.append(
            TrackRating(
                track=track,
                track_label=TRACK_LABELS[track],
                rank=mine.rank if mine else None,
                models=len(entries),
                rating=round(mine.rating, 1) if mine else None,
                lower=round(mine.lower, 1) if mine else None,
                upper=round(mine.upper, 1) if mine else None,
                votes=mine.votes if mine else 0,
                win_rate=round((mine.wins + 0.5 * mine.ties) / mine.votes, 4)
                if mine and mine.votes
                else None,
                provisional=mine.provisional if mine else None,
                live_rating=round(online[track].rating, 1) if track in online else None,
                live_votes=live.get(model.id, 0),
                snapshot_at=snapshot.created_at if snapshot else None,
                leaderboard=f"/leaderboard?track={track}",
            )
        )
    claims = catalog.claims_of(session, model.id)
    shown = catalog.showcase_prompts(session, settings.showcase_prompts)
    clips = catalog.model_clips(session, model.id, shown)
    return ModelProfile(
        model=model.slug,
        name=model.name,
        organization=model.organization,
        license=model.license,
        release_date=model.release_date,
        link=model.link,
        provider=model.provider,
        retired=model.retired,
        retired_at=model.retired_at,
        claimed_at=model.claimed_at,
        recently_claimed=is_recent(model.claimed_at, now, settings.recent_claim_days),
        claims=[
            ClaimRecord(
                from_model=c.from_slug,
                from_name=c.from_name,
                from_organization=c.from_organization,
                claimed_at=c.claimed_at,
                note=c.note,
            )
            for c in claims
        ],
        tracks=tracks,
        head_to_head=_head_to_head(session, model, names, ratings),
        clips=[
            ShowcaseClip(
                track=clip.track,
                prompt=prompt.text,
                image_url=f"/images/{prompt.image_file}" if prompt.image_file else None,
                url=f"/models/{model.slug}/clips/{prompt.id}",
                duration=clip.duration,
                width=clip.width,
                height=clip.height,
                has_audio=clip.has_audio,
            )
            for clip, prompt in clips
        ],
    )
