"""The database enforces what the domain requires, whoever writes."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from arena import store
from arena.db import session_scope
from arena.models import Battle, Clip, Vote
from arena.ranking.elo import elo_update


def make_battle(engine: Engine) -> Battle:
    with session_scope(engine, write=True) as session:
        a, b = session.exec(select(Clip).where(Clip.prompt_id == "t2v-ball")).all()[:2]
        return store.create_battle(
            session,
            track="text-to-video",
            prompt_id="t2v-ball",
            left=a,
            right=b,
            voter_id="v1",
            ttl_seconds=60,
            strategy="test",
            probability=0.5,
        )


def test_database_allows_one_vote_per_battle(engine: Engine) -> None:
    battle = make_battle(engine)
    vote = dict(
        battle_id=battle.id,
        track=battle.track,
        prompt_id=battle.prompt_id,
        model_a_id=battle.left_model_id,
        model_b_id=battle.right_model_id,
        outcome="a",
        voter_id="v1",
    )
    with session_scope(engine) as session:
        session.add(Vote(**vote))
        session.commit()
        session.add(Vote(**vote))
        with pytest.raises(IntegrityError):
            session.commit()


def test_database_rejects_unknown_outcomes_and_dangling_battles(engine: Engine) -> None:
    battle = make_battle(engine)
    with session_scope(engine) as session:
        session.add(
            Vote(
                battle_id=battle.id,
                track=battle.track,
                prompt_id=battle.prompt_id,
                model_a_id=battle.left_model_id,
                model_b_id=battle.right_model_id,
                outcome="left",
                voter_id="v1",
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()
    with session_scope(engine) as session:
        session.add(
            Vote(
                battle_id="nope",
                track=battle.track,
                prompt_id=battle.prompt_id,
                model_a_id=battle.left_model_id,
                model_b_id=battle.right_model_id,
                outcome="a",
                voter_id="v1",
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_vote_updates_elo_and_pair_statistics_together(engine: Engine) -> None:
    ratings = (1000.0, 1000.0)
    for outcome in ("a", "a", "b", "tie"):
        battle = make_battle(engine)
        with session_scope(engine, write=True) as session:
            result = store.record_vote(
                session,
                battle_id=battle.id,
                voter_id="v1",
                outcome=outcome,
                watch_ms=None,
                k=4.0,
                initial=1000.0,
            )
        score = store.SCORE[outcome]
        if battle.left_model_id > battle.right_model_id:
            ratings = ratings[::-1]
        expected = elo_update(ratings[0], ratings[1], score, k=4.0)
        assert result.left.rating == pytest.approx(expected[0], abs=0.01)
        assert result.right.rating == pytest.approx(expected[1], abs=0.01)
        ratings = expected if battle.left_model_id < battle.right_model_id else expected[::-1]


def test_elo_update_matches_the_formula() -> None:
    a, b = elo_update(1100.0, 1000.0, 1.0, k=4.0)
    expected = 1 / (1 + 10 ** (-100 / 400))
    assert a == pytest.approx(1100 + 4 * (1 - expected))
    assert a + b == pytest.approx(2100.0)
