"""Every ``arena ...`` command the README shows parses with the real parser; the cheap ones run.

Commands come from the code blocks (one per line or ``&&`` segment, after any ``VAR=value``
prefix) and from inline code. A synopsis (``[--votes N]``, ``list\\|sync\\|retire ID``) is read
as the examples it stands for: optional groups dropped, each ``\\|`` alternative on its own,
placeholders (upper-case words) given a value. A bare command path (``arena admin``) names a
command and must exist.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from arena.cli import build_parser
from arena.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def mentions(text: str) -> list[str]:
    """Every ``arena ...`` command in the README's code blocks and inline code."""
    found = []
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s#\s.*$", "", line)  # a shell comment after the command
            for segment in re.split(r"&&|;|\|\s", line):
                words = segment.strip().removeprefix("$ ").split()
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                    words.pop(0)
                if words[:1] == ["arena"]:
                    found.append(" ".join(words))
    inline = re.sub(r"```.*?```", "", text, flags=re.S)
    found += re.findall(r"`(arena [^`]*)`", inline)
    return found


def examples(mention: str) -> list[str]:
    """The concrete commands a mention stands for (itself, if it is one)."""
    text = re.split(r"(?<!\\)\s\|\s", mention)[0]  # a shell pipe: the part before it
    text = text.replace("\\|", "|")  # alternatives, escaped in the README's tables
    while re.search(r"\[[^\[\]]*\]", text):
        text = re.sub(r"\s*\[[^\[\]]*\](\.\.\.)?", "", text)
    parts = [p.strip() for p in text.split("|")]
    head = parts[0].rsplit(" ", 1)[0]
    commands = [parts[0]] + [f"{head} {p}" for p in parts[1:]]
    return [re.sub(r"(?<=\s)[A-Z][A-Z_]*(?=\s|$)", "1", c) for c in commands]


def command_path(parser: argparse.ArgumentParser, words: list[str]) -> bool:
    """Whether ``words`` are all sub-command names, from the top, that exist."""
    for word in words:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or word not in sub.choices:
            return False
        parser = sub.choices[word]
    return True


def all_examples() -> list[str]:
    seen: dict[str, None] = {}
    for mention in mentions(README.read_text(encoding="utf-8")):
        for example in examples(mention):
            seen.setdefault(example)
    return list(seen)


def test_the_readme_shows_commands() -> None:
    found = all_examples()
    assert len(found) > 30
    assert "arena admin job 1 --wait" in found  # a synopsis, its placeholder given a value
    assert "arena demo" in found  # from the quick start's code block


@pytest.mark.parametrize("command", all_examples())
def test_every_readme_command_parses(command: str) -> None:
    words = shlex.split(command)[1:]
    parser = build_parser()
    if command_path(parser, words):
        return  # names a command (or a group of them), as prose does
    try:
        args = parser.parse_args(words)
    except SystemExit:
        pytest.fail(f"the README's `{command}` does not parse")
    assert callable(args.handler)


CHEAP = ["models list", "export votes", "export leaderboard", "audit blindness"]
"""README commands that run in a second or two on the small arena: run for real."""


@pytest.mark.parametrize("command", CHEAP)
def test_the_readme_commands_run_on_a_small_arena(
    command: str, seeded: Engine, settings: Settings
) -> None:
    assert f"arena {command}" in all_examples()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ARENA_")},
        "ARENA_DATA_DIR": str(settings.data_dir),
        "ARENA_DATABASE_URL": settings.database_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "arena.cli", *command.split()],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
