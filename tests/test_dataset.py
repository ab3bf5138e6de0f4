"""Data releases: export the vote log, import it (or LMArena's) back, re-rate: same leaderboard."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.errors import Invalid
from arena.core.ranking.battlefile import read_battle_file
from arena.core.ranking.compute import rate
from arena.core.vocabulary import TRACKS
from arena.registry.plugins import Registry
from arena.services.dataset.export import export_salt, write_votes
from arena.services.dataset.importer import import_slug, import_votes_file
from arena.services.ingest import sync
from arena.services.leaderboard import BoardQuery, build_leaderboard
from arena.services.recompute import recompute_all
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema, session_scope
from arena.store.reads.export import iter_votes
from arena.store.reads.pools import load_catalog
from arena.store.tables import Battle, Model, OnlineRating, PairStat, Prompt, PromptCategory, Vote
from tests.invariants import assert_stats_equal_group_by
from tests.seeded import LATER, OPTIONS, VOTES, claim_grain_pro


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Engine]:
    """A new arena with nothing in it: no models, no prompts, no clips."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty' / 'arena.db'}")
    prepare_schema(engine)
    yield engine
    engine.dispose()


def export(engine: Engine, settings: Settings, fmt: str, **kw: object) -> str:
    salt, source = export_salt(settings, **kw)  # type: ignore[arg-type]
    out = io.StringIO()
    write_votes(iter_votes(engine), out, fmt=fmt, salt=salt, salt_source=source)
    return out.getvalue()


def records(body: str, fmt: str) -> list[dict]:
    if fmt == "fastchat":
        return json.loads(body)
    if fmt == "jsonl":
        return [json.loads(line) for line in body.splitlines()]
    return list(csv.DictReader(io.StringIO(body)))


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


SUFFIX = {"fastchat": "json", "jsonl": "jsonl", "csv": "csv"}


@pytest.mark.parametrize("fmt", ["fastchat", "jsonl", "csv"])
def test_export_holds_every_vote_in_order_with_voters_hashed(
    seeded: Engine, settings: Settings, fmt: str
) -> None:
    body = export(seeded, settings, fmt)
    rows = records(body, fmt)
    with session_scope(seeded) as session:
        votes = session.exec(select(Vote).order_by(Vote.id)).all()  # type: ignore[arg-type]
        slugs = {m.id: m.slug for m in session.exec(select(Model))}
    assert len(rows) == len(votes) == VOTES + LATER
    salt = (settings.data_dir / "export.salt").read_text().strip().encode()
    for vote, row in zip(votes, rows, strict=True):
        voter = row["judge"] if fmt == "fastchat" else row["voter"]
        assert voter == hmac.new(salt, vote.voter_id.encode(), hashlib.sha256).hexdigest()[:16]
        assert row["model_a"] == slugs[vote.model_a_id] and row["model_b"] == slugs[vote.model_b_id]
        assert row["track"] == vote.track and row["prompt_id"] == vote.prompt_id
        assert str(row["excluded"]).lower() == "false"
    assert not any(v.voter_id in body for v in votes)  # no raw voter id anywhere
    if fmt == "fastchat":
        winners = {r["winner"] for r in rows}
        assert winners <= {"model_a", "model_b", "tie", "tie (bothbad)"}
        assert all(r["anony"] is True and isinstance(r["tstamp"], float) for r in rows)


def test_the_salt_is_kept_secret_and_stable_unless_asked_otherwise(
    seeded: Engine, settings: Settings
) -> None:
    first = export(seeded, settings, "jsonl")
    path = settings.data_dir / "export.salt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert export(seeded, settings, "jsonl") == first  # same salt file: joinable releases
    fresh = export(seeded, settings, "jsonl", fresh=True)
    voters = {json.loads(line)["voter"] for line in first.splitlines()}
    assert voters.isdisjoint(json.loads(line)["voter"] for line in fresh.splitlines())
    assert export_salt(settings.with_(export_salt="pepper")) == (b"pepper", "ARENA_EXPORT_SALT")


def test_excluded_votes_are_exported_marked_and_not_imported(
    seeded: Engine, settings: Settings, empty: Engine, tmp_path: Path
) -> None:
    for vote_id in (3, 7):
        with session_scope(seeded, write=True) as session:
            store.flag_vote(session, vote_id=vote_id, actor="test", reason="spam")
    rows = [json.loads(line) for line in export(seeded, settings, "jsonl").splitlines()]
    assert [r["vote_id"] for r in rows if r["excluded"]] == [3, 7]
    report = import_votes_file(
        empty, settings, write(tmp_path, "v.jsonl", "\n".join(map(json.dumps, rows)))
    )
    assert report.excluded == 2 and report.imported == len(rows) - 2 and not report.rejected


def snapshots_by_slice(engine: Engine, settings: Settings) -> dict[tuple[str, str], object]:
    return {(s.track, s.category): s for s in recompute_all(engine, settings, OPTIONS)}


def live(engine: Engine) -> dict[tuple[str, str], tuple[float, int, int, int, int]]:
    with session_scope(engine) as session:
        slugs = {m.id: m.slug for m in session.exec(select(Model))}
        return {
            (r.track, slugs[r.model_id]): (r.rating, r.votes, r.wins, r.losses, r.ties)
            for r in session.exec(select(OnlineRating))
        }


@pytest.mark.parametrize("fmt", ["fastchat", "jsonl", "csv"])
def test_round_trip_into_an_empty_arena_gives_the_same_leaderboard(
    seeded: Engine, settings: Settings, empty: Engine, tmp_path: Path, fmt: str
) -> None:
    path = write(tmp_path, f"votes.{SUFFIX[fmt]}", export(seeded, settings, fmt))
    report = import_votes_file(empty, settings, path)
    assert (report.imported, report.rejected, report.duplicates) == (VOTES + LATER, [], 0)
    assert sorted(report.models_created) == ["broken-3", "clean-1", "grainy-2", "mute-4"]
    assert len(report.prompts_created) == 8
    before, after = snapshots_by_slice(seeded, settings), snapshots_by_slice(empty, settings)
    assert set(before) == set(after) and len(before) > 4  # every track and category
    for key, mine in before.items():
        theirs = after[key]
        assert mine.fingerprint == theirs.fingerprint, key  # type: ignore[attr-defined]
        a, b = mine.ratings, theirs.ratings  # type: ignore[attr-defined]
        assert a.models == b.models
        for field in ("rating", "lower", "upper", "rank", "votes", "win_rate"):
            assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
    # The live Elo replays the votes in the order they were cast: equal to the last digit.
    assert live(empty) == live(seeded)


def test_round_trip_into_a_synced_arena_gives_the_same_board_row_for_row(
    seeded: Engine, settings: Settings, registry: Registry, tmp_path: Path
) -> None:
    other = settings.with_(data_dir=tmp_path / "other", database_url="", media_dir=Path())
    engine = make_engine(other.database_url)
    prepare_schema(engine)
    sync(engine, registry, other)
    path = write(tmp_path, "votes.json", export(seeded, settings, "fastchat"))
    report = import_votes_file(engine, other, path)
    assert report.imported == VOTES + LATER and not report.models_created
    assert not report.prompts_created  # every prompt is the arena's own, categories included
    recompute_all(seeded, settings, OPTIONS)
    recompute_all(engine, other, OPTIONS)
    for track in TRACKS:
        for category in ("", "motion", "sound"):
            query = BoardQuery(track=track, category=category)
            with session_scope(seeded) as s1, session_scope(engine) as s2:
                known = {
                    c.id
                    for c in build_leaderboard(
                        s1, BoardQuery(track=track), settings=settings
                    ).categories
                }
                if category not in known:
                    continue
                mine = build_leaderboard(s1, query, settings=settings)
                theirs = build_leaderboard(s2, query, settings=other)
            assert mine.rows == theirs.rows, (track, category)
            assert mine.official and theirs.official
            assert mine.official.fingerprint == theirs.official.fingerprint
    engine.dispose()


def test_a_fastchat_export_rates_the_same_with_any_fastchat_tool(
    seeded: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path, "votes.json", export(seeded, settings, "fastchat"))
    summaries = {
        (s.track, s.category): s for s in recompute_all(seeded, settings, OPTIONS, categories=[""])
    }
    for track in TRACKS:
        comp = read_battle_file(path, where={"track": track, "excluded": False})
        ratings = rate(comp, **OPTIONS.rate_kwargs(settings))
        mine = summaries[(track, "")].ratings
        assert ratings.fingerprint == mine.fingerprint
        assert np.array_equal(ratings.rating, mine.rating)


def test_importing_twice_stores_nothing_twice(
    seeded: Engine, settings: Settings, empty: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "votes.jsonl", export(seeded, settings, "jsonl"))
    assert import_votes_file(empty, settings, path).imported == VOTES + LATER
    again = import_votes_file(empty, settings, path)
    assert (again.imported, again.duplicates) == (0, VOTES + LATER)
    # An arena's own export, imported into itself, is recognised too.
    home = import_votes_file(seeded, settings, path)
    assert (home.imported, home.duplicates) == (0, VOTES + LATER)
    with session_scope(empty) as session:
        assert len(session.exec(select(Vote)).all()) == VOTES + LATER


def test_imported_votes_sit_where_live_ones_do(
    seeded: Engine, settings: Settings, empty: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "votes.json", export(seeded, settings, "fastchat"))
    import_votes_file(empty, settings, path)

    def stats(engine: Engine) -> set[tuple]:
        with session_scope(engine) as session:
            return {
                (s.track, s.category, s.model_lo, s.model_hi, s.outcome, s.count)
                for s in session.exec(select(PairStat))
            }

    maintained = stats(empty)
    assert assert_stats_equal_group_by(empty) == assert_stats_equal_group_by(seeded) > 0
    assert store.rebuild_pair_stats(empty) == 0  # what `arena recompute --rescan` does
    assert stats(empty) == maintained
    with session_scope(empty) as session:
        battles = session.exec(select(Battle)).all()
        models = session.exec(select(Model)).all()
    assert all(b.strategy == "imported" and b.left_clip_id is None for b in battles)
    assert {m.provider for m in models} == {"imported"}
    assert load_catalog(empty).pools == {}  # no clips: imported models never enter a battle


BAD_LINES = [
    ("{not json", "invalid JSON"),
    ('{"model_a": "x", "winner": "model_a"}', "field 'model_b' is missing"),
    ('{"model_a": "x", "model_b": "y", "winner": "left"}', "unknown label 'left'"),
    ('{"model_a": "x", "model_b": "x", "winner": "tie"}', "same model on both sides"),
    ('{"model_a": "x", "model_b": "y", "outcome": "draw"}', "field 'outcome': unknown 'draw'"),
    ('{"model_a": "x", "model_b": "y", "winner": "tie", "track": "radio"}', "unknown 'radio'"),
    ('{"model_a": "x", "model_b": "y", "winner": "tie", "prompt_id": "a b"}', "is not an id"),
    ('{"model_a": "x", "model_b": "y", "winner": "tie", "tstamp": "soon"}', "must be a Unix time"),
    ('{"model_a": "x", "model_b": "y", "outcome": "a", "watch_ms": -1}', "whole number >= 0"),
    ('{"model_a": "x", "model_b": "y", "outcome": "a", "categories": [""]}', "1 to 60 characters"),
    ('{"model_a": "x", "model_b": "y", "outcome": "a", "excluded": "maybe"}', "true or false"),
    ("[1, 2]", "expected an object"),
    ('{"model_a": "x", "model_b": "y"}', "no 'winner' (FastChat) or 'outcome' (Arena) field"),
    (
        '{"model_a": "x", "model_b": "y", "outcome": "a", "track": "image-to-video", '
        '"prompt_id": "t2v-ball"}',
        "prompt 't2v-ball' is on track 'text-to-video', the vote on 'image-to-video'",
    ),
]


def test_every_bad_line_is_rejected_with_its_number_and_reason(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    good = json.dumps(
        {"model_a": "clean-1", "model_b": "broken-3", "winner": "model_a", "prompt_id": "t2v-ball"}
    )
    lines = [good] + [line for line, _ in BAD_LINES] + ["", good.replace('model_a"}', 'tie"}')]
    path = write(tmp_path, "mixed.jsonl", "\n".join(lines) + "\n")
    checked = import_votes_file(engine, settings, path, dry_run=True)
    assert checked.imported == 2 and len(checked.rejected) == len(BAD_LINES)
    assert checked.models_created == []  # no line naming unknown models was good
    strict = import_votes_file(engine, settings, path, strict=True)
    assert strict.dry_run and len(strict.rejected) == len(BAD_LINES)
    with session_scope(engine) as session:
        assert session.exec(select(Vote)).all() == []  # neither wrote anything
    report = import_votes_file(engine, settings, path)
    assert report.imported == 2 and report.records == len(BAD_LINES) + 2
    for (line, reason), (_, needle) in zip(report.rejected, BAD_LINES, strict=True):
        assert needle in reason, (line, reason)
    assert [line for line, _ in report.rejected] == list(range(2, 2 + len(BAD_LINES)))


def test_models_and_prompts_are_matched_claimed_or_created(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    claim_grain_pro(engine)
    lines = [
        # A claimed model's codename counts for the claimed model.
        {"model_a": "grainy-2", "model_b": "clean-1", "winner": "model_b", "prompt_id": "t2v-ball"},
        # LMArena-style: a name that is no id, nested category tags, no prompt.
        {
            "model_a": "Open Model (v2)",
            "model_b": "clean-1",
            "winner": "tie (bothbad)",
            "question_id": "f2c1d1a6a8c34e6f9b3e0f1d2c3b4a59",
            "judge": "arena_user_42",
            "tstamp": 1_700_000_000.5,
            "category_tag": {
                "criteria_v0.1": {"complexity": True, "creativity": False},
                "if_v0.1": {"if": True},
            },
            "conv_metadata": {"sum_user_tokens": 12},
        },
        {
            "model_a": "Open Model (v2)",
            "model_b": "grain-pro",
            "outcome": "a",
            "track": "image-to-video",
        },
    ]
    path = write(tmp_path, "mixed.jsonl", "\n".join(json.dumps(x) for x in lines))
    report = import_votes_file(engine, settings, path)
    assert report.imported == 3 and not report.rejected
    slug = import_slug("Open Model (v2)")
    assert slug.startswith("Open-Model-v2-") and report.models_created == [slug]
    with session_scope(engine) as session:
        created = session.exec(select(Model).where(Model.slug == slug)).one()
        claimed = session.exec(select(Model).where(Model.slug == "grain-pro")).one()
        votes = session.exec(select(Vote).order_by(Vote.id)).all()  # type: ignore[arg-type]
        placeholder = session.get(Prompt, votes[1].prompt_id)
        categories = set(
            session.exec(
                select(PromptCategory.category).where(
                    PromptCategory.prompt_id == votes[1].prompt_id
                )
            )
        )
        battle = session.get(Battle, "f2c1d1a6a8c34e6f9b3e0f1d2c3b4a59")
    assert created.name == "Open Model (v2)" and created.provider == "imported"
    assert votes[0].model_a_id == claimed.id
    assert placeholder is not None and placeholder.id.startswith("imported-text-to-video-")
    assert categories == {"criteria_v0.1.complexity", "if_v0.1.if"}
    assert votes[1].voter_id == "import:arena_user_42" and votes[1].outcome == "both_bad"
    assert votes[1].created_at.timestamp() == pytest.approx(1_700_000_000.5)
    assert battle is not None and battle.strategy == "imported"
    assert votes[2].track == "image-to-video" and votes[2].prompt_id == "imported-image-to-video"
    board = web_rows(engine, settings, "text-to-video")
    assert slug in board and "grain-pro" in board


def web_rows(engine: Engine, settings: Settings, track: str) -> set[str]:
    with session_scope(engine) as session:
        return {
            r.model
            for r in build_leaderboard(session, BoardQuery(track=track), settings=settings).rows
        }


def test_an_unreadable_json_list_imports_nothing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "broken.json",
        '[{"model_a": "clean-1", "model_b": "mute-4", "winner": "tie"},\n{oops',
    )
    with pytest.raises(Invalid, match=r"broken\.json:2: invalid JSON"):
        import_votes_file(engine, settings, path)
    with session_scope(engine) as session:
        assert session.exec(select(Vote)).all() == []
