"""The README's settings, CLI and HTTP API tables are the ones generated from the code."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import pytest

from arena.cli import build_parser, docs
from arena.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return docs.openapi_schema()


def section(name: str) -> str:
    found = {m["name"]: m["body"] for m in docs.SECTION.finditer(README.read_text())}
    return found[name]


def test_the_readme_tables_are_the_generated_ones(schema: dict[str, Any]) -> None:
    admin = "/api/v1/admin"
    assert section("settings") == docs.settings_table()
    assert section("cli") == docs.cli_table()
    assert section("http-api") == docs.api_table(schema, lambda p: not p.startswith(admin))
    assert section("admin-api") == docs.api_table(schema, lambda p: p.startswith(admin))


def test_every_variable_is_in_the_configuration_table() -> None:
    table = section("settings")
    for name in ("ARENA_ELO_K", "ARENA_BATTLE_TTL", "ARENA_CONFIG", "ARENA_MATCH_WEIGHTS"):
        assert f"| `{name}` |" in table
    assert "| `ARENA_ELO_K` | `4` | number, in (0, 1000] | K-factor of the live Elo |" in table
    assert "ARENA_ELO_INITIAL" not in table and "MATCH_STRATEGY_BY_TRACK" not in table


def test_a_changed_setting_help_or_default_makes_the_table_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    field = Settings.model_fields["elo_k"]
    monkeypatch.setattr(field, "description", "K-factor of the live Elo, tuned")
    assert docs.settings_table() != section("settings")
    monkeypatch.undo()
    monkeypatch.setattr(field, "default", 8.0)
    assert docs.settings_table() != section("settings")


def option(parser: argparse.ArgumentParser, *path: str) -> argparse.Action:
    """The action of ``path[-1]`` (an option) under the sub-commands ``path[:-1]``."""
    for word in path[:-1]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return next(a for a in parser._actions if path[-1] in a.option_strings)


def test_a_changed_option_help_makes_the_cli_table_stale() -> None:
    parser = build_parser()
    assert docs.cli_table(parser) == section("cli")
    option(parser, "demo", "--votes").help = "seed this many simulated votes first"
    assert docs.cli_table(parser) != section("cli")


def test_options_without_help_get_an_empty_cell() -> None:
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers()
    run = sub.add_parser("run", help="run it")
    run.add_argument("--fast", action="store_true")
    run.add_argument("--level", type=float, default=0.5, help="level (default %(default)s)")
    assert docs.cli_table(parser).splitlines()[2:] == [
        "| `tool run` |  | run it |",
        "|  | `--fast` |  |",
        "|  | `--level LEVEL` | level (default 0.5) |",
    ]


def test_a_changed_route_summary_makes_the_api_table_stale(schema: dict[str, Any]) -> None:
    changed = copy.deepcopy(schema)
    changed["paths"]["/api/v1/tracks"]["get"]["description"] = "The tracks, alphabetically."
    api = docs.api_table(changed, lambda p: not p.startswith("/api/v1/admin"))
    assert api != section("http-api")


def test_the_docs_command_rewrites_a_stale_readme(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    text = README.read_text()
    stale.write_text(text.replace("| K-factor of the live Elo |", "| K of Elo |"))
    assert docs.main(["--check", "--readme", str(stale)]) == 1
    assert docs.main(["--readme", str(stale)]) == 0
    assert stale.read_text() == text
    assert docs.main(["--check", "--readme", str(stale)]) == 0


def test_a_readme_missing_a_table_is_refused(tmp_path: Path) -> None:
    bare = tmp_path / "README.md"
    bare.write_text("# Arena\n")
    with pytest.raises(ValueError, match=r"^no <!-- BEGIN arena\.cli\.docs NAME --> markers for: "):
        docs.main(["--check", "--readme", str(bare)])
