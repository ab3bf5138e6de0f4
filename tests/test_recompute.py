"""The recompute from the database: snapshots, maintained statistics equal to a rescan, truth."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.registry.plugins import Registry
from arena.services.demo import seed_votes, true_strengths
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.comparisons import load_comparisons
from arena.store.tables import PairStat, RatingEntry, RatingSnapshot, Vote


def pair_stats(engine: Engine) -> set[tuple[str, str, int, int, str, int]]:
    with session_scope(engine) as session:
        return {
            (s.track, s.category, s.model_lo, s.model_hi, s.outcome, s.count)
            for s in session.exec(select(PairStat))
        }


def test_maintained_statistics_equal_a_rescan_and_give_identical_ratings(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=150, seed=4)
    maintained = pair_stats(engine)
    first = recompute_all(engine, settings, RecomputeOptions(rounds=200))
    second = recompute_all(engine, settings, RecomputeOptions(rounds=200), rescan=True)
    assert pair_stats(engine) == maintained
    assert [(s.track, s.category) for s in first] == [(s.track, s.category) for s in second]
    for a, b in zip(first, second, strict=True):
        assert a.fingerprint == b.fingerprint
        assert np.array_equal(a.ratings.rating, b.ratings.rating, equal_nan=True)
        assert np.array_equal(a.ratings.lower, b.ratings.lower, equal_nan=True)
        assert np.array_equal(a.ratings.upper, b.ratings.upper, equal_nan=True)


def test_whole_track_statistics_count_every_vote(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=80, seed=5)
    with session_scope(engine) as session:
        per_track = dict(
            session.exec(select(Vote.track, func.count()).group_by(Vote.track)).all()  # type: ignore[arg-type]
        )
    for track, n in per_track.items():
        comp, _ = load_comparisons(engine, track=track)
        assert comp.n_votes == n


def test_snapshots_feed_the_leaderboard(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    for _ in range(30):
        battle = client.post("/api/v1/battles?track=text-to-video").json()
        client.post(battle["vote_url"], json={"outcome": "a"})
    summaries = recompute_all(engine, settings, RecomputeOptions(rounds=100))
    tracks = {(s.track, s.category) for s in summaries}
    assert ("text-to-video", "") in tracks
    assert {c for t, c in tracks if t == "text-to-video"} >= {"", "motion", "text-in-video"}
    with session_scope(engine) as session:
        snaps = session.exec(select(RatingSnapshot)).all()
        entries = session.exec(select(RatingEntry)).all()
    assert len(snaps) == len(summaries)
    assert all(e.lower <= e.rating <= e.upper for e in entries)
    board = client.get("/api/v1/leaderboard?track=text-to-video").json()
    official = board["official"]
    assert official["vote_count"] == 30
    assert sum(r["votes"] for r in board["rows"]) == 60
    assert [r["rank"] for r in board["rows"]] == sorted(r["rank"] for r in board["rows"])


def test_simulated_voters_recover_the_true_order(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=1200, seed=11)
    truth = true_strengths(registry.config)
    for summary in recompute_all(engine, settings, RecomputeOptions(rounds=200), categories=[""]):
        ratings = dict(zip(summary.ratings.models, summary.ratings.rating, strict=True))
        models = sorted(ratings)
        # Kendall tau between the fitted and the true order: at most one adjacent swap
        # (950 vs 1000 true Elo are close at this sample size); the best and worst are right.
        concordant = sum(
            np.sign(ratings[x] - ratings[y]) == np.sign(truth[x] - truth[y])
            for i, x in enumerate(models)
            for y in models[i + 1 :]
        )
        pairs = len(models) * (len(models) - 1) // 2
        assert concordant >= pairs - 1, (summary.track, ratings)
        assert max(ratings, key=ratings.__getitem__) == "clean-1"
        assert min(ratings, key=ratings.__getitem__) == "broken-3"


def test_a_rescan_of_some_slices_rebuilds_those_exactly_and_leaves_the_rest(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=150, seed=6)
    maintained = pair_stats(engine)
    wanted = {("text-to-video", ""), ("text-to-video", "motion")}
    assert {(t, c) for t, c, *_ in maintained} >= wanted
    with session_scope(engine, write=True) as session:
        # Spoil every slice; a partial rescan must restore exactly the slices it was asked for.
        session.execute(update(PairStat).values(count=PairStat.count + 1))
        session.commit()
    recompute_all(
        engine,
        settings,
        RecomputeOptions(rounds=20),
        tracks=["text-to-video"],
        categories=["", "motion"],
        rescan=True,
    )
    after = pair_stats(engine)
    rebuilt = {s for s in after if (s[0], s[1]) in wanted}
    assert rebuilt == {s for s in maintained if (s[0], s[1]) in wanted}
    spoiled = {s for s in after if (s[0], s[1]) not in wanted}
    assert spoiled == {(*s[:5], s[5] + 1) for s in maintained if (s[0], s[1]) not in wanted}
    recompute_all(engine, settings, RecomputeOptions(rounds=20), rescan=True)
    assert pair_stats(engine) == maintained
