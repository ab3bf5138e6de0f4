"""``arena prompts import``: bring a standard prompt suite into the arena's prompt files.

The prompts go into a JSON Lines prompt file that the config lists in ``prompt_files`` (see
:mod:`arena.registry.promptfile`): the config stays the source of truth, and the next
``arena models sync`` brings them in like any configured prompt.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from arena.cli.common import settings_from
from arena.core.vocabulary import TRACKS
from arena.registry.suites import FORMATS


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {number}")
    return number


def register(sub: argparse._SubParsersAction) -> None:
    prompts = sub.add_parser("prompts", help="manage prompt suites").add_subparsers(
        dest="prompts_command", required=True, metavar="ACTION"
    )
    imp = prompts.add_parser(
        "import",
        help="import a prompt suite (VBench JSON, text, CSV, JSON lines) into a prompt file "
        "the config lists",
        description="Read a prompt suite and append its prompts to a JSON Lines prompt file "
        "listed in the config's prompt_files (added to the list if needed); `arena models "
        "sync` then brings them in. Ids come from the track and the normalized text, so a "
        "re-import adds only prompts that are new.",
    )
    imp.add_argument("file", help="the suite: a VBench JSON list, text, CSV or JSON lines")
    imp.add_argument(
        "--track", required=True, choices=TRACKS, help="the track the prompts belong to"
    )
    imp.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="the file's format (auto: from its extension, else its first character)",
    )
    imp.add_argument(
        "--sample",
        type=_positive,
        metavar="N",
        help="keep N prompts, stratified by category (each category set keeps its share)",
    )
    imp.add_argument("--seed", type=int, default=0, help="seed of the --sample draw (default 0)")
    imp.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="C",
        help="a category added to every imported prompt (repeatable), e.g. a VBench "
        "per-dimension list's dimension",
    )
    imp.add_argument(
        "--output",
        metavar="FILE",
        help="the JSON Lines prompt file to write or append to (default: "
        "prompts/<suite name>.jsonl beside the config)",
    )
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good lines even if some are bad (they are still reported)",
    )
    imp.add_argument("--dry-run", action="store_true", help="check and count only; write nothing")
    imp.add_argument(
        "--json", action="store_true", help="print what would be (or was) imported as JSON"
    )
    imp.add_argument(
        "--config", help="arena.toml to add the prompts to (default: $ARENA_CONFIG or ./arena.toml)"
    )
    imp.set_defaults(handler=import_command)


def import_command(args: argparse.Namespace) -> int:
    from arena.core.vocabulary import track_has_image
    from arena.registry import promptfile
    from arena.registry.base import ConfigError
    from arena.registry.config import load_config, load_prompt_file
    from arena.registry.suites import category_counts, read_suite, sample

    config_path = settings_from(args).config_path or Path("arena.toml")
    if not config_path.is_file():
        raise ConfigError(
            f"{config_path}: config file not found (the import adds a prompt file to it; "
            "pass --config)"
        )
    config = load_config(config_path)
    source = Path(args.file)
    try:
        suite = read_suite(source, args.format, extra_categories=args.category)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read it ({exc})") from None
    good = []
    for prompt in suite.prompts:
        if track_has_image(args.track) and prompt.image is None:
            suite.bad.append((prompt.line, f"no image (track {args.track} needs one)"))
        else:
            good.append(prompt)
    suite.bad.sort()
    chosen = sample(good, args.sample, args.seed) if args.sample else good
    output = (
        Path(args.output)
        if args.output
        else config_path.parent / "prompts" / f"{_name(source.stem)}.jsonl"
    )
    if output.suffix != ".jsonl":
        raise ConfigError(f"{output}: the prompt file written must be JSON Lines (.jsonl)")
    existing = {p.id for p in config.prompts}
    is_listed = promptfile.listed(config_path, output)
    if output.is_file():
        in_file = {p.id for p in load_prompt_file(output)}
        clash = sorted(in_file & existing) if not is_listed else []
        if clash:
            raise ConfigError(
                f"{output}: not in {config_path}'s prompt_files yet, and listing it would "
                f"define prompt {clash[0]!r} twice; choose another --output"
            )
        existing |= in_file
    lines = promptfile.records(chosen, args.track, output)
    new = [(p, line) for p, line in zip(chosen, lines, strict=True) if line["id"] not in existing]
    refused = bool(suite.bad) and not args.skip_bad
    written = False
    if not args.dry_run and not refused and (new or not is_listed):
        if new or not output.exists():
            promptfile.append(output, [line for _, line in new])
        if not is_listed:
            promptfile.reference(config_path, output)
        load_config(config_path)  # the config must still load, now with the new prompts
        written = True
    summary: dict[str, Any] = {
        "file": str(source),
        "format": suite.format,
        "track": args.track,
        "count": len(new),
        "categories": category_counts([p for p, _ in new]),
        "uncategorized": sum(1 for p, _ in new if not p.categories),
        "already_present": len(chosen) - len(new),
        "duplicates_merged": suite.duplicates,
        "read": len(good),
        "sampled": len(chosen) if args.sample else None,
        "bad": [{"line": n, "reason": r} for n, r in suite.bad],
        "output": str(output),
        "config": str(config_path),
        "dry_run": args.dry_run,
        "written": written,
    }
    for n, reason in suite.bad:
        print(f"{source}:{n}: {reason}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary, refused=refused)
    return 1 if refused else 0


def _name(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "prompts"


def _print(summary: dict[str, Any], *, refused: bool) -> None:
    if refused:
        print(
            f"{len(summary['bad'])} bad lines in {summary['file']}; nothing written (fix them, "
            "or pass --skip-bad to import the rest)"
        )
        return
    verb = "would import" if summary["dry_run"] else "imported"
    sampled = f", sampled from {summary['read']}" if summary["sampled"] is not None else ""
    print(
        f"{verb} {summary['count']} prompts ({summary['track']}{sampled}) from "
        f"{summary['file']} [{summary['format']}] into {summary['output']}; "
        f"{summary['already_present']} already present, {summary['duplicates_merged']} "
        f"duplicates merged, {len(summary['bad'])} bad lines skipped"
    )
    if summary["categories"] or summary["uncategorized"]:
        parts = [f"{c}: {n}" for c, n in summary["categories"].items()]
        if summary["uncategorized"]:
            parts.append(f"(none): {summary['uncategorized']}")
        print("  categories: " + ", ".join(parts))
    if summary["written"]:
        print(f"  listed in {summary['config']}'s prompt_files; run `arena models sync`")
