"""``arena recompute``: the official Bradley-Terry ratings, from the database or from a file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from arena.cli.common import add_common, open_engine, progress_printer, settings_from
from arena.core.errors import Invalid
from arena.core.vocabulary import TRACKS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recompute",
        help="re-rate the vote log with Bradley-Terry and store snapshots (or rate a file)",
        description="Fit every track and category from the database and store snapshots the "
        "leaderboard shows; with --input, rate a FastChat/LMArena battle file instead (no "
        "database) and print the leaderboard.",
    )
    add_common(p)
    p.add_argument("--track", action="append", choices=TRACKS, help="only this track (repeatable)")
    p.add_argument("--category", action="append", help='only this category ("" = whole track)')
    p.add_argument(
        "--rescan",
        action="store_true",
        help="rebuild the vote statistics of the tracks and categories asked for (default: all) "
        "from the raw votes first",
    )
    p.add_argument(
        "--reweight",
        action="store_true",
        help="weight each vote by 1 / the recorded probability of its pair (inverse propensity): "
        "ratings as if every pair had been shown equally often",
    )
    p.add_argument(
        "--input",
        type=Path,
        help="a battle file to rate: JSON list, JSON lines, parquet, or a release folder (arena "
        "export votes --dataset; counted votes only unless --where names counted)",
    )
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=JSON",
        help="with --input: keep battles whose field equals the value, e.g. anony=true or "
        '"category_tag.criteria_v0.1.math=true" (repeatable)',
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output: a table (default), JSON or CSV",
    )
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.add_argument(
        "--ties",
        choices=("half", "drop", "davidson"),
        default="half",
        help="tie and both_bad: half a win each (default), dropped, or the Davidson model",
    )
    p.add_argument(
        "--ci",
        choices=("bootstrap", "sandwich", "none"),
        default="bootstrap",
        help="intervals: seeded bootstrap (default), closed-form sandwich, or none",
    )
    p.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds (default 1000)")
    p.add_argument("--level", type=float, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (same seed, same output)")
    p.add_argument("--anchor", help="pin this model's rating at --anchor-score")
    p.add_argument(
        "--anchor-score", type=float, default=1000.0, help="the anchor's rating (default 1000)"
    )
    p.add_argument(
        "--min-votes", type=float, help="provisional below this (default $ARENA_MIN_VOTES)"
    )
    p.add_argument(
        "--prior",
        type=float,
        metavar="P",
        help="virtual ties each model plays against an average model (default 1, a weak "
        "prior that keeps every rating finite); 0 = the exact maximum-likelihood fit of "
        "FastChat's compute_bt and arena-rank, which stops naming the models if it does not "
        "exist for the votes",
    )
    p.set_defaults(handler=recompute_command)


def _where(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise Invalid(f"--where needs FIELD=VALUE, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def recompute_command(args: argparse.Namespace) -> int:
    from arena.core.errors import RankingError
    from arena.core.ranking.battlefile import read_battle_file
    from arena.core.ranking.bradley_terry import check_prior
    from arena.core.ranking.compute import rate
    from arena.core.ranking.report import describe_prior, format_csv, format_json, format_table
    from arena.services.recompute import RecomputeOptions, recompute_all

    settings = settings_from(args)
    fmt = "json" if args.json else args.format
    options = RecomputeOptions(
        ties=args.ties,
        ci=args.ci,
        rounds=args.rounds,
        level=args.level,
        seed=args.seed,
        anchor=args.anchor,
        anchor_score=args.anchor_score,
        min_votes=args.min_votes,
        prior=args.prior,
        reweight=args.reweight,
    )
    render = {"table": format_table, "json": format_json, "csv": format_csv}[fmt]
    try:
        if args.prior is not None:
            try:  # before any database work
                check_prior(args.prior)
            except RankingError as exc:
                raise Invalid(f"--prior: {exc}") from None
        if args.input is not None:
            if args.reweight:
                raise Invalid("--reweight needs the database (battle files carry no probability)")
            comp = read_battle_file(args.input, where=_where(args.where))
            sys.stdout.write(render(rate(comp, **options.rate_kwargs(settings))))
            return 0
        engine = open_engine(settings)
        summaries = recompute_all(
            engine,
            settings,
            options,
            tracks=args.track,
            categories=args.category,
            rescan=args.rescan,
            progress=progress_printer("Fitting"),
        )
        engine.dispose()
    except (RankingError, OSError) as exc:
        raise Invalid(str(exc)) from None
    if fmt == "json":
        doc = [
            {
                "track": s.track,
                "category": s.category,
                "snapshot": s.snapshot_id,
                "seconds": round(s.seconds, 3),
                **s.ratings.to_dict(),
            }
            for s in summaries
        ]
        print(json.dumps(doc, indent=2))
        return 0
    if not summaries:
        print("no votes to rate yet")
    for s in summaries:
        title = f"{s.track}" + (f" / {s.category}" if s.category else "")
        if fmt == "table":
            print(
                f"\n{title}: {s.votes:.0f} votes, {s.models} models, snapshot {s.snapshot_id} "
                f"({s.seconds:.2f} s), {describe_prior(float(s.ratings.params['prior']))}"
            )
        else:
            print(f"# {title}")
        sys.stdout.write(render(s.ratings))
    return 0
