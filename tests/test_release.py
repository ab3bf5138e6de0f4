"""Parquet releases: the vote table and the dataset folder, loaded with pandas and ``datasets``,
and rated back by ``arena recompute --input`` to the database's own ratings."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.cli import main
from arena.core.errors import BattleFileError, Invalid
from arena.core.ranking.battlefile import read_battle_file
from arena.core.ranking.compute import rate
from arena.core.vocabulary import TRACKS
from arena.registry.base import ConfigError
from arena.registry.config import ReleaseInfo, load_config
from arena.services.dataset.card import CardFacts
from arena.services.dataset.export import clip_hash, export_salt, voter_hash
from arena.services.dataset.records import MODEL_COLUMNS, PROMPT_COLUMNS, VOTE_COLUMNS
from arena.services.dataset.release import write_dataset, write_vote_table
from arena.services.recompute import RecomputeOptions, recompute_all
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.export import iter_votes
from arena.store.tables import Battle, Clip, Vote
from tests.conftest import need
from tests.seeded import LATER, VOTES
from tests.test_api import new_battle

ALL = VOTES + LATER
LICENSED = '\n[release]\nlicense = "cc-by-4.0"\ntitle = "Test video arena"\n'
WITHOUT_PYARROW = (  # each argument list run in one fresh interpreter where pyarrow is absent
    "import json, sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None; "
    "from arena.cli import main; print(json.dumps([main(a) for a in json.loads(sys.argv[1])]))"
)


@pytest.fixture
def cli(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str, str]]:
    """``arena ARGS`` run in this process on the test's arena: (exit status, stdout, stderr)."""
    monkeypatch.setenv("ARENA_DATABASE_URL", settings.database_url)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def exclude_some(engine: Engine) -> tuple[set[int], set[int]]:
    """Flag two votes (reason admin) and one voter (reason voter); returns both vote-id sets."""
    with session_scope(engine, write=True) as session:
        for vote_id in (3, 7):
            store.flag_vote(session, vote_id=vote_id, actor="test", reason="spam")
    with session_scope(engine) as session:
        voter = session.exec(select(Vote.voter_id).where(Vote.id == 20)).one()
    with session_scope(engine, write=True) as session:
        store.flag_voter(session, voter_id=voter, actor="test", reason="sybil")
    with session_scope(engine) as session:
        theirs = {v for v in session.exec(select(Vote.id).where(Vote.voter_id == voter)) if v}
    return {3, 7}, theirs - {3, 7}


@pytest.fixture
def config(tmp_path: Path, config_path: Path) -> Path:
    """The test arena's config (images beside it) with a release licence."""
    folder = tmp_path / "config"
    shutil.copytree(config_path.parent, folder)
    path = folder / "arena.toml"
    path.write_text(path.read_text() + LICENSED)
    return path


def test_the_vote_table_carries_the_video_battle_fields(
    seeded: Engine, seeded_client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    for outcome in ("both_bad", "tie"):  # cast live, through the API
        issued = new_battle(seeded_client, "image-to-video")
        assert seeded_client.post(issued["vote_url"], json={"outcome": outcome}).status_code == 200
    admin, voter = exclude_some(seeded)
    salt, _ = export_salt(settings)
    stats = write_vote_table(iter_votes(seeded), tmp_path / "votes.parquet", salt=salt)
    assert stats.votes == ALL + 2 and stats.excluded == {"admin": 2, "voter": len(voter)}
    table = pq.read_table(tmp_path / "votes.parquet")
    assert table.schema.names == [name for name, _, _ in VOTE_COLUMNS]
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    votes = table.to_pandas()
    assert len(votes) == ALL + 2 and list(votes.vote_id) == sorted(votes.vote_id)
    assert set(votes.track) == set(TRACKS)
    assert list(votes.outcome[-2:]) == ["both_bad", "tie"]  # kept apart
    assert set(votes.outcome) == {"a", "b", "tie", "both_bad"}
    winner = {"a": "model_a", "b": "model_b", "tie": "tie", "both_bad": "tie (bothbad)"}
    assert (votes.outcome.map(winner) == votes.winner).all()
    reasons = dict(zip(votes.vote_id, votes.exclusion_reason, strict=True))
    assert {v for v, c in zip(votes.vote_id, votes.counted, strict=True) if not c} == admin | voter
    assert {reasons[v] for v in admin} == {"admin"} and {reasons[v] for v in voter} == {"voter"}
    assert votes[votes.counted].exclusion_reason.isna().all()
    # Every field checked against the database, row by row.
    with session_scope(seeded) as session:
        db = {v.id: v for v in session.exec(select(Vote))}
        battles = {b.id: b for b in session.exec(select(Battle))}
        clips = {c.id: c.public_id for c in session.exec(select(Clip))}
    for row in votes.itertuples():
        vote, battle = db[row.vote_id], battles[row.battle_id]
        assert (row.track, row.prompt_id, row.voter) == (
            vote.track,
            vote.prompt_id,
            voter_hash(salt, vote.voter_id),
        )
        assert row.clip_a == clip_hash(salt, clips[battle.left_clip_id])
        assert row.clip_b == clip_hash(salt, clips[battle.right_clip_id])
        assert row.clip_a not in clips.values() and len(row.clip_a) == 16
        assert row.tstamp == pytest.approx(row.created_at.timestamp())
    assert votes.prompt.str.len().min() > 0 and votes.categories.map(len).min() >= 1


def test_export_votes_as_parquet_from_the_command_line(
    seeded: Engine,
    settings: Settings,
    config: Path,
    tmp_path: Path,
    cli: Callable[..., tuple[int, str, str]],
) -> None:
    out = tmp_path / "votes.parquet"
    data = str(settings.data_dir)
    code, _, err = cli("export", "votes", "--data-dir", data, "--format", "parquet", "-o", str(out))
    assert code == 0, err
    assert f"exported {ALL} votes (0 excluded) as parquet to {out}" in err
    assert len(pd.read_parquet(out)) == ALL
    code, _, err = cli("export", "votes", "--data-dir", data, "--format", "parquet")
    assert code == 2 and "give -o FILE" in err
    nowhere = tmp_path / "no-such-folder" / "votes.parquet"
    code, _, err = cli(
        "export", "votes", "--data-dir", data, "--format", "parquet", "-o", str(nowhere)
    )
    assert code == 2 and f"arena: error: {nowhere}: cannot write it" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target, message in (
        (blocker, "exists and is not a folder"),
        (blocker / "sub", "cannot make"),
    ):
        args = ("--data-dir", data, "--config", str(config), "--dataset", str(target))
        code, _, err = cli("export", "votes", *args)
        assert code == 2 and f"--dataset {target}: {message}" in err
    code, _, err = cli("export", "votes", "--data-dir", data, "--format", "csv", "--dataset", data)
    assert code == 2 and "--dataset writes parquet tables; drop --format csv" in err


def test_a_dataset_folder_loads_with_pandas(
    seeded: Engine,
    settings: Settings,
    config: Path,
    tmp_path: Path,
    cli: Callable[..., tuple[int, str, str]],
) -> None:
    admin, voter = exclude_some(seeded)
    folder = tmp_path / "release"
    data = str(settings.data_dir)
    code, _, err = cli(
        "export", "votes", "--data-dir", data, "--config", str(config), "--dataset", str(folder)
    )
    assert code == 0, err
    assert "4 models, 8 prompts" in err and "licence cc-by-4.0" in err
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "models.parquet",
        "prompts.parquet",
        "votes.parquet",
    ]
    votes = pd.read_parquet(folder / "votes.parquet")
    models = pd.read_parquet(folder / "models.parquet")
    prompts = pd.read_parquet(folder / "prompts.parquet")
    assert len(votes) == ALL and int((~votes.counted).sum()) == len(admin | voter)
    assert list(models.columns) == [name for name, _, _ in MODEL_COLUMNS]
    assert list(prompts.columns) == [name for name, _, _ in PROMPT_COLUMNS]
    assert set(models.model) == set(votes.model_a) | set(votes.model_b)
    clean = models.set_index("model").loc["clean-1"]
    assert (clean["name"], clean.organization, clean.license) == (
        "Clean One",
        "Test Lab",
        "proprietary",
    )
    assert list(clean.tracks) == list(TRACKS) and str(clean.release_date) == "2026-01-01"
    assert set(prompts.prompt_id) == set(votes.prompt_id) and len(prompts) == 8
    by_id = prompts.set_index("prompt_id")
    for row in votes.itertuples():  # the votes' prompt fields agree with the prompts table
        assert by_id.loc[row.prompt_id].text == row.prompt
        assert list(by_id.loc[row.prompt_id].categories) == list(row.categories)
    assert (prompts.has_image == prompts.track.str.startswith("image-to-video")).all()

    card = (folder / "README.md").read_text()
    front, body = card.split("---\n")[1], card.split("---\n", 2)[2]
    assert 'license: "cc-by-4.0"' in front and 'pretty_name: "Test video arena"' in front
    assert "- config_name: votes\n  data_files: votes.parquet\n  default: true" in front
    assert "- config_name: prompts\n  data_files: prompts.parquet" in front
    counted = ALL - len(admin | voter)
    assert f"- {ALL} votes: {counted} counted, {len(admin | voter)} excluded (2 `admin`, " in body
    assert "- 4 models, 8 prompts" in body and "Licence: **cc-by-4.0**" in body
    for name, kind, _ in VOTE_COLUMNS + MODEL_COLUMNS + PROMPT_COLUMNS:
        assert f"| `{name}` | {kind} |" in body
    assert "Bradley-Terry" in body and "1000-round bootstrap with seed 0" in body
    for track in TRACKS:
        assert f"arena recompute --input votes.parquet --where track={track} " in body


def test_a_dataset_loads_with_the_datasets_library(
    seeded: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need(importlib.util.find_spec("datasets") is not None, "datasets is not installed")
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):  # nothing from the network, ever
        monkeypatch.setenv(key, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    folder = tmp_path / "release"
    salt, _ = export_salt(settings)
    write_dataset(
        seeded,
        iter_votes(seeded),
        folder,
        salt=salt,
        info=ReleaseInfo(license="cc-by-4.0"),
        facts=CardFacts(config=Path("arena.toml"), min_votes=100),
    )
    import datasets

    cache = str(tmp_path / "cache")
    direct = datasets.load_dataset(
        "parquet", data_files=str(folder / "votes.parquet"), cache_dir=cache
    )["train"]
    assert direct.num_rows == ALL
    assert direct.column_names == [name for name, _, _ in VOTE_COLUMNS]
    assert Counter(direct["outcome"]) == Counter(pd.read_parquet(folder / "votes.parquet").outcome)
    # The folder as it would be published: the card's configs name each table.
    votes = datasets.load_dataset(str(folder), cache_dir=cache)["train"]
    assert votes.num_rows == ALL and votes[0]["vote_id"] == 1
    models = datasets.load_dataset(str(folder), "models", cache_dir=cache)["train"]
    assert sorted(models["model"]) == ["broken-3", "clean-1", "grainy-2", "mute-4"]
    prompts = datasets.load_dataset(str(folder), "prompts", cache_dir=cache)["train"]
    assert prompts.num_rows == 8


def test_recompute_input_rates_a_release_as_the_database_does(
    seeded: Engine,
    settings: Settings,
    tmp_path: Path,
    cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exclude_some(seeded)  # counted votes only, by default, on both sides
    salt, _ = export_salt(settings)
    folder, file = tmp_path / "release", tmp_path / "votes.parquet"
    options = RecomputeOptions(rounds=200)
    facts = CardFacts(config=Path("arena.toml"), min_votes=settings.min_votes, options=options)
    info = ReleaseInfo(license="cc-by-4.0")
    write_dataset(seeded, iter_votes(seeded), folder, salt=salt, info=info, facts=facts)
    write_vote_table(iter_votes(seeded), file, salt=salt)
    official = {(s.track, s.category): s.ratings for s in recompute_all(seeded, settings, options)}
    categories = {c for _, c in official if c}
    assert len(categories) >= 3
    for (track, category), mine in official.items():
        where: dict[str, object] = {"track": track}
        if category:
            where[f"category_tag.{category}"] = True
        for source in (folder, file):
            theirs = rate(read_battle_file(source, where=where), **options.rate_kwargs(settings))
            assert theirs.models == mine.models and theirs.n_votes == mine.n_votes
            for field in ("rating", "lower", "upper"):
                assert np.allclose(getattr(theirs, field), getattr(mine, field), atol=0.01), field
    # The card's own command, as printed, gives the same numbers.
    card = (folder / "README.md").read_text()
    line = next(x for x in card.splitlines() if x.startswith("arena recompute --input"))
    track = line.split("--where track=")[1].split()[0]
    example = re.search(r"e\.g\. `(arena recompute [^`]+)`", card)
    assert example is not None
    category = example[1].split("category_tag.")[1].split("=")[0]
    monkeypatch.chdir(folder)
    for command, key in (
        (line, (track, "")),
        (example[1], (example[1].split("track=")[1].split()[0], category)),
    ):
        code, out, err = cli(*shlex.split(command)[1:], "--format", "json")
        assert code == 0, err
        printed = {m["model"]: m["rating"] for m in json.loads(out)["models"]}
        mine = official[key]
        assert len(printed) == len(mine.models)
        for model, rating in zip(mine.models, mine.rating, strict=True):
            assert abs(printed[model] - rating) < 0.01
    # The excluded votes only, when asked.
    excluded = read_battle_file(folder, where={"counted": False})
    assert excluded.count.sum() == int((~pd.read_parquet(file).counted).sum())


def test_without_pyarrow_parquet_fails_naming_the_extra(
    seeded: Engine, settings: Settings, config: Path, tmp_path: Path
) -> None:
    pq.write_table(pq.read_table(write_small(tmp_path)), tmp_path / "votes.parquet")
    env = {"ARENA_DATABASE_URL": settings.database_url}
    data = str(settings.data_dir)
    runs: list[list[str]] = [
        ["export", "votes", "--data-dir", data, "--format", "parquet", "-o", str(tmp_path / "o")],
        ["export", "votes", "--data-dir", data, "--config", str(config), "--dataset", data + "r"],
        ["recompute", "--input", str(tmp_path / "votes.parquet")],
    ]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYARROW, json.dumps(runs)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert json.loads(result.stdout) == [2, 2, 2], result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and "Traceback" not in result.stderr
    for line in lines:
        assert line.startswith("arena: error: ") and "pyarrow" in line, line
        assert line.endswith("is not installed: pip install 'arena[release]'"), line
    assert not (tmp_path / "o").exists() and not Path(data + "r").exists()


def write_small(tmp_path: Path) -> Path:
    """A three-battle parquet file in FastChat's columns."""
    import pyarrow as pa

    path = tmp_path / "small.parquet"
    table = pa.table(
        {
            "model_a": ["x", "y", "x"],
            "model_b": ["y", "z", "z"],
            "winner": ["model_a", "tie (bothbad)", "model_b"],
        }
    )
    pq.write_table(table, path)
    return path


def test_recompute_input_reads_any_parquet_battle_file_and_names_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    comp = read_battle_file(write_small(tmp_path))  # no `counted` column: every row
    assert comp.models == ("x", "y", "z") and comp.count.sum() == 3
    import pyarrow as pa

    bad = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"model_a": ["x", "x"], "model_b": ["y", "y"]} | {"winner": ["model_a", "draw"]}),
        bad,
    )
    with pytest.raises(BattleFileError, match=r"bad.parquet:row 2: field 'winner': unknown"):
        read_battle_file(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BattleFileError, match=r"without votes\.parquet"):
        read_battle_file(tmp_path / "empty")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(BattleFileError, match="not a readable parquet file"):
        read_battle_file(broken)
    assert main(["recompute", "--input", str(bad)]) == 2
    assert "row 2: field 'winner'" in capsys.readouterr().err


def test_a_dataset_needs_a_licence(
    seeded: Engine,
    settings: Settings,
    config_path: Path,
    tmp_path: Path,
    cli: Callable[..., tuple[int, str, str]],
) -> None:
    salt, _ = export_salt(settings)
    facts = CardFacts(config=config_path, min_votes=100)
    with pytest.raises(Invalid, match=r"no \[release\] license"):
        write_dataset(
            seeded, iter_votes(seeded), tmp_path / "r", salt=salt, info=ReleaseInfo(), facts=facts
        )
    assert not (tmp_path / "r").exists()
    data = str(settings.data_dir)
    args = ("--data-dir", data, "--config", str(config_path), "--dataset", str(tmp_path / "r"))
    code, _, err = cli("export", "votes", *args)
    assert code == 2 and f"{config_path}: no [release] license" in err
    assert not (tmp_path / "r").exists()


def test_release_config_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "arena.toml"
    path.write_text('[release]\nlicense = "cc-by-4.0"\ntitle = "Mine"\n')
    assert load_config(path).release == ReleaseInfo(license="cc-by-4.0", title="Mine")
    for body, message in (
        ('[release]\nlicence = "x"\n', "release: unknown key 'licence'"),
        ('[release]\nlicense = "CC BY 4.0"\n', "must be a licence identifier"),
        ('release = "cc-by-4.0"\n', r"must be a table \(\[release\]\)"),
    ):
        path.write_text(body)
        with pytest.raises(ConfigError, match=message):
            load_config(path)
