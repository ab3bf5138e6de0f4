"""The ``arena`` command as a newcomer meets it: a folder with no arena, a pipe into ``head``,
help on every option."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from arena.cli import build_parser
from arena.settings import Settings
from tests import pg
from tests.test_cli import arena

READERS = [
    ("export", "votes"),
    ("export", "leaderboard"),
    ("recompute",),
    ("audit", "blindness"),
    ("models", "list"),
    ("models", "retire", "clean-1"),
    ("models", "unretire", "clean-1"),
    ("models", "claim", "clean-1", "--name", "Clean", "--organization", "Lab"),
]


def bare_env(**extra: str) -> dict[str, str]:
    """This process's environment less every ARENA_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    return {**env, **extra}


def run_in(folder: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arena.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
        env=env,
    )


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_reader_in_a_folder_with_no_arena_says_so_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = run_in(tmp_path, *command, env=bare_env())
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no arena at arena-data/arena.db" in result.stderr
    assert "--data-dir" in result.stderr and "ARENA_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [], "the command left files behind"


def test_a_reader_pointed_at_an_empty_postgresql_database_says_so() -> None:
    if not pg.PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("ARENA_TEST_POSTGRES_URL is not set in CI")
        pytest.skip("ARENA_TEST_POSTGRES_URL is not set (PostgreSQL tests)")
    with pg.fresh_database(empty=True) as url:
        result = arena("export", "votes", env={"ARENA_DATABASE_URL": url})
        assert result.returncode == 2, result.stderr
        assert "no arena at postgresql+psycopg://" in result.stderr
        assert "ARENA_DATABASE_URL" in result.stderr


def test_a_command_that_makes_an_arena_still_makes_one(tmp_path: Path) -> None:
    battles = tmp_path / "battles.jsonl"
    battles.write_text('{"model_a": "x", "model_b": "y", "winner": "model_a"}\n')
    made = run_in(tmp_path, "import", "votes", str(battles), env=bare_env())
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "arena-data" / "arena.db").is_file()
    read = run_in(tmp_path, "export", "votes", "--format", "jsonl", env=bare_env())
    assert read.returncode == 0, read.stderr
    assert '"model_a": "x"' in read.stdout


def test_piping_into_head_ends_quietly(seeded: Engine, settings: Settings) -> None:
    env = bare_env(
        ARENA_DATA_DIR=str(settings.data_dir), ARENA_DATABASE_URL=str(settings.database_url)
    )
    command = f"{sys.executable} -m arena.cli export votes --format jsonl | head -n1"
    # The log must be larger than the pipe's buffer, or the writer finishes before head exits.
    full = subprocess.run(
        [sys.executable, "-m", "arena.cli", "export", "votes", "--format", "jsonl"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert len(full.stdout) > 65536, len(full.stdout)
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("{")
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
    assert result.returncode == 1  # the export was cut short: pipefail sees it, quietly


def walk(parser: argparse.ArgumentParser, path: str = "arena"):  # type: ignore[no-untyped-def]
    """(command path, parser) for the parser and every sub-command below it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, f"{path} {name}")


def test_every_option_and_argument_has_help() -> None:
    missing = []
    commands = 0
    for path, parser in walk(build_parser()):
        commands += 1
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert commands > 20
    assert missing == [], "options without help:\n" + "\n".join(missing)
