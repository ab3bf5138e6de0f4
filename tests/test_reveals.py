"""Blindness per voter, over real HTTP and the real store (SQLite and PostgreSQL).

A voter is not shown a clip their own votes revealed while their pool still holds a blind
battle; once it holds none, the battle is still served and its vote is stored, excluded as
``seen``, counted in the leaderboard's notes, and made to count by an admin's unflag.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from arena import store
from arena.core.clock import utcnow
from arena.core.matchmaking import choose
from arena.core.matchmaking.pool import CatalogClip, build_pool
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, PairStat, Reveal, VoteExclusion
from arena.web.app import create_app

TRACK = "text-to-video"
TOKEN = "reveal-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def arena(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    """The small arena with an admin token; the blindness rule on, as by default."""
    assert Settings().exclude_seen is True
    on = settings.with_(admin_token=TOKEN, exclude_seen=True)
    with TestClient(create_app(on, registry, seed=0)) as client:
        yield client


def clips_of(engine: Engine) -> dict[int, tuple[int, str]]:
    """Every battle clip of the track: id -> (model id, prompt id)."""
    with session_scope(engine) as session:
        rows = session.exec(select(Clip).where(Clip.track == TRACK)).all()
    return {c.id: (c.model_id, c.prompt_id) for c in rows if c.id is not None}


def blind_battle_left(clips: dict[int, tuple[int, str]], revealed: set[int]) -> bool:
    """Whether some prompt still has two models' clips neither of which was revealed."""
    fresh: dict[str, set[int]] = {}
    for clip, (model, prompt) in clips.items():
        if clip not in revealed:
            fresh.setdefault(prompt, set()).add(model)
    return any(len(models) >= 2 for models in fresh.values())


def battle_clips(engine: Engine, battle_id: str) -> tuple[int, int]:
    with session_scope(engine) as session:
        battle = session.get(Battle, battle_id)
        assert battle is not None and battle.left_clip_id and battle.right_clip_id
        return battle.left_clip_id, battle.right_clip_id


def play_until_not_blind(client: TestClient, engine: Engine) -> tuple[dict, int]:
    """One voter (the client's cookie) votes until matchmaking can no longer keep them blind.

    Checks every battle on the way: while a blind battle exists for the voter, the battle
    shows no clip their votes revealed, and its vote counts. Returns the last vote's answer
    (the first battle that could not be blind) and how many battles came before it.
    """
    clips = clips_of(engine)
    revealed: set[int] = set()
    for n in range(len(clips) + 1):
        possible = blind_battle_left(clips, revealed)
        battle = client.post(f"/api/v1/battles?track={TRACK}")
        assert battle.status_code == 201, battle.text
        body = battle.json()
        shown = set(battle_clips(engine, body["id"]))
        assert str(sorted(shown)) not in battle.text  # clip ids never reach the voter
        vote = client.post(body["vote_url"], json={"outcome": "a", "watch_ms": 5000})
        assert vote.status_code == 200, vote.text
        if not possible:
            assert shown & revealed, "no blind battle was left, yet this one is blind"
            return vote.json(), n
        assert not shown & revealed, f"battle {n} re-showed revealed clip(s) {shown & revealed}"
        assert vote.json()["counted"] is True
        revealed |= shown
    raise AssertionError("the voter never ran out of blind battles")


def test_a_voter_is_not_shown_clips_their_votes_revealed_while_blind_battles_remain(
    arena: TestClient, engine: Engine
) -> None:
    # Several voters one after another: each one's reveals are their own, and the process's
    # prompt rotation (shared by all voters) alone does not keep anyone blind.
    cookies = set()
    for _ in range(4):
        arena.cookies.clear()
        answer, blind_battles = play_until_not_blind(arena, engine)
        assert blind_battles >= 2
        assert answer["counted"] is False and "not blind" in answer["note"]
        cookies.add(arena.cookies.get("arena_voter"))
    assert len(cookies) == 4
    with session_scope(engine) as session:
        voters = session.exec(select(func.count(func.distinct(Reveal.voter_id)))).one()
        assert voters == 4
        # Every vote's two clips are remembered, once per voter.
        rows = session.exec(select(Reveal)).all()
        assert len({(r.voter_id, r.clip_id) for r in rows}) == len(rows)


def test_a_voter_who_saw_everything_gets_a_battle_excluded_as_seen_until_an_admin_unflags(
    arena: TestClient, engine: Engine
) -> None:
    answer, _ = play_until_not_blind(arena, engine)
    assert answer["counted"] is False
    # The reveal still names the models; the ratings did not move.
    assert answer["left"]["rating"] == answer["left"]["rating_before"]
    with session_scope(engine) as session:
        exclusion = session.exec(select(VoteExclusion)).one()
        assert exclusion.reason == "seen" and exclusion.source == "auto"
        assert "revealed by an earlier vote" in exclusion.detail
        total = select(func.sum(PairStat.count)).where(PairStat.category == "")
        counted = session.exec(total).one()
    # Admins see it among the excluded votes, by its reason.
    listed = arena.get("/api/v1/admin/votes/excluded?reason=seen", headers=AUTH)
    assert listed.status_code == 200
    assert [v["vote_id"] for v in listed.json()] == [exclusion.vote_id]
    assert listed.json()[0]["reason"] == "seen"
    # The leaderboard's notes count it, in the JSON and on the page.
    board = arena.get(f"/api/v1/leaderboard?track={TRACK}").json()
    assert board["live"]["excluded"] == {"seen": 1}
    page = arena.get(f"/leaderboard?track={TRACK}").text
    assert 'id="excluded-note"' in page and "not blind" in page and 'data-reason="seen"' in page
    # An admin's unflag makes it count, like any exclusion.
    done = arena.post(
        f"/api/v1/admin/votes/{exclusion.vote_id}/unflag",
        json={"actor": "ops", "reason": "voter was shown the same clip by a mistake of ours"},
        headers=AUTH,
    )
    assert done.status_code == 200 and "was excluded for seen" in done.json()["detail"]
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(VoteExclusion)).one() == 0
        after = session.exec(total).one()
    assert after == counted + 1
    board = arena.get(f"/api/v1/leaderboard?track={TRACK}").json()
    assert board["live"]["excluded"] == {}
    assert 'id="excluded-note"' not in arena.get(f"/leaderboard?track={TRACK}").text


def test_a_seen_vote_counts_when_the_rule_is_off(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    with TestClient(create_app(settings.with_(exclude_seen=False), registry, seed=0)) as client:
        answer, _ = play_until_not_blind(client, engine)
    assert answer["counted"] is True
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(VoteExclusion)).one() == 0
        assert session.exec(select(func.count()).select_from(Reveal)).one() >= 6


def test_the_restricted_draw_records_its_exact_probability() -> None:
    """Pairs with no blind prompt left are never drawn; the others share their probability."""
    clips = {
        (m, p): CatalogClip(10 * m + i, f"c{m}{p}", m, p, False)
        for m in (1, 2, 3)
        for i, p in enumerate(("p0", "p1"))
    }
    pool = build_pool(TRACK, clips, {1: "a", 2: "b", 3: "c"})
    # Model 1's clips are both revealed: pairs (1, 2) and (1, 3) have no blind battle left.
    revealed = np.array([10, 11], dtype=np.int64)
    rng = np.random.default_rng(0)
    for _ in range(50):
        choice = choose(pool, rng, revealed=revealed)
        assert {choice.left.model_id, choice.right.model_id} == {2, 3}
        assert choice.probability == pytest.approx(1.0) and choice.blind
    # Everything revealed: still a battle, marked not blind, with the plan's probability.
    everything = np.array([c.id for c in clips.values()], dtype=np.int64)
    choice = choose(pool, rng, revealed=everything)
    assert not choice.blind and choice.probability == pytest.approx(1 / 3)
    # Clip 20 (model 2, p0) alone is revealed: pair (2, 3) keeps p1 only.
    for _ in range(20):
        choice = choose(pool, rng, revealed=np.array([20]))
        if {choice.left.model_id, choice.right.model_id} == {2, 3}:
            assert choice.prompt_id == "p1"
        assert choice.blind


def test_reveals_are_remembered_once_per_voter_and_clip(engine: Engine) -> None:
    from arena.core.clock import utcnow
    from arena.store.driver import Tx

    with session_scope(engine, write=True) as session:
        tx = Tx(session)
        first = store.remember_reveals(
            tx, voter_id="v", track=TRACK, clip_ids=(7, 3), vote_id=1, now=utcnow()
        )
        again = store.remember_reveals(
            tx, voter_id="v", track=TRACK, clip_ids=(3, 9), vote_id=2, now=utcnow()
        )
        other = store.remember_reveals(
            tx, voter_id="w", track=TRACK, clip_ids=(3, None), vote_id=3, now=utcnow()
        )
        tx.commit()
    assert (first, again, other) == ([], [3], [])
    with session_scope(engine) as session:
        assert sorted(store.revealed_clips(session, voter_id="v", track=TRACK)) == [3, 7, 9]
        assert list(store.revealed_clips(session, voter_id="v", track="image-to-video")) == []
        first_vote = session.exec(
            select(Reveal.vote_id).where(Reveal.voter_id == "v", Reveal.clip_id == 3)
        ).one()
    assert first_vote == 1


def test_the_restriction_matches_a_check_of_every_battle() -> None:
    """Random pools (models missing some prompts) and reveals, against a plain loop."""
    from arena.core.matchmaking.blind import restrict

    rng = np.random.default_rng(1)
    for _ in range(200):
        models, prompts = int(rng.integers(2, 6)), int(rng.integers(1, 6))
        clips = {
            (m, f"p{p}"): CatalogClip(100 * m + p, f"c{m}-{p}", m, f"p{p}", False)
            for m in range(1, models + 1)
            for p in range(prompts)
            if rng.random() < 0.8
        }
        pool = build_pool(TRACK, clips, {})
        if not pool.pairs:
            continue
        ids = [c.id for c in clips.values()]
        revealed = rng.choice(ids, size=int(rng.integers(1, len(ids) + 1)), replace=False)
        limit = restrict(pool, np.asarray(revealed, dtype=np.int64))
        assert limit is not None
        costs = [
            [int(clips[(a, p)].id in revealed) + int(clips[(b, p)].id in revealed) for p in shared]
            for a, b, shared in pool.pairs
        ]
        best = min(min(c) for c in costs)
        assert limit.best == best
        assert list(limit.eligible) == [min(c) == best for c in costs]
        for k, c in enumerate(costs):
            assert list(limit.allowed(pool, k)) == [x == best for x in c]


def test_a_battle_keeps_off_the_clips_of_the_voters_open_battles(
    arena: TestClient, engine: Engine
) -> None:
    """The page fetches the next battle before the vote on the current one: that vote is about
    to reveal the current clips, so the next battle keeps off them too (else the next vote would
    be thrown away as not blind), while the pool allows."""
    clips = clips_of(engine)
    voter = ""
    open_battles: list[dict] = []
    kept_off: set[int] = set()
    while blind_battle_left(clips, kept_off):
        body = arena.post(f"/api/v1/battles?track={TRACK}").json()
        shown = set(battle_clips(engine, body["id"]))
        assert not shown & kept_off, f"battle {len(open_battles) + 1} re-used an open clip"
        kept_off |= shown
        open_battles.append(body)
        with session_scope(engine) as session:
            battle = session.get(Battle, body["id"])
            assert battle is not None
            voter = battle.voter_id
            pending = store.pending_clips(session, voter_id=voter, track=TRACK, now=utcnow())
        assert set(pending.tolist()) == kept_off
    assert len(open_battles) >= 2
    for body in open_battles:  # each vote counts: none showed a clip an earlier one revealed
        vote = arena.post(body["vote_url"], json={"outcome": "a", "watch_ms": 5000})
        assert vote.status_code == 200 and vote.json()["counted"], vote.text
    with session_scope(engine) as session:
        assert not len(store.pending_clips(session, voter_id=voter, track=TRACK, now=utcnow()))
        later = utcnow() + timedelta(days=1)  # nor does an expired battle keep anything off
        arena.post(f"/api/v1/battles?track={TRACK}")
        assert not len(store.pending_clips(session, voter_id=voter, track=TRACK, now=later))
