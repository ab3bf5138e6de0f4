"""The maintained statistics equal a GROUP BY over the counted votes on the paths that change
what counts besides single votes and flags: a prompt's categories edited in the config and
synced, a vote whose prompt moved track, and a rescan racing concurrent votes."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from arena import store
from arena.registry.base import PromptSpec
from arena.registry.config import load_config
from arena.registry.plugins import Registry, build_registry
from arena.services.demo import seed_votes
from arena.services.ingest import sync
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.comparisons import load_comparisons
from arena.store.tables import Battle, Clip, PairStat, Vote
from tests.invariants import assert_stats_equal_group_by


def slice_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """Votes per (track, category) in the maintained statistics."""
    out: dict[tuple[str, str], int] = {}
    with session_scope(engine) as session:
        for s in session.exec(select(PairStat)):
            out[(s.track, s.category)] = out.get((s.track, s.category), 0) + s.count
    return out


def edited_registry(config_path: Path, where: Path, edits: dict[str, str]) -> Registry:
    """The test arena's config copied to ``where`` with ``edits`` (old text: new) applied."""
    shutil.copytree(config_path.parent, where)
    path = where / config_path.name
    text = path.read_text(encoding="utf-8")
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return build_registry(load_config(path))


def test_a_category_change_synced_from_the_config_moves_the_counted_votes(
    engine: Engine, settings: Settings, registry: Registry, config_path: Path, tmp_path: Path
) -> None:
    seed_votes(engine, settings, registry.config, votes=80, seed=3)
    with session_scope(engine, write=True) as session:  # an excluded vote must not move
        first = session.exec(select(Vote).where(Vote.prompt_id == "t2v-ball")).first()
        assert first is not None and first.id is not None
        store.flag_vote(session, vote_id=first.id, actor="t", reason="spam")
    with session_scope(engine) as session:
        ball = len(session.exec(select(Vote.id).where(Vote.prompt_id == "t2v-ball")).all()) - 1
        sign = len(session.exec(select(Vote.id).where(Vote.prompt_id == "t2v-sign")).all())
    before = slice_counts(engine)
    assert before[("text-to-video", "motion")] == ball > 0
    # t2v-ball leaves "motion" and joins "people"; t2v-sign joins "motion".
    edited = edited_registry(
        config_path,
        tmp_path / "edited",
        {
            'categories = ["motion", "objects"]': 'categories = ["objects", "people"]',
            'categories = ["text-in-video"]': 'categories = ["motion", "text-in-video"]',
        },
    )
    report = sync(engine, edited, settings)
    assert not report.rejected
    assert_stats_equal_group_by(engine)
    after = slice_counts(engine)
    assert after[("text-to-video", "people")] == ball
    assert after[("text-to-video", "motion")] == sign
    assert after[("text-to-video", "objects")] == before[("text-to-video", "objects")]
    assert after[("text-to-video", "")] == before[("text-to-video", "")]
    # The category boards fit from the maintained rows rate what a rescan rates.
    people, _ = load_comparisons(engine, track="text-to-video", category="people")
    assert people.n_votes == ball
    maintained = {
        (s.track, s.category): s.fingerprint
        for s in recompute_all(engine, settings, RecomputeOptions(ci="none"))
    }
    rescanned = {
        (s.track, s.category): s.fingerprint
        for s in recompute_all(engine, settings, RecomputeOptions(ci="none"), rescan=True)
    }
    assert maintained == rescanned
    # Syncing the original config back moves them back.
    sync(engine, registry, settings)
    assert_stats_equal_group_by(engine)
    assert slice_counts(engine) == before


def test_votes_count_in_the_track_they_were_cast_in_after_their_prompt_moves(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=40, seed=4)
    moved = PromptSpec(
        id="t2v-ball", track="text-to-video-audio", text="moved", categories=("motion", "objects")
    )
    with session_scope(engine, write=True) as session:
        store.upsert_prompt(session, spec=moved, image_file=None)
    assert_stats_equal_group_by(engine)
    recompute_all(engine, settings, RecomputeOptions(ci="none"), rescan=True)
    assert_stats_equal_group_by(engine)


VOTERS, EACH = 4, 30


def issue_battles(engine: Engine, n: int, *, same: bool = False) -> list[Battle]:
    """``n`` battles over the text-to-video prompts (``same``: all on one prompt and pair),
    for voters ``voter-0`` ... ``voter-{VOTERS - 1}`` in turn."""
    rng = np.random.default_rng(0)
    with session_scope(engine) as session:
        clips = session.exec(select(Clip).where(Clip.track == "text-to-video")).all()
    battles = []
    for i in range(n):
        prompt = ("t2v-ball", "t2v-sign")[0 if same else i % 2]
        pool = [c for c in clips if c.prompt_id == prompt]
        left, right = pool[:2] if same else rng.choice(pool, 2, replace=False)
        with session_scope(engine, write=True) as session:
            battles.append(
                store.create_battle(
                    session,
                    track="text-to-video",
                    prompt_id=prompt,
                    left=left,
                    right=right,
                    voter_id=f"voter-{i % VOTERS}",
                    ttl_seconds=600,
                    strategy="test",
                    probability=0.5,
                )
            )
    return battles


def cast_in(session: Session, *, battle: Battle, outcome: str) -> None:
    store.record_vote(
        session,
        battle_id=battle.id,
        voter_id=battle.voter_id,
        outcome=outcome,
        watch_ms=None,
        k=4.0,
        initial=1000.0,
    )


def cast(engine: Engine, battle: Battle, outcome: str) -> None:
    with session_scope(engine, write=True) as session:
        cast_in(session, battle=battle, outcome=outcome)


def held_open(engine: Engine, write: Callable[[Session], object], then: Callable[[], None]) -> None:
    """Run ``write`` in a transaction that, done but for its commit, waits 0.5 s while
    ``then`` runs in another thread (and blocks, or not, on the transaction's locks)."""
    reached = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        reached.wait(10)
        try:
            then()
        except BaseException as exc:  # reported below
            errors.append(exc)

    other = threading.Thread(target=run, daemon=True)
    other.start()

    def hold(_session: Session) -> None:
        reached.set()
        time.sleep(0.5)

    with session_scope(engine, write=True) as session:
        event.listen(session, "before_commit", hold)
        write(session)
    other.join(20)
    assert not other.is_alive() and not errors, errors
    assert reached.is_set()


def rescan(engine: Engine) -> None:
    store.rebuild_pair_stats(engine)


def move_ball_to_people(engine: Engine, registry: Registry) -> None:
    spec = next(p for p in registry.config.prompts if p.id == "t2v-ball")
    with session_scope(engine, write=True) as session:
        store.upsert_prompt(
            session, spec=dataclasses.replace(spec, categories=("people",)), image_file=None
        )


@pytest.mark.parametrize("writer", ["vote", "flag"])
@pytest.mark.parametrize("other", ["rescan", "category change"])
def test_a_rescan_or_category_change_takes_turns_with_a_vote_or_flag_in_flight(
    engine: Engine, registry: Registry, writer: str, other: str
) -> None:
    """The write in flight updates PairStat rows that exist (a row it creates is invisible to
    the other transaction until committed), on the prompt whose categories change."""
    first, second = issue_battles(engine, 2, same=True)
    cast(engine, first, "a")
    if writer == "vote":
        write = partial(cast_in, battle=second, outcome="a")
    else:
        write = partial(store.flag_voter, voter_id=first.voter_id, actor="t", reason="x")
    then = (
        partial(rescan, engine)
        if other == "rescan"
        else partial(move_ball_to_people, engine, registry)
    )
    held_open(engine, write, then)
    assert assert_stats_equal_group_by(engine) == (2 if writer == "vote" else 0)


def test_a_rescan_loses_and_doubles_no_vote_cast_while_it_runs(
    engine: Engine, settings: Settings, registry: Registry
) -> None:
    seed_votes(engine, settings, registry.config, votes=60, seed=5)
    with session_scope(engine) as session:
        already = len(session.exec(select(Vote.id)).all())
    battles = issue_battles(engine, VOTERS * EACH)
    start = threading.Barrier(VOTERS + 1)
    latencies: list[float] = []
    errors: list[BaseException] = []

    def voter(mine: list[Battle]) -> None:
        try:
            start.wait()
            for n, battle in enumerate(mine):
                began = time.perf_counter()
                cast(engine, battle, ("a", "b", "tie", "both_bad")[n % 4])
                latencies.append(time.perf_counter() - began)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=voter, args=(battles[i::VOTERS],), daemon=True)
        for i in range(VOTERS)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    rescans = 0
    while any(t.is_alive() for t in threads) or rescans < 3:
        store.rebuild_pair_stats(engine)  # `arena recompute --rescan`
        store.rebuild_pair_stats(engine, tracks=["text-to-video"], categories=["", "motion"])
        rescans += 1
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(latencies) == VOTERS * EACH
    counted = assert_stats_equal_group_by(engine)
    assert counted == already + VOTERS * EACH
    assert rescans >= 3
    print(f"{rescans} rescans; slowest vote {max(latencies) * 1000:.0f} ms")


@pytest.mark.parametrize("categories", [None, ["", "motion"]])
def test_a_rescan_of_consistent_statistics_changes_nothing(
    engine: Engine, settings: Settings, registry: Registry, categories: list[str] | None
) -> None:
    seed_votes(engine, settings, registry.config, votes=40, seed=6)
    before = slice_counts(engine)
    assert store.rebuild_pair_stats(engine, categories=categories) == 0
    assert_stats_equal_group_by(engine)
    assert slice_counts(engine) == before
