"""The README's reference tables, rendered from the code they describe.

* ``settings``: every ARENA_* variable, from :class:`arena.settings.Settings`;
* ``cli``: every command and option, from the ``arena`` argument parser;
* ``http-api`` and ``admin-api``: every route, from the app's OpenAPI schema.

Each table sits in the README between ``<!-- BEGIN arena.cli.docs NAME -->`` and
``<!-- END arena.cli.docs NAME -->``. ``python -m arena.cli.docs`` rewrites them; ``--check``
exits 1 when one is stale (tests/test_docs.py runs the check).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from arena.settings import Settings, bounds, env_var, from_environment, kind

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = re.compile(
    r"(<!-- BEGIN arena\.cli\.docs (?P<name>[\w-]+) -->\n)(?P<body>.*?)"
    r"(<!-- END arena\.cli\.docs (?P=name) -->)",
    re.DOTALL,
)


def cell(text: object) -> str:
    """Text fit for one Markdown table cell: one line, pipes escaped, reST literals as code."""
    flat = " ".join(str(text).split())
    return re.sub(r"``(.+?)``", r"`\1`", flat).replace("|", r"\|")


def table(header: Sequence[str], rows: Iterator[Sequence[str]] | list[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def settings_table(settings: type[Settings] = Settings) -> str:
    """Variable, default, allowed values and meaning of every ARENA_* variable."""

    def rows() -> Iterator[Sequence[str]]:
        for name, field in settings.model_fields.items():
            if not from_environment(name):
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            shown = extra.get("shown_default")
            default = str(shown) if shown else f"`{_plain(field.default)}`"
            allowed = ", ".join(p for p in (kind(field).split(" ")[-1], bounds(field)) if p)
            yield (f"`{env_var(name)}`", default, cell(allowed), cell(field.description or ""))

    return table(("Variable", "Default", "Allowed", "Meaning"), rows())


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cli_table(parser: argparse.ArgumentParser | None = None) -> str:
    """Every command (and command group) and each of its options, with their help."""
    if parser is None:
        from arena.cli import build_parser

        parser = build_parser()

    def rows(parser: argparse.ArgumentParser, words: str) -> Iterator[Sequence[str]]:
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {choice.dest: choice.help for choice in action._choices_actions}
                for name, sub in action.choices.items():
                    yield (f"`{words} {name}`", "", cell(helps.get(name) or ""))
                    yield from rows(sub, f"{words} {name}")
            elif not isinstance(action, argparse._HelpAction) and action.help != argparse.SUPPRESS:
                invocation = formatter._format_action_invocation(action)
                text = formatter._expand_help(action) if action.help else ""  # %(default)s
                yield ("", f"`{cell(invocation)}`", cell(text))

    return table(("Command", "Option", "Meaning"), rows(parser, parser.prog))


def openapi_schema() -> dict[str, Any]:
    """The app's OpenAPI schema (an app is built, never started: no database is opened)."""
    from arena.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        return create_app(Settings(data_dir=Path(tmp), secret_key="docs")).openapi()


def api_table(schema: Mapping[str, Any], keep: Callable[[str], bool] = lambda path: True) -> str:
    """Method, path, parameters, what it does and the answers of every route ``keep`` wants."""

    def rows() -> Iterator[Sequence[str]]:
        for path, operations in schema["paths"].items():
            if not keep(path):
                continue
            for method, op in operations.items():
                params = [f"`{p['name']}`" for p in op.get("parameters", []) if p["in"] != "path"]
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
                if ref := body.get("schema", {}).get("$ref"):
                    params.append(f"body `{ref.rsplit('/', 1)[-1]}`")
                doing = (op.get("description") or "").split("\n\n")[0] or op.get("summary", "")
                yield (
                    f"`{method.upper()} {path}`",
                    ", ".join(params),
                    cell(doing),
                    cell("; ".join(_answer(code, r) for code, r in op["responses"].items())),
                )

    return table(("Method and path", "Parameters", "What it does", "Answers"), rows())


def _answer(code: str, response: Mapping[str, Any]) -> str:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    text = response.get("description", "")
    if text == "Successful Response":
        text = ref.rsplit("/", 1)[-1] if ref else ""
    return f"`{code}` {text}".strip()


def tables() -> dict[str, str]:
    """Every generated table by its marker name."""
    schema = openapi_schema()
    admin = "/api/v1/admin"
    return {
        "settings": settings_table(),
        "cli": cli_table(),
        "http-api": api_table(schema, lambda path: not path.startswith(admin)),
        "admin-api": api_table(schema, lambda path: path.startswith(admin)),
    }


def render(text: str, generated: Mapping[str, str]) -> str:
    """``text`` with every marked table replaced by its generated version."""
    found = {m["name"] for m in SECTION.finditer(text)}
    if missing := sorted(set(generated) - found):
        missed = ", ".join(missing)
        raise ValueError(f"no <!-- BEGIN arena.cli.docs NAME --> markers for: {missed}")
    return SECTION.sub(lambda m: m[1] + generated.get(m["name"], m["body"]) + m[4], text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m arena.cli.docs", description="Regenerate the README's reference tables."
    )
    parser.add_argument("--readme", type=Path, default=README, help="the file to update")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a table is stale"
    )
    args = parser.parse_args(argv)
    text = args.readme.read_text()
    updated = render(text, tables())
    if args.check:
        if updated != text:
            print(f"{args.readme}: stale tables; run python -m arena.cli.docs", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        args.readme.write_text(updated)
        print(f"{args.readme}: tables updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
