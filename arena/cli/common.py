"""Shared by the sub-commands: settings from environment and flags, progress, the registry."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from arena.core.errors import NotFound
from arena.settings import Settings

if TYPE_CHECKING:  # the CLI imports its heavy parts only in the commands that use them
    from arena.registry.plugins import Registry
    from arena.services.database import Engine
    from arena.services.ingest import Progress, SyncReport


def add_common(
    parser: argparse.ArgumentParser,
    *,
    config_help: str = "arena.toml to use (default: $ARENA_CONFIG or ./arena.toml)",
) -> None:
    """The flags that choose which arena a command works on."""
    parser.add_argument(
        "--data-dir", help="data directory (default: $ARENA_DATA_DIR or ./arena-data)"
    )
    parser.add_argument("--config", help=config_help)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from ARENA_* variables, overridden by the command's flags."""
    settings = Settings.from_env()
    changes: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        changes["data_dir"] = Path(args.data_dir)
        if not os.environ.get("ARENA_DATABASE_URL"):
            changes["database_url"] = ""
        for key in ("media_dir", "sources_dir"):
            if not os.environ.get(f"ARENA_{key.upper()}"):
                changes[key] = Path()
    if getattr(args, "config", None):
        changes["config_path"] = Path(args.config)
    for key in ("host", "port"):
        if getattr(args, key, None):
            changes[key] = getattr(args, key)
    return settings.with_(**changes) if changes else settings


def registry_from(settings: Settings) -> Registry:
    """Load and check the config named by the settings (``./arena.toml`` by default)."""
    from arena.registry.config import load_config
    from arena.registry.plugins import build_registry

    return build_registry(load_config(settings.config_path or Path("arena.toml")))


def open_engine(settings: Settings, *, create: bool = False) -> Engine:
    """An engine on the arena's database, its schema brought up to date.

    Only the commands that make an arena (``demo``, ``models sync``, ``import``) pass
    ``create=True``; every other command refuses a folder with no arena rather than leave an
    empty one behind, and says where it looked and how to point it elsewhere.
    """
    from arena.services.database import describe_url, holds_arena, make_engine, prepare_schema

    if not create and not holds_arena(settings.database_url):
        raise NotFound(
            f"no arena at {describe_url(settings.database_url)}: point the command at one with "
            "--data-dir DIR or ARENA_DATA_DIR (or ARENA_DATABASE_URL), or make one with "
            "`arena demo` or `arena models sync`"
        )
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    return engine


def progress_printer(
    label: str, stream: TextIO | None = None, *, live: bool | None = None
) -> Progress:
    """A progress callback: a live line on a terminal, a line per 10% otherwise (``live``
    chooses instead of the terminal test)."""
    out = stream if stream is not None else sys.stderr
    tty = out.isatty() if live is None else live
    started = time.monotonic()
    last_decile = -1

    def report(done: int, total: int, item: str) -> None:
        nonlocal last_decile
        elapsed = time.monotonic() - started
        line = f"{label} {done}/{total} ({elapsed:.0f}s) {item}"
        if tty:
            print(f"\r\x1b[2K{line}", end="" if done < total else "\n", file=out, flush=True)
            return
        decile = done * 10 // max(total, 1)
        if decile != last_decile or done == total:
            last_decile = decile
            print(line, file=out, flush=True)

    return report


def stage_printer(
    prefix: str = "", stream: TextIO | None = None, *, live: bool | None = None
) -> Progress:
    """A progress callback for work in stages, whose labels begin with the stage's name
    (``render aurora-2 / t2v-ball``): each stage gets its own counter, under its own name."""
    printers: dict[str, Progress] = {}

    def report(done: int, total: int, item: str) -> None:
        stage, _, rest = item.partition(" ")
        if stage not in printers:
            printers[stage] = progress_printer(f"{prefix}{stage}", stream, live=live)
        printers[stage](done, total, rest)

    return report


def print_sync(report: SyncReport, *, limit: int = 10) -> None:
    """The sync's outcome: counts, then every rejection grouped by reason (``limit`` each)."""
    print(
        f"clips: {report.added} added, {report.replaced} replaced, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected"
        + (
            f" (normalized: {report.encoded} encoded, {report.remuxed} remuxed, "
            f"{report.reused} from cache)"
            if report.encoded or report.remuxed or report.reused
            else ""
        )
    )
    by_reason: dict[str, list[str]] = {}
    for model, prompt, reason in report.rejected:
        by_reason.setdefault(reason, []).append(f"{model} / {prompt}")
    for reason, clips in by_reason.items():
        for clip in clips[:limit]:
            print(f"  rejected {clip}: {reason}")
        if len(clips) > limit:
            print(f"  ... and {len(clips) - limit} more rejected for the same reason")
    if report.missing:
        shown = ", ".join(f"{m} / {p}" for m, p in report.missing[:limit])
        more = f" and {len(report.missing) - limit} more" if len(report.missing) > limit else ""
        print(f"  no clip yet for {len(report.missing)} prompts: {shown}{more}")
    if report.oversize:
        shown = ", ".join(f"{m} / {p}" for m, p in report.oversize[:limit])
        print(
            f"  {len(report.oversize)} clips overshot the size target (their size differs "
            f"from their prompt's other clips; raise normalize.video_kbps): {shown}"
        )
