"""Matchmaking strategies: exact probabilities, exposure bounds, prompt rotation, sides."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from arena.core.matchmaking import MatchConfig, Rotation, choose, plan_for
from arena.core.matchmaking.exposure import balanced, exposure
from arena.core.matchmaking.pool import CatalogClip, TrackPool, build_pool
from arena.core.matchmaking.state import StatRow

TRACK = "text-to-video"
STRATEGIES = ("uniform", "weighted", "active")


def make_pool(
    models: int = 6,
    prompts: int = 4,
    stats: list[StatRow] | None = None,
    missing: tuple[tuple[int, int], ...] = (),
) -> TrackPool:
    """A pool of ``models`` (ids 1..n) with a clip of every prompt except ``missing``."""
    clips = {
        (m, f"p{k}"): CatalogClip(m * 100 + k, f"c{m}-{k}", m, f"p{k}", False)
        for m in range(1, models + 1)
        for k in range(prompts)
        if (m, k) not in missing
    }
    slugs = {m: f"model-{m}" for m in range(1, models + 1)}
    return build_pool(TRACK, clips, slugs, stats or [])


def skewed_stats() -> list[StatRow]:
    """Live counts that make the strategies lopsided: 1 and 2 are far apart and well known,
    3 and 4 close and barely compared, 5 and 6 have no votes (new)."""
    return [
        (1, 2, "a", 400),
        (1, 2, "b", 40),
        (1, 3, "a", 300),
        (1, 3, "b", 60),
        (2, 3, "a", 100),
        (2, 3, "b", 120),
        (3, 4, "a", 3),
        (3, 4, "b", 3),
        (1, 4, "a", 200),
        (1, 4, "b", 30),
    ]


POOLS = {
    "fresh": lambda: make_pool(),
    "skewed": lambda: make_pool(stats=skewed_stats()),
    "incomplete": lambda: make_pool(stats=skewed_stats(), missing=((5, 0), (5, 1), (6, 2))),
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind", sorted(POOLS))
def test_every_plan_is_a_distribution_over_the_eligible_pairs(strategy: str, kind: str) -> None:
    pool = POOLS[kind]()
    plan = plan_for(pool, strategy)
    assert plan.probability.shape == (len(pool.pairs),)
    assert (plan.probability > 0).all()
    assert plan.probability.sum() == pytest.approx(1.0, abs=1e-12)
    assert plan_for(pool, strategy) is plan  # cached on the pool, not recomputed per battle


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_recorded_probabilities_match_the_empirical_frequencies(strategy: str) -> None:
    pool = make_pool(stats=skewed_stats())
    config = MatchConfig(boost_votes=100)
    plan = plan_for(pool, strategy, config)
    rng = np.random.default_rng(7)
    rotation = Rotation()
    n = 40_000
    seen: Counter[tuple[int, int]] = Counter()
    for _ in range(n):
        choice = choose(pool, rng, strategy=strategy, config=config, rotation=rotation)
        pair = tuple(sorted((choice.left.model_id, choice.right.model_id)))
        k = [(a, b) for a, b, _ in pool.pairs].index(pair)
        assert choice.probability == plan.probability[k]
        assert choice.strategy == strategy
        seen[pair] += 1
    for k, (a, b, _) in enumerate(pool.pairs):
        p = plan.probability[k]
        assert abs(seen[(a, b)] / n - p) < 4.5 * np.sqrt(p * (1 - p) / n), (a, b)


def test_the_strategies_differ_where_they_should() -> None:
    pool = make_pool(stats=skewed_stats())
    pairs = [(a, b) for a, b, _ in pool.pairs]
    uniform = plan_for(pool, "uniform").probability
    active = plan_for(pool, "active").probability
    weighted = plan_for(pool, "weighted", MatchConfig(boost_votes=100)).probability
    assert np.allclose(uniform, 1 / len(pairs))
    # active: the pair of new models (5, 6) is the most uncertain and the least settled
    assert active.argmax() == pairs.index((5, 6))
    # weighted: models 5 and 6 have no votes, so they are boosted
    assert weighted[pairs.index((5, 6))] > 3 * weighted[pairs.index((1, 2))]
    # among established models, active votes go to the close, barely compared pair (3, 4)
    # rather than the settled one (1, 2)
    small = make_pool(models=4, stats=skewed_stats())
    pairs = [(a, b) for a, b, _ in small.pairs]
    active = plan_for(small, "active").probability
    assert active[pairs.index((3, 4))] > 3 * active[pairs.index((1, 2))]


def test_with_no_votes_active_is_uniform() -> None:
    pool = make_pool()
    assert np.allclose(plan_for(pool, "active").probability, 1 / len(pool.pairs))


def test_weighted_is_the_fastchat_two_stage_draw() -> None:
    """Without exposure bounds, the pair probabilities are those of LMArena's sampler: a first
    model by weight, then a rival among its possible rivals by weight (enumerated here)."""
    pool = make_pool(stats=skewed_stats(), missing=((5, 0), (5, 1), (6, 2), (6, 3)))
    config = MatchConfig(
        weights=(("model-1", 3.0), ("model-4", 0.5)),
        boost=5.0,
        boost_votes=100,
        exposure_min=0.0,
        exposure_max=100.0,
    )
    votes = dict(zip(pool.models, pool.state.votes, strict=True))
    weight = {
        m: config.weight_of(pool.slugs[m]) * (5.0 if votes[m] < 100 else 1.0) for m in pool.models
    }
    rivals: dict[int, list[int]] = {m: [] for m in pool.models}
    for a, b, _ in pool.pairs:
        rivals[a].append(b)
        rivals[b].append(a)
    total = sum(weight[m] for m in pool.models if rivals[m])
    expected: Counter[tuple[int, int]] = Counter()
    for first in pool.models:
        norm = sum(weight[r] for r in rivals[first])
        for rival in rivals[first]:
            pair = (min(first, rival), max(first, rival))
            expected[pair] += weight[first] / total * weight[rival] / norm
    plan = plan_for(pool, "weighted", config)
    for k, (a, b, _) in enumerate(pool.pairs):
        assert plan.probability[k] == pytest.approx(expected[(a, b)], rel=1e-12)


@pytest.mark.parametrize("strategy", ["weighted", "active"])
@pytest.mark.parametrize("kind", ["skewed", "incomplete"])
@pytest.mark.parametrize("bounds", [(0.5, 2.0), (0.8, 1.25), (0.25, 3.0)])
def test_exposure_stays_within_the_configured_bounds(
    strategy: str, kind: str, bounds: tuple[float, float]
) -> None:
    pool = POOLS[kind]()
    low, high = bounds
    config = MatchConfig(
        weights=(("model-2", 50.0),), boost_votes=100, exposure_min=low, exposure_max=high
    )
    p = plan_for(pool, strategy, config).probability
    m = len(pool.models)
    shares = exposure(p, pool.pair_a, pool.pair_b, m) / (2 / m)
    # where the pair graph cannot give a model its bound, it gets what a balanced plan gives
    reach = exposure(balanced(pool.pair_a, pool.pair_b, m), pool.pair_a, pool.pair_b, m) / (2 / m)
    assert (shares >= np.minimum(low, reach) - 1e-9).all(), shares
    assert (shares <= np.maximum(high, reach) + 1e-9).all(), shares


def test_unbounded_strategies_would_leave_those_bounds() -> None:
    """The bounds test above is not vacuous: without bounds these plans break them."""
    pool = POOLS["skewed"]()
    free = MatchConfig(weights=(("model-2", 50.0),), exposure_min=0.0, exposure_max=100.0)
    m = len(pool.models)
    shares = exposure(plan_for(pool, "weighted", free).probability, pool.pair_a, pool.pair_b, m)
    assert shares.max() / (2 / m) > 2.0


def test_sides_alternate_within_every_pair_and_prompts_rotate() -> None:
    pool = make_pool(models=8, prompts=5, stats=skewed_stats(), missing=((2, 0), (5, 0)))
    rotation = Rotation()
    rng = np.random.default_rng(3)
    lefts: Counter[tuple[int, int]] = Counter()
    shown: Counter[tuple[int, int]] = Counter()
    for _ in range(20_000):
        choice = choose(pool, rng, strategy="active", rotation=rotation)
        left, right = choice.left.model_id, choice.right.model_id
        assert choice.left.prompt_id == choice.right.prompt_id == choice.prompt_id
        pair = (min(left, right), max(left, right))
        shown[pair] += 1
        lefts[pair] += left == pair[0]
    for pair, n in shown.items():
        assert abs(2 * lefts[pair] - n) <= 1, pair
    for m in pool.models:
        counts = [rotation.shown(TRACK, m, p) for (mm, p) in pool.clips if mm == m]
        # a random prompt per battle would spread these by dozens after 20 000 battles
        assert max(counts) - min(counts) <= 2, (m, counts)


def test_choose_without_a_rotation_draws_again_and_again() -> None:
    pool, rng = make_pool(), np.random.default_rng(0)
    for _ in range(20):  # each call makes a throwaway Rotation; none may see another's indexes
        choice = choose(pool, rng)
        assert choice.left.prompt_id == choice.right.prompt_id == choice.prompt_id


def test_no_pair_means_no_battle() -> None:
    from arena.core.errors import Unavailable

    lonely = make_pool(models=1)
    with pytest.raises(Unavailable, match="no battle available on track 'text-to-video'"):
        choose(lonely, np.random.default_rng(0), strategy="active")
    with pytest.raises(Unavailable):
        choose(None, np.random.default_rng(0), track="image-to-video")


def test_the_state_reads_live_counts_and_retired_opponents() -> None:
    # model 9 is retired (no clips) but its votes against 1 still inform 1's rating
    stats = [*skewed_stats(), (1, 9, "b", 500)]
    with_retired = make_pool(stats=stats)
    without = make_pool(stats=skewed_stats())
    assert 9 not in with_retired.models
    i = with_retired.models.index(1)
    assert with_retired.state.theta[i] < without.state.theta[i]
    assert with_retired.state.votes[i] == without.state.votes[i] + 500
    k = [(a, b) for a, b, _ in with_retired.pairs].index((1, 2))
    assert with_retired.state.pair_votes[k] == 440
