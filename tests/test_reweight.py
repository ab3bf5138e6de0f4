"""Inverse-propensity reweighting: read from votes and battles, and what it corrects."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.errors import Invalid
from arena.core.matchmaking import MatchConfig, Rotation, choose, plan_for
from arena.core.matchmaking.pool import CatalogClip, build_pool
from arena.core.ranking.bradley_terry import fit_bradley_terry
from arena.core.ranking.compute import rate
from arena.core.ranking.data import Comparisons, weighted_comparisons
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.comparisons import load_comparisons, load_weighted_comparisons
from arena.store.tables import Clip, Model, RatingSnapshot


def vote_on(
    engine: Engine, prompt: str, left: str, right: str, outcome: str, probability: float
) -> None:
    """One battle between two models' clips of ``prompt``, chosen with ``probability``, voted."""
    with session_scope(engine, write=True) as session:
        clips = {
            slug: clip
            for clip, slug in session.exec(
                select(Clip, Model.slug)
                .join(Model)
                .where(Clip.prompt_id == prompt, Model.slug.in_([left, right]))  # type: ignore[attr-defined]
            )
        }
        battle = store.create_battle(
            session,
            track="text-to-video",
            prompt_id=prompt,
            left=clips[left],
            right=clips[right],
            voter_id="v",
            ttl_seconds=60,
            strategy="test",
            probability=probability,
        )
        store.record_vote(
            session,
            battle_id=battle.id,
            voter_id="v",
            outcome=outcome,
            watch_ms=None,
            k=4,
            initial=1000,
        )


def test_weighted_votes_are_read_by_pair_outcome_and_probability(engine: Engine) -> None:
    vote_on(engine, "t2v-ball", "clean-1", "grainy-2", "a", 0.5)
    vote_on(engine, "t2v-ball", "clean-1", "grainy-2", "a", 0.5)
    vote_on(engine, "t2v-sign", "grainy-2", "clean-1", "b", 0.25)
    vote_on(engine, "t2v-sign", "broken-3", "mute-4", "tie", 0.1)
    comp, ids = load_weighted_comparisons(engine, track="text-to-video")
    rows = {
        (comp.models[a], comp.models[b], int(o), float(w)): float(n)
        for a, b, o, n, w in zip(comp.a, comp.b, comp.outcome, comp.count, comp.weight, strict=True)
    }
    assert rows == {
        ("clean-1", "grainy-2", 0, 2.0): 2.0,
        ("grainy-2", "clean-1", 1, 4.0): 1.0,
        ("broken-3", "mute-4", 2, 10.0): 1.0,
    }
    assert set(ids) == {"clean-1", "grainy-2", "broken-3", "mute-4"}
    # the same votes as the maintained statistics, only weighted
    plain, _ = load_comparisons(engine, track="text-to-video")
    assert comp.n_votes == plain.n_votes == 4
    sign, _ = load_weighted_comparisons(engine, track="text-to-video", category="text-in-video")
    assert sign.n_votes == 2  # t2v-sign is the text-in-video prompt


def test_recompute_reweight_stores_snapshots_that_say_so(
    engine: Engine, settings: Settings
) -> None:
    for n in range(12):
        vote_on(engine, "t2v-ball", "clean-1", "grainy-2", "a" if n % 3 else "b", 0.4)
        vote_on(engine, "t2v-ball", "broken-3", "grainy-2", "b", 0.1)
    plain = recompute_all(engine, settings, RecomputeOptions(rounds=50), categories=[""])
    weighted = recompute_all(
        engine, settings, RecomputeOptions(rounds=50, reweight=True), categories=[""]
    )
    assert plain[0].fingerprint != weighted[0].fingerprint
    with session_scope(engine) as session:
        params = [
            json.loads(s.params)["params"]["reweight"]
            for s in session.exec(select(RatingSnapshot).order_by(RatingSnapshot.id))
        ]
    assert params == [False, True]


def test_a_zero_probability_cannot_be_reweighted() -> None:
    with pytest.raises(Invalid, match=r"recorded pair probability 0\.0"):
        weighted_comparisons([("x", "y", "a", 0.0, 3)])


ROCK_PAPER_SCISSORS = np.array(
    # P(row beats column): a cycle between 0, 1 and 2, and 3 even with everyone, so every
    # model is equally good overall but no Bradley-Terry model describes the votes exactly
    [
        [0.5, 0.8, 0.2, 0.5],
        [0.2, 0.5, 0.8, 0.5],
        [0.8, 0.2, 0.5, 0.5],
        [0.5, 0.5, 0.5, 0.5],
    ]
)


def test_reweighting_undoes_a_strongly_non_uniform_strategy() -> None:
    """Under misspecification the plain fit depends on which pairs were shown; the reweighted
    fit estimates what a uniform arena would have found (here: four equal models)."""
    ids = [1, 2, 3, 4]
    clips = {(m, "p"): CatalogClip(m, f"c{m}", m, "p", False) for m in ids}
    pool = build_pool("text-to-video", clips, {m: f"m{m}" for m in ids})
    # models 1 and 2 weigh 30 times more: their pair, where 1 wins 80%, takes most battles
    config = MatchConfig(
        weights=(("m1", 30.0), ("m2", 30.0)), boost=1.0, exposure_min=0.0, exposure_max=100.0
    )
    p = plan_for(pool, "weighted", config).probability
    assert p.max() > 0.6 and p.min() < 0.01
    rng = np.random.default_rng(11)
    rows: dict[tuple[str, str, str, float], int] = {}
    rotation = Rotation()
    for _ in range(30_000):
        choice = choose(pool, rng, strategy="weighted", config=config, rotation=rotation)
        i, j = choice.left.model_id - 1, choice.right.model_id - 1
        outcome = "a" if rng.random() < ROCK_PAPER_SCISSORS[i, j] else "b"
        key = (f"m{i + 1}", f"m{j + 1}", outcome, choice.probability)
        rows[key] = rows.get(key, 0) + 1
    names = [f"m{m}" for m in ids]
    plain = Comparisons.from_rows(((a, b, o, n) for (a, b, o, _), n in rows.items()), names)
    weighted = weighted_comparisons(((a, b, o, q, n) for (a, b, o, q), n in rows.items()), names)
    # the estimand: the fit to the expected votes of a uniform arena (here exactly 1000 each)
    expected = Comparisons.from_rows(
        [
            (names[i], names[j], "a", 1000 * ROCK_PAPER_SCISSORS[i, j])
            for i in range(4)
            for j in range(4)
            if i != j
        ],
        names,
    )
    target = fit_bradley_terry(expected, prior=0.0).rating
    assert np.allclose(target, 1000.0)
    plain_error = np.abs(rate(plain, ci="none").rating - target).max()
    weighted_fit = rate(weighted, ci="sandwich")
    weighted_error = np.abs(weighted_fit.rating - target).max()
    assert plain_error > 80  # the oversampled pair drags model 1 up and model 2 down
    assert weighted_error < plain_error / 3
    assert ((weighted_fit.lower <= target) & (target <= weighted_fit.upper)).all()
