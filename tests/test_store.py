"""The database enforces what the domain requires, whoever writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from arena import store
from arena.core.errors import Conflict
from arena.core.ranking.elo import elo_update
from arena.core.schemas import VoteResult
from arena.store import votes as votes_module
from arena.store.driver import Tx
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, OnlineRating, Vote
from tests.invariants import assert_stats_equal_group_by


def make_battle(engine: Engine, *, now: datetime | None = None) -> Battle:
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
            now=now,
        )


def cast(
    session: Session, battle: Battle, outcome: str = "a", now: datetime | None = None
) -> VoteResult:
    """``record_vote`` as voter v1, no watch time, K = 4 from 1000."""
    return store.record_vote(
        session,
        battle_id=battle.id,
        voter_id="v1",
        outcome=outcome,
        watch_ms=None,
        k=4.0,
        initial=1000.0,
        now=now,
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
    for n, outcome in enumerate(("a", "a", "b", "tie"), start=1):
        battle = make_battle(engine)
        with session_scope(engine, write=True) as session:
            result = cast(session, battle, outcome)
        score = store.SCORE[outcome]
        if battle.left_model_id > battle.right_model_id:
            ratings = ratings[::-1]
        expected = elo_update(ratings[0], ratings[1], score, k=4.0)
        assert result.left.rating == pytest.approx(expected[0], abs=0.01)
        assert result.right.rating == pytest.approx(expected[1], abs=0.01)
        ratings = expected if battle.left_model_id < battle.right_model_id else expected[::-1]
        assert assert_stats_equal_group_by(engine) == n


def test_elo_update_matches_the_formula() -> None:
    a, b = elo_update(1100.0, 1000.0, 1.0, k=4.0)
    expected = 1 / (1 + 10 ** (-100 / 400))
    assert a == pytest.approx(1100 + 4 * (1 - expected))
    assert a + b == pytest.approx(2100.0)


def test_vote_path_stores_times_as_the_orm_does_and_reads_them_back_in_utc(
    engine: Engine,
) -> None:
    """The vote path writes its own SQL (arena.store.driver): its times must be exactly what the
    ORM column type writes (SQLite: UTC text with microseconds, even when they are 0)."""
    issued = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=9)))
    battle = make_battle(engine, now=issued)
    voted = issued + timedelta(seconds=30)
    with session_scope(engine, write=True) as session:
        cast(session, battle, now=voted)
    with session_scope(engine) as session:
        stored = session.get(Battle, battle.id)
        vote = session.exec(select(Vote).where(Vote.battle_id == battle.id)).one()
        assert stored is not None
        assert stored.issued_at == issued and stored.issued_at.utcoffset() == timedelta(0)
        assert stored.expires_at == issued + timedelta(seconds=60)
        assert vote.created_at == voted and vote.created_at.utcoffset() == timedelta(0)
        if engine.dialect.name == "sqlite":
            raw = session.connection().exec_driver_sql(
                "SELECT issued_at, expires_at FROM battle WHERE id = ?", (battle.id,)
            )
            assert raw.one() == ("2026-03-01 03:00:00.000000", "2026-03-01 03:01:00.000000")
    with pytest.raises(ValueError, match="naive"):
        make_battle(engine, now=datetime(2026, 3, 1, 12, 0, 0))


def test_a_vote_that_loses_the_insert_race_is_a_conflict_and_leaves_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vote whose INSERT hits the one-vote-per-battle constraint after its checks passed
    gets Conflict (409), its transaction is rolled back, and the session stays usable.

    On PostgreSQL the rival vote comes from another connection, committed between this
    vote's checks and its INSERT. SQLite serializes writers, so there the rival is written in
    the same transaction (the only way the constraint can fire there) and is rolled back with
    it."""
    battle = make_battle(engine)
    real = votes_module.take_rate
    postgres = engine.dialect.name == "postgresql"

    def rival_votes_first(db: Tx, **kwargs: object) -> None:
        rival = Vote(
            battle_id=battle.id,
            track=battle.track,
            prompt_id=battle.prompt_id,
            model_a_id=battle.left_model_id,
            model_b_id=battle.right_model_id,
            outcome="b",
            voter_id="v1",
        )
        if postgres:
            with Session(engine) as other:
                other.add(rival)
                other.commit()
        else:
            db.session.add(rival)
            db.session.flush()
        real(db, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(votes_module, "take_rate", rival_votes_first)
    with session_scope(engine, write=not postgres) as session:
        with pytest.raises(Conflict, match="already has a vote"):
            cast(session, battle)
        left = session.exec(select(Vote.outcome).where(Vote.battle_id == battle.id)).all()
        assert left == (["b"] if postgres else [])
        assert session.exec(select(OnlineRating)).all() == []
