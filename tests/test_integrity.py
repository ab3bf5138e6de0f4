"""Vote integrity in the store: exclusions keep PairStat exact, the watch-time rule, rate
limits shared through the database, and the anomalous-voter test."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from arena import store
from arena.core.clock import utcnow
from arena.core.errors import Conflict, RateLimited
from arena.core.integrity.anomaly import consensus_p_value, log_e_value, threshold
from arena.core.integrity.policy import IntegrityPolicy, RateLimit, parse_limits
from arena.core.integrity.ratelimit import estimate, retry_after
from arena.core.integrity.watch import watch_problem
from arena.services.battles import new_battle
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.integrity import (
    counted_votes,
    excluded_votes,
    integrity_events,
    pair_stat_counts,
    vote_sources,
    voter_report,
)
from arena.store.reads.pools import load_catalog
from arena.store.tables import Battle, Clip, Model, Vote, VoteExclusion
from tests.invariants import assert_stats_equal_group_by

WATCH = IntegrityPolicy(min_watch_ms=1500, min_watch_fraction=1.0, watch_slack_ms=1000)


def battle_for(
    engine: Engine,
    settings: Settings,
    rng: np.random.Generator,
    voter: str,
    *,
    track: str = "text-to-video",
    now: datetime | None = None,
) -> Battle:
    catalog = load_catalog(engine)
    with session_scope(engine, write=True) as session:
        battle, _ = new_battle(
            session, catalog=catalog, rng=rng, settings=settings, track=track, voter_id=voter
        )
    if now is not None:  # issue it in the past, as if the voter had been watching since
        with session_scope(engine, write=True) as session:
            row = session.get(Battle, battle.id)
            assert row is not None
            row.issued_at, row.expires_at = now, now + timedelta(hours=1)
            session.add(row)
            session.commit()
            battle = row
    return battle


def vote(
    engine: Engine,
    battle: Battle,
    outcome: str,
    *,
    policy: IntegrityPolicy = store.votes.NO_RULES,
    watch_ms: int | None = 5000,
    now: datetime | None = None,
    ip: str | None = None,
) -> bool:
    """Cast a vote through the store; return whether it counted."""
    with session_scope(engine, write=True) as session:
        result = store.record_vote(
            session,
            battle_id=battle.id,
            voter_id=battle.voter_id,
            outcome=outcome,
            watch_ms=watch_ms,
            k=4.0,
            initial=1000.0,
            now=now,
            policy=policy,
            ip_hash=ip,
        )
    return result.counted


def test_pairstat_equals_a_rescan_through_votes_flags_and_unflags(
    engine: Engine, settings: Settings
) -> None:
    rng = np.random.default_rng(7)
    past = utcnow() - timedelta(seconds=30)
    outcomes = ["a", "b", "tie", "both_bad"]
    for i in range(40):
        track = ["text-to-video", "image-to-video"][i % 2]
        battle = battle_for(engine, settings, rng, f"voter-{i % 5}", track=track, now=past)
        # Every seventh vote is too quick for the watch-time rule: stored, not counted.
        watch = 200 if i % 7 == 0 else 4000
        counted = vote(engine, battle, outcomes[i % 4], policy=WATCH, watch_ms=watch)
        assert counted == (i % 7 != 0)
    assert_stats_equal_group_by(engine)
    with session_scope(engine) as session:
        ids = session.exec(select(Vote.id).order_by(Vote.id)).all()
        assert len(ids) == 40
        assert session.exec(select(func.count()).select_from(VoteExclusion)).one() == 6
    steps = [
        lambda s: store.flag_vote(s, vote_id=ids[1], actor="t", reason="spam"),
        lambda s: store.flag_voter(s, voter_id="voter-2", actor="t", reason="sybil"),
        lambda s: store.flag_vote(s, vote_id=ids[2], actor="t", reason="voter's vote, by hand"),
        lambda s: store.unflag_vote(s, vote_id=ids[0], actor="t", reason="watched after all"),
        lambda s: store.unflag_voter(s, voter_id="voter-2", actor="t", reason="false alarm"),
        lambda s: store.unflag_vote(s, vote_id=ids[1], actor="t", reason=""),
        lambda s: store.flag_voter(s, voter_id="voter-3", actor="t", reason="again"),
    ]
    for step in steps:
        with session_scope(engine, write=True) as session:
            step(session)
        assert_stats_equal_group_by(engine)
    with session_scope(engine) as session:
        # Votes are append-only: all 40 are still there, unchanged.
        assert session.exec(select(func.count()).select_from(Vote)).one() == 40
        excluded = {e.vote_id: e.reason for e in excluded_votes(session, limit=1000)}
        events = integrity_events(session)
        # voter-2's own vote ids[2] was flagged by hand: it stays out after the voter is cleared.
        assert excluded[ids[2]] == "admin"
        assert ids[0] not in excluded and ids[1] not in excluded
        assert [e.action for e in events][:3] == ["flag_voter", "unflag_vote", "unflag_voter"]
        assert all(e.source == "admin" and e.actor == "t" for e in events)
    counted = list(counted_votes(engine, batch=7))
    assert len(counted) == 40 - len(excluded)
    assert [v.id for v in counted] == sorted(v.id for v in counted if v.id)


def test_flag_and_unflag_refuse_what_makes_no_sense(engine: Engine, settings: Settings) -> None:
    battle = battle_for(engine, settings, np.random.default_rng(1), "v")
    vote(engine, battle, "a")
    with session_scope(engine, write=True) as session:
        vote_id = session.exec(select(Vote.id)).one()
        assert vote_id is not None
        with pytest.raises(Conflict, match="is not excluded"):
            store.unflag_vote(session, vote_id=vote_id, actor="t", reason="")
        with pytest.raises(Conflict, match="'v' is not flagged"):
            store.unflag_voter(session, voter_id="v", actor="t", reason="")
        store.flag_vote(session, vote_id=vote_id, actor="t", reason="x")
        with pytest.raises(Conflict, match="already flagged"):
            store.flag_vote(session, vote_id=vote_id, actor="t", reason="x")


@pytest.mark.parametrize(
    "watch_ms, elapsed_ms, problem",
    [
        (None, 9000, "no watch time reported"),
        (800, 9000, "watched 800 ms of the 4000 ms required"),
        (4500, 4200, None),  # within the slack of the server's clock
        (9000, 4200, "reported 9000 ms of playing in 4200 ms"),
        (4000, 3500, "watched 4000 ms of the 4000 ms required"),  # the server saw too little
        (4000, 4000, None),
    ],
)
def test_watch_rule_checks_the_claim_against_the_clock_and_the_clip(
    watch_ms: int | None, elapsed_ms: float, problem: str | None
) -> None:
    found = watch_problem(WATCH, watch_ms=watch_ms, elapsed_ms=elapsed_ms, clip_seconds=4.0)
    assert (found is None) == (problem is None)
    if problem:
        assert found is not None and found.startswith(problem)


def test_watch_rule_is_off_when_both_thresholds_are_zero() -> None:
    off = IntegrityPolicy(min_watch_ms=0, min_watch_fraction=0.0)
    assert watch_problem(off, watch_ms=None, elapsed_ms=1, clip_seconds=9) is None


def test_too_quick_vote_is_stored_excluded_and_moves_nothing(
    engine: Engine, settings: Settings
) -> None:
    battle = battle_for(engine, settings, np.random.default_rng(2), "quick")
    assert vote(engine, battle, "a", policy=WATCH, watch_ms=4000) is False
    with session_scope(engine) as session:
        assert pair_stat_counts(session) == {}
        (row,) = excluded_votes(session)
        assert row.reason == "watch_time" and row.source == "auto"
        assert "playing in" in row.detail
    slow = battle_for(engine, settings, np.random.default_rng(3), "slow", now=utcnow())
    later = utcnow() + timedelta(seconds=3)
    assert vote(engine, slow, "a", policy=WATCH, watch_ms=2500, now=later) is True
    assert assert_stats_equal_group_by(engine) == 1


@pytest.mark.parametrize(
    "text, limits",
    [
        ("20/minute,1000/day", (RateLimit(20, 60), RateLimit(1000, 86400))),
        ("5/30, 2/seconds", (RateLimit(5, 30), RateLimit(2, 1))),
        ("off", ()),
        ("", ()),
    ],
)
def test_limits_parse(text: str, limits: tuple[RateLimit, ...]) -> None:
    assert parse_limits(text) == limits


@pytest.mark.parametrize("text", ["20", "x/minute", "20/fortnight", "0/minute", "-1/day"])
def test_bad_limits_are_refused_with_the_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="COUNT/UNIT"):
        parse_limits(text)


def test_two_limits_over_one_window_are_refused() -> None:
    with pytest.raises(ValueError, match="same 60 s window"):
        parse_limits("20/minute,30/60")


def test_retry_after_is_when_the_sliding_window_admits_one_more() -> None:
    limit = RateLimit(10, 60)
    for now, previous, current in [(6000.0, 10, 10), (6030.0, 10, 3), (6059.0, 4, 10)]:
        wait = retry_after(limit, now, previous, current)
        later = now + wait
        if int(later // 60) == int(now // 60):
            assert estimate(limit, later, previous, current) + 1 <= limit.count + 1e-9
        else:
            assert estimate(limit, later, current, 0) + 1 <= limit.count + 1e-9
        assert wait >= 1


def test_vote_limits_count_per_voter_and_per_address_in_the_database(
    engine: Engine, settings: Settings
) -> None:
    policy = IntegrityPolicy(voter_vote_limits=parse_limits("3/minute"), ip_vote_limits=())
    rng = np.random.default_rng(4)
    t0 = datetime.fromtimestamp(60 * 10_000 + 1, tz=utcnow().tzinfo)
    battles = [battle_for(engine, settings, rng, "busy", now=t0) for _ in range(5)]
    for battle in battles[:3]:
        assert vote(engine, battle, "a", policy=policy, now=t0)
    with pytest.raises(RateLimited, match="too many votes from this voter") as caught:
        vote(engine, battles[3], "a", policy=policy, now=t0)
    assert 60 <= caught.value.retry_after <= 120
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Vote)).one() == 3
    # The refused battle is still open; once the window has slid past, the vote goes in.
    assert vote(engine, battles[3], "a", policy=policy, now=t0 + timedelta(seconds=121))
    per_ip = IntegrityPolicy(ip_vote_limits=parse_limits("2/hour"))
    others = [battle_for(engine, settings, rng, f"sybil-{i}", now=t0) for i in range(3)]
    assert vote(engine, others[0], "b", policy=per_ip, now=t0, ip="same-address")
    assert vote(engine, others[1], "b", policy=per_ip, now=t0, ip="same-address")
    with pytest.raises(RateLimited, match="from this address"):
        vote(engine, others[2], "b", policy=per_ip, now=t0, ip="same-address")
    assert vote(engine, others[2], "b", policy=per_ip, now=t0, ip="another-address")


def test_p_value_is_the_share_of_history_at_least_as_rare() -> None:
    history = {"a": 80, "b": 15, "tie": 5}
    assert consensus_p_value(history, "a") == pytest.approx(101 / 101)
    assert consensus_p_value(history, "b") == pytest.approx((1 + 15 + 5) / 101)
    assert consensus_p_value(history, "both_bad") == pytest.approx(1 / 101)
    assert log_e_value(0.25) == pytest.approx(0.0)  # 1 / (2 sqrt(1/4)) = 1
    assert threshold(0.001) == pytest.approx(np.log(1000))


def test_honest_voters_are_flagged_at_most_alpha_of_the_time() -> None:
    """Ville's inequality, checked by simulation: voters drawn from the consensus itself."""
    rng = np.random.default_rng(11)
    probs = np.array([0.6, 0.25, 0.1, 0.05])
    names = ["a", "b", "tie", "both_bad"]
    history = dict(zip(names, (probs * 400).astype(int), strict=True))
    alpha, voters, flagged = 0.05, 2000, 0
    for _ in range(voters):
        log_m = 0.0
        for outcome in rng.choice(4, size=60, p=probs):
            log_m += log_e_value(consensus_p_value(history, names[outcome]))
            if log_m >= threshold(alpha):
                flagged += 1
                break
    assert flagged / voters <= alpha


def test_voter_against_the_consensus_is_flagged_excluded_and_can_be_cleared(
    engine: Engine, settings: Settings
) -> None:
    policy = IntegrityPolicy(anomaly_alpha=0.01, anomaly_min_history=20)
    rng = np.random.default_rng(5)
    past = utcnow() - timedelta(seconds=30)
    # The crowd: on every pair, the lower model id wins nine times in ten.
    for i in range(240):
        battle = battle_for(engine, settings, rng, f"crowd-{i % 40}", now=past)
        lo_left = battle.left_model_id < battle.right_model_id
        lo_wins = rng.random() < 0.9
        vote(engine, battle, "a" if lo_left == lo_wins else "b", policy=policy)
    with session_scope(engine) as session:
        assert not any(voter_report(session, f"crowd-{i}").flagged for i in range(40))
    # The rigger always picks the higher id: p ~ 0.1 each time, e ~ 1.6; 1/alpha = 100.
    counted = []
    for _ in range(30):
        battle = battle_for(engine, settings, rng, "rigger", now=past)
        lo_left = battle.left_model_id < battle.right_model_id
        counted.append(vote(engine, battle, "b" if lo_left else "a", policy=policy))
    assert counted[0] and not counted[-1]
    with session_scope(engine) as session:
        report = voter_report(session, "rigger")
        assert report.flagged and report.flag_source == "auto"
        assert report.evidence >= 100 and "1/alpha = 100" in report.flag_reason
        assert report.excluded_votes == report.votes == 30
        (event,) = integrity_events(session, voter_id="rigger")
        assert event.action == "flag_voter" and event.votes_affected == counted.index(False)
    assert_stats_equal_group_by(engine)
    with session_scope(engine, write=True) as session:
        assert store.unflag_voter(session, voter_id="rigger", actor="t", reason="ok") == 30
    assert_stats_equal_group_by(engine)
    with session_scope(engine) as session:
        report = voter_report(session, "rigger")
        assert not report.flagged and report.evidence == 1.0 and report.excluded_votes == 0


def test_vote_sources_show_wins_from_new_voters_on_few_addresses(engine: Engine) -> None:
    with session_scope(engine) as session:
        left, right = session.exec(select(Clip).where(Clip.prompt_id == "t2v-ball")).all()[:2]
        slug = {m.id: m.slug for m in session.exec(select(Model))}

    def fixed(voter: str) -> Battle:
        with session_scope(engine, write=True) as session:
            return store.create_battle(
                session,
                track="text-to-video",
                prompt_id="t2v-ball",
                left=left,
                right=right,
                voter_id=voter,
                ttl_seconds=60,
                strategy="test",
                probability=1.0,
            )

    for _ in range(6):  # a regular voter at home: the left model wins
        vote(engine, fixed("regular"), "a", ip="home")
    for i in range(3):  # three fresh cookies behind one proxy: the right model wins
        vote(engine, fixed(f"fresh-{i}"), "b", ip="proxy")
    vote(engine, fixed("fresh-9"), "tie", ip="elsewhere")
    with session_scope(engine) as session:
        rows = {
            r.model: r
            for r in vote_sources(session, track="text-to-video", since=utcnow() - timedelta(1))
        }
    steady, lifted = rows[slug[left.model_id]], rows[slug[right.model_id]]
    assert (steady.votes, steady.wins, steady.new_voter_win_share) == (10, 6.5, 0.0769)
    assert (steady.addresses, steady.top_address_win_share) == (2, 1.0)
    assert (lifted.votes, lifted.wins, lifted.new_voter_win_share) == (10, 3.5, 1.0)
    assert lifted.addresses == 2
