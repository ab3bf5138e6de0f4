"""``arena export votes|leaderboard``: data releases, to a file or standard output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from arena.cli.common import add_common, open_engine, settings_from
from arena.core.errors import Invalid
from arena.core.vocabulary import TRACKS


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="export the vote log or a leaderboard").add_subparsers(
        dest="export_command", required=True, metavar="WHAT"
    )
    votes = export.add_parser(
        "votes",
        help="every vote, voters replaced by a salted hash",
        description="Write the vote log, oldest first: the FastChat / LMArena battle format "
        "(one JSON list), Arena's own fields as JSON lines, CSV, or parquet (with clip ids "
        "hashed and each exclusion's reason); or, with --dataset, a release folder (votes, "
        "models and prompts as parquet, and a dataset card). Excluded votes are included, "
        "marked. Voter ids become HMAC-SHA256(salt, id): the salt is $ARENA_EXPORT_SALT, else "
        "a random one kept in $ARENA_DATA_DIR/export.salt. Parquet needs the release extra: "
        "pip install 'arena[release]'.",
    )
    add_common(votes)
    votes.add_argument(
        "--format",
        choices=("fastchat", "jsonl", "csv", "parquet"),
        help="FastChat / LMArena battle list (the default), Arena's JSON lines, CSV, or parquet "
        "(needs -o and pyarrow: pip install 'arena[release]')",
    )
    where = votes.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    where.add_argument(
        "--dataset",
        type=Path,
        metavar="DIR",
        help="write a release folder: votes.parquet, models.parquet, prompts.parquet and a "
        "dataset card (README.md); needs [release] license in arena.toml",
    )
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
    from arena.services.dataset.export import export_salt, iter_votes, write_votes

    if args.dataset is not None:
        return dataset_command(args)
    fmt = args.format or "fastchat"
    if fmt == "parquet":
        return parquet_command(args)
    settings = settings_from(args)
    engine = open_engine(settings)
    salt, source = export_salt(settings, fresh=args.fresh_salt)
    with _output(args.output) as out:
        report = write_votes(
            iter_votes(engine, tracks=args.track),
            out,
            fmt=fmt,
            salt=salt,
            salt_source=source,
        )
    engine.dispose()
    print(
        f"exported {report.votes} votes ({report.excluded} excluded) as {fmt}"
        f"{f' to {args.output}' if args.output else ''}; voters hashed with the salt from "
        f"{report.salt_source}",
        file=sys.stderr,
    )
    return 0


def parquet_command(args: argparse.Namespace) -> int:
    from arena.services.dataset.export import export_salt, iter_votes
    from arena.services.dataset.parquet import pyarrow
    from arena.services.dataset.release import write_vote_table

    if args.output is None:
        raise Invalid("--format parquet writes a file: give -o FILE (or --dataset DIR)")
    pyarrow()
    settings = settings_from(args)
    engine = open_engine(settings)
    try:
        salt, source = export_salt(settings, fresh=args.fresh_salt)
        stats = write_vote_table(iter_votes(engine, tracks=args.track), args.output, salt=salt)
    finally:
        engine.dispose()
    print(
        f"exported {stats.votes} votes ({sum(stats.excluded.values())} excluded) as parquet to "
        f"{args.output}; voters and clips hashed with the salt from {source}",
        file=sys.stderr,
    )
    return 0


def dataset_command(args: argparse.Namespace) -> int:
    from arena.registry.config import load_config
    from arena.services.dataset.card import CardFacts
    from arena.services.dataset.export import export_salt, iter_votes
    from arena.services.dataset.release import check_release, write_dataset

    if args.format not in (None, "parquet"):
        raise Invalid(f"--dataset writes parquet tables; drop --format {args.format}")
    settings = settings_from(args)
    config = settings.config_path or Path("arena.toml")
    info = load_config(config).release
    facts = CardFacts(config=config, min_votes=settings.min_votes)
    check_release(info, facts)
    engine = open_engine(settings)
    try:
        salt, source = export_salt(settings, fresh=args.fresh_salt)
        rows = iter_votes(engine, tracks=args.track)
        stats = write_dataset(engine, rows, args.dataset, salt=salt, info=info, facts=facts)
    finally:
        engine.dispose()
    print(
        f"wrote {args.dataset}: {stats.votes} votes ({sum(stats.excluded.values())} excluded), "
        f"{len(stats.models)} models, {len(stats.prompts)} prompts, and the card README.md "
        f"(licence {info.license}); voters and clips hashed with the salt from {source}",
        file=sys.stderr,
    )
    return 0


def leaderboard_command(args: argparse.Namespace) -> int:
    from arena.services.database import session_scope
    from arena.services.leaderboard import BoardQuery, build_leaderboard
    from arena.services.leaderboard.table import to_csv

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
