"""The ``arena`` command. Each sub-command group lives in its own module with a ``register``.

Sub-commands parse their flags, build :class:`Settings` (environment first, flags over it) and
call into the library; they hold no SQL and no commit. Errors a user can cause print one line
naming what was wrong and exit with status 2.
"""

from __future__ import annotations

import os

# Before numpy loads: on a small shared machine OpenBLAS's thread pool makes the rating fits'
# small solves 10-30x slower (measured in benchmarks/ranking/RESULTS.md); one thread is faster.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import sys
from collections.abc import Callable, Sequence

from arena.cli import (
    admin,
    audit,
    battles,
    export,
    imports,
    models,
    prompts,
    recompute,
    serve,
    simulate,
)
from arena.core.errors import ArenaError
from arena.registry.base import ConfigError
from arena.settings import SettingsError

COMMANDS = (serve, models, prompts, recompute, simulate, export, imports, audit, battles, admin)
"""Modules whose ``register(subparsers)`` adds their sub-commands, in help order."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arena", description="Arena: a blind, pairwise leaderboard for video models."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        status = handler(args)
        sys.stdout.flush()  # so a reader that left early is met here, not at exit
        return status
    except BrokenPipeError:
        # The reader closed the pipe (`arena export votes | head`): stop quietly, as Python's
        # docs recommend; stdout goes to devnull so the interpreter's last flush cannot fail
        # again. Status 1, as Python's own recipe: the output was cut short, so a pipeline
        # under `set -o pipefail` sees it, as it would any Unix tool stopped by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (ConfigError, SettingsError, ArenaError) as exc:
        print(f"arena: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
