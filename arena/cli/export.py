"""``arena export votes|leaderboard``: data releases, to a file or standard output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from arena.cli.common import add_common, open_engine, settings_from
from arena.settings import TRACKS


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="export the vote log or a leaderboard").add_subparsers(
        dest="export_command", required=True, metavar="WHAT"
    )
    votes = export.add_parser(
        "votes",
        help="every vote, voters replaced by a salted hash",
        description="Write the vote log, oldest first: the FastChat / LMArena battle format "
        "(one JSON list), Arena's own fields as JSON lines, or CSV. Excluded votes are "
        "included with excluded=true. Voter ids become HMAC-SHA256(salt, id): the salt is "
        "$ARENA_EXPORT_SALT, else a random one kept in $ARENA_DATA_DIR/export.salt.",
    )
    add_common(votes)
    votes.add_argument(
        "--format",
        choices=("fastchat", "jsonl", "csv"),
        default="fastchat",
        help="FastChat / LMArena battle list (default), Arena's JSON lines, or CSV",
    )
    votes.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    votes.add_argument("--track", action="append", choices=TRACKS, help="only this track")
    votes.add_argument(
        "--fresh-salt",
        action="store_true",
        help="hash voters with a one-off salt: this release cannot be joined with another",
    )
    votes.set_defaults(handler=votes_command)
    board = export.add_parser("leaderboard", help="a leaderboard view, as on /leaderboard")
    add_common(board)
    board.add_argument(
        "--track", choices=TRACKS, default=TRACKS[0], help=f"the track (default {TRACKS[0]})"
    )
    board.add_argument("--category", default="", help='a prompt category ("" = all)')
    board.add_argument(
        "--format", choices=("json", "csv"), default="json", help="JSON (default) or CSV"
    )
    board.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    board.set_defaults(handler=leaderboard_command)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as fh:
        yield fh


def votes_command(args: argparse.Namespace) -> int:
    from arena.dataset.export import export_salt, iter_votes, write_votes

    settings = settings_from(args)
    engine = open_engine(settings)
    salt, source = export_salt(settings, fresh=args.fresh_salt)
    with _output(args.output) as out:
        report = write_votes(
            iter_votes(engine, tracks=args.track),
            out,
            fmt=args.format,
            salt=salt,
            salt_source=source,
        )
    engine.dispose()
    print(
        f"exported {report.votes} votes ({report.excluded} excluded) as {args.format}"
        f"{f' to {args.output}' if args.output else ''}; voters hashed with the salt from "
        f"{report.salt_source}",
        file=sys.stderr,
    )
    return 0


def leaderboard_command(args: argparse.Namespace) -> int:
    from arena.db import session_scope
    from arena.leaderboard import BoardQuery, build_leaderboard
    from arena.leaderboard.table import to_csv

    settings = settings_from(args)
    engine = open_engine(settings)
    with session_scope(engine) as session:
        board = build_leaderboard(
            session, BoardQuery(track=args.track, category=args.category), settings=settings
        )
    engine.dispose()
    with _output(args.output) as out:
        out.write(to_csv(board) if args.format == "csv" else board.model_dump_json(indent=2) + "\n")
    return 0
