"""The official ratings: re-rate every track and category from the database, store snapshots.

A plain fit reads the sufficient statistics (:class:`PairStat`: vote counts per track,
category, pair and outcome, kept up to date in each vote's transaction), so it reads a few
thousand rows whatever the number of votes. ``rescan`` first rebuilds those statistics from the
raw votes with one SQL aggregation (no vote row is loaded into Python). The fit itself is
:func:`arena.core.ranking.rate` (Bradley-Terry maximum likelihood with intervals).

``reweight`` fits inverse-propensity-weighted votes instead: each vote weighs 1 / the
probability with which matchmaking chose its pair (recorded with the battle), read by one
aggregation of the votes joined with their battles by (pair, outcome, probability). The fit
then estimates the ratings of an arena that showed every pair equally often, whatever the
strategy did (see the README's Matchmaking section for when that matters).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from arena import store
from arena.core.errors import Invalid, RankingError
from arena.core.ranking.compute import Ratings, rate
from arena.core.vocabulary import TRACKS
from arena.settings import Settings
from arena.store import Engine
from arena.store.reads.comparisons import load_comparisons, load_weighted_comparisons, slices
from arena.store.writer import Write, direct


@dataclass(frozen=True)
class RecomputeOptions:
    """How to fit; the defaults are the LMArena conventions (ties as half a win, bootstrap)."""

    ties: str = "half"
    ci: str = "bootstrap"
    rounds: int = 1000
    level: float = 0.95
    seed: int = 0
    anchor: str | None = None
    anchor_score: float = 1000.0
    min_votes: float | None = None
    prior: float | None = None
    reweight: bool = False

    def rate_kwargs(self, settings: Settings) -> dict[str, Any]:
        kwargs = asdict(self)
        del kwargs["reweight"]
        kwargs["min_votes"] = settings.min_votes if self.min_votes is None else self.min_votes
        if self.prior is None:
            del kwargs["prior"]
        return kwargs


@dataclass(frozen=True)
class SnapshotSummary:
    """What one fit produced (for the CLI's report and the admin API)."""

    track: str
    category: str
    snapshot_id: int
    votes: float
    models: int
    fingerprint: str
    seconds: float
    ratings: Ratings = field(repr=False)


Progress = Callable[[int, int, str], None]


def recompute_all(
    engine: Engine,
    settings: Settings,
    options: RecomputeOptions | None = None,
    *,
    tracks: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    rescan: bool = False,
    progress: Progress | None = None,
    write: Write | None = None,
) -> list[SnapshotSummary]:
    """Fit every track (and category) that has votes and store one snapshot per fit.

    ``categories`` limits the categories fitted ("" is the whole track); None fits them all.
    ``rescan`` first rebuilds the statistics of those tracks and categories from the raw votes.
    Every slice is fitted before any snapshot is stored, so a fit the options make impossible
    (``prior=0`` where the exact maximum-likelihood fit does not exist) raises
    :class:`Invalid`, naming the slice and the models, and stores nothing.
    """
    options = options or RecomputeOptions()
    write = write or direct(engine)
    if rescan:  # only the statistics of the slices asked for
        store.rebuild_pair_stats(engine, tracks=tracks, categories=categories, write=write)
    todo = [
        (t, c) for t, c in slices(engine, tracks or TRACKS) if categories is None or c in categories
    ]
    fits = []
    for n, (track, category) in enumerate(todo, start=1):
        started = time.perf_counter()
        load = load_weighted_comparisons if options.reweight else load_comparisons
        comp, ids = load(engine, track=track, category=category)
        try:
            ratings = rate(comp, **options.rate_kwargs(settings))
        except RankingError as exc:  # e.g. prior=0 where the exact fit does not exist
            raise Invalid(f"{track} / {category or '(all prompts)'}: {exc}") from None
        fits.append((track, category, ratings, ids, time.perf_counter() - started))
        if progress:
            progress(n, len(todo), f"{track} {category or '(all)'}")
    out = []  # every slice fitted before any is stored: a fit that fails stores nothing
    for track, category, ratings, ids, seconds in fits:
        started = time.perf_counter()
        snapshot = _save(write, track, category, ratings, ids, reweight=options.reweight)
        assert snapshot is not None
        out.append(
            SnapshotSummary(
                track=track,
                category=category,
                snapshot_id=snapshot,
                votes=ratings.n_votes,
                models=len(ratings.models),
                fingerprint=ratings.fingerprint,
                seconds=seconds + time.perf_counter() - started,
                ratings=ratings,
            )
        )
    return out


def _save(
    write: Write,
    track: str,
    category: str,
    ratings: Ratings,
    ids: dict[str, int],
    *,
    reweight: bool = False,
) -> int | None:
    meta = ratings.to_dict()
    del meta["models"]
    meta["params"]["reweight"] = reweight
    records = ratings.to_records()

    def tallies(r: dict) -> dict:
        return {
            "model_id": ids[r["model"]],
            "votes": round(r["votes"]),
            "wins": r["wins"],
            "losses": r["losses"],
            "ties": r["ties"],
            "provisional": r["provisional"],
        }

    # Models the fit could not rank with the others have no rating entry; the snapshot keeps
    # them, with the reason and their tallies, in its parameters (the leaderboard shows them).
    meta["not_comparable"] = [
        {**tallies(r), "reason": r["not_comparable"]} for r in records if r["not_comparable"]
    ]
    # Rank intervals and tiers ride in the parameters too (no column for them in RatingEntry)
    meta["ranks"] = [
        {"model_id": ids[r["model"]], **{k: r[k] for k in ("rank_lower", "rank_upper", "tier")}}
        for r in records
        if not r["not_comparable"]
    ]
    entries = [
        {**tallies(r), **{k: r[k] for k in ("rating", "lower", "upper", "rank")}}
        for r in records
        if not r["not_comparable"]
    ]
    snapshot = write(
        partial(
            store.save_snapshot,
            track=track,
            category=category,
            method=ratings.method,
            params=meta,
            seed=ratings.seed,
            vote_count=round(ratings.n_votes),
            fingerprint=ratings.fingerprint,
            entries=entries,
        )
    )
    return snapshot.id
