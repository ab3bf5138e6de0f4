# Long because its three scenarios (strategies, new-model, top) each print their own report.
"""``arena simulate``: strategies side by side on simulated arenas with known strengths."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from arena.cli.common import progress_printer
from arena.core.errors import Invalid
from arena.settings import STRATEGIES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="compare matchmaking strategies on simulated voters with known model strengths",
        description="Run each strategy on the same seeded simulated arenas (known true ratings, "
        "voters with position bias, random clicks, ties and both-bad), through the real "
        "matchmaking and rating code, and report the votes each needs to reach Kendall tau >= "
        "0.9 and the true top 3 in order (the first checkpoint from which it stays so to the "
        "end of the budget), and the coverage of the 95% intervals. No database, no network.",
    )
    p.add_argument(
        "--scenario",
        choices=("ranking", "new-model", "top"),
        default="ranking",
        help="ranking (default): rank all models from no votes; top: the same arenas, "
        "reporting the votes to order the true top 3 against uniform; new-model: an "
        "established board (--established votes) that one newcomer of true rating "
        "--newcomer enters, reporting the votes until its 95%% interval is at most --width "
        "Elo wide, and whether it then contains its target rating",
    )
    p.add_argument(
        "--strategy",
        action="append",
        choices=STRATEGIES,
        help="strategy to run (repeatable; default: uniform and active); the first is the "
        "baseline of the ratios",
    )
    p.add_argument(
        "--reweight",
        action="store_true",
        help="also run each non-uniform strategy with inverse-propensity-weighted fits",
    )
    p.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--models", type=int, default=20, help="models per arena (default 20)")
    p.add_argument("--prompts", type=int, default=4, help="prompts per model (default 4)")
    p.add_argument("--spread", type=float, default=100.0, help="sd of the true Elo (default 100)")
    p.add_argument(
        "--truth",
        choices=("normal", "even"),
        default="normal",
        help="true ratings drawn from a normal (default) or evenly spaced, sd --spread",
    )
    p.add_argument("--votes", type=int, default=20000, help="budget per run (default 20000)")
    p.add_argument("--every", type=int, default=100, help="votes between checkpoints")
    p.add_argument("--refresh", type=int, default=50, help="votes between state refreshes")
    p.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds for coverage")
    p.add_argument("--position-bias", type=float, default=20.0, help="Elo added to the left clip")
    p.add_argument("--random-share", type=float, default=0.1, help="share of random voters")
    p.add_argument("--tie-param", type=float, default=0.3, help="Davidson nu of the voters")
    p.add_argument(
        "--exposure-min",
        type=float,
        default=0.5,
        help="least share of battles per model, times the fair share (default 0.5)",
    )
    p.add_argument(
        "--exposure-max",
        type=float,
        default=2.0,
        help="most share of battles per model, times the fair share (default 2)",
    )
    p.add_argument(
        "--explore",
        type=float,
        default=0.1,
        help="share of the active strategy spread over all pairs (default 0.1)",
    )
    p.add_argument(
        "--sharpness",
        type=float,
        default=3.0,
        help="exponent on the active scores; higher favours the best pairs (default 3)",
    )
    p.add_argument(
        "--boost-votes",
        type=int,
        default=500,
        help="votes before a new model's weighted boost ends (default 500)",
    )
    p.add_argument(
        "--focus-top",
        type=int,
        help="weigh the active strategy's scores toward the order of the top this many: top "
        "adds such a run of active (default 3); ranking runs active so (default: not)",
    )
    p.add_argument(
        "--placement-share",
        type=float,
        default=0.25,
        help="new-model: share of battles set aside for placing models in the +placement "
        "runs (default 0.25)",
    )
    p.add_argument(
        "--established",
        type=int,
        default=20000,
        help="new-model: votes the board has before the newcomer enters (default 20000)",
    )
    p.add_argument(
        "--newcomer", type=float, default=1150.0, help="new-model: its true Elo (default 1150)"
    )
    p.add_argument(
        "--width",
        type=float,
        default=60.0,
        help="new-model: the newcomer is placed once its 95%% interval is this narrow (Elo)",
    )
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the full report (every run) as JSON")
    p.set_defaults(handler=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from arena.core.matchmaking import MatchConfig
    from arena.services.simulate import RunOptions, Scenario, Voters, report, run_many

    if args.seeds < 1 or args.votes < args.every or args.every < 1 or args.refresh < 1:
        raise Invalid("need --seeds >= 1, --every >= 1, --refresh >= 1 and --votes >= --every")
    if args.models < 2 or args.prompts < 1:
        raise Invalid(f"need --models >= 2 and --prompts >= 1, got {args.models}, {args.prompts}")
    if not (0 <= args.exposure_min <= 1 <= args.exposure_max and 0 < args.explore <= 1):
        raise Invalid(
            "need 0 <= --exposure-min <= 1 <= --exposure-max and 0 < --explore <= 1, got "
            f"{args.exposure_min}, {args.exposure_max}, {args.explore}"
        )
    scenario = Scenario(
        models=args.models,
        prompts=args.prompts,
        spread=args.spread,
        truth=args.truth,
        voters=Voters(args.position_bias, args.random_share, args.tie_param),
    )
    config = MatchConfig(
        boost_votes=args.boost_votes,
        exposure_min=args.exposure_min,
        exposure_max=args.exposure_max,
        explore=args.explore,
        sharpness=args.sharpness,
        placement_share=0.0,
    )
    if args.scenario == "new-model":
        return newcomer_command(args, scenario, config)
    strategies = args.strategy or ["uniform", "active"]
    if args.focus_top is not None and args.focus_top < 1:
        raise Invalid(f"need --focus-top >= 1, got {args.focus_top}")
    ranked = replace(config, focus_top=args.focus_top or 0)
    options = [
        RunOptions(
            s,
            ranked if s == "active" and args.scenario == "ranking" else config,
            args.votes,
            args.every,
            args.refresh,
            args.rounds,
        )
        for s in strategies
    ]
    if args.scenario == "top":
        focused = replace(config, focus_top=args.focus_top or 3)
        options += [
            RunOptions(s, focused, args.votes, args.every, args.refresh, args.rounds)
            for s in strategies
            if s == "active"
        ]
    if args.reweight:
        options += [
            RunOptions(s, config, args.votes, args.every, args.refresh, args.rounds, reweight=True)
            for s in strategies
            if s != "uniform"
        ]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = run_many(
        scenario, options, seeds, jobs=args.jobs, progress=progress_printer("Simulating")
    )
    doc = report(scenario, options, seeds, runs)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(format_report(doc))
    return 0


def newcomer_command(args: argparse.Namespace, scenario: Any, config: Any) -> int:
    from dataclasses import replace

    from arena.services.simulate.newcomer import NewcomerOptions, newcomer_report, run_newcomers

    if not 0 < args.placement_share <= 0.5 or args.width <= 0 or args.established < 0:
        raise Invalid(
            "need 0 < --placement-share <= 0.5, --width > 0 and --established >= 0, got "
            f"{args.placement_share}, {args.width}, {args.established}"
        )
    placement = replace(config, placement_share=args.placement_share, placement_width=args.width)
    strategies = args.strategy or ["weighted", "active"]
    common = {
        "established": args.established,
        "votes": args.votes,
        "every": args.every,
        "refresh": args.refresh,
        "width": args.width,
        "newcomer": args.newcomer,
    }
    options = [NewcomerOptions(s, config, **common) for s in strategies] + [
        NewcomerOptions(s, placement, **common) for s in strategies
    ]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = run_newcomers(
        scenario, options, seeds, jobs=args.jobs, progress=progress_printer("Simulating")
    )
    doc = newcomer_report(scenario, options, seeds, runs)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(format_newcomer(doc))
    return 0


def format_newcomer(doc: dict[str, Any]) -> str:
    """The summary table of a :func:`arena.services.simulate.newcomer.newcomer_report` document."""
    first = doc["options"][0]
    budget, width = first["votes"], first["width"]
    lines = [
        f"{len(doc['seeds'])} seeds: {doc['scenario']['models']} models with "
        f"{first['established']} votes, then a newcomer of true Elo {first['newcomer']:g}; "
        f"budget {budget} votes after it enters",
        f"{'strategy':<20} {'newcomer votes':>14} {'all votes':>9} {'coverage':>8} "
        f"{'live Elo':>8} {'share':>6} {'ratio':>6} {'vs Elo':>6}",
    ]
    for name, s in doc["summary"].items():
        r = doc["ratios"][name]
        cover = s["coverage_at_width"]
        lines.append(
            f"{name:<20} {_votes(s['median_newcomer_votes_to_width'], budget):>14} "
            f"{_votes(s['median_votes_to_width'], budget):>9} "
            f"{'n/a' if cover is None else f'{cover:.3f}':>8} "
            f"{_votes(s['median_newcomer_votes_to_elo'], budget):>8} "
            f"{s['mean_newcomer_share']:>6.3f} "
            f"{_num(r['newcomer_votes_vs_baseline']):>6} "
            f"{_num(r['newcomer_votes_vs_baseline_online_elo']):>6}"
        )
    lines.append(
        f"(medians over seeds of the votes until the newcomer's 95% interval is at most "
        f"{width:g} Elo wide: votes involving it, and every vote since it entered; coverage: "
        "share of runs whose interval then contains its target rating; live Elo: votes "
        f"involving it until its online Elo stays within {width / 2:g} of the target; share: "
        f"its share of battles; ratio: newcomer votes against {first['label']}'s; vs Elo: "
        f"against {first['label']}'s live Elo figure)"
    )
    return "\n".join(lines) + "\n"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _votes(value: float | None, budget: int) -> str:
    return f"> {budget}" if value is None else f"{value:.0f}"


def format_report(doc: dict[str, Any]) -> str:
    """The summary table of a :func:`arena.services.simulate.report` document."""
    budget = doc["options"][0]["votes"]
    lines = [
        f"{len(doc['seeds'])} seeds, {doc['scenario']['models']} models, budget {budget} votes",
        f"{'strategy':<18} {'tau>=0.9':>9} {'top-3':>9} {'live Elo':>9} {'Elo top-3':>9} "
        f"{'coverage':>9} {'width':>7} {'exposure':>11}",
    ]
    for name, s in doc["summary"].items():
        coverage = s["coverage"]
        last = max(coverage) if coverage else None
        lines.append(
            f"{name:<18} {_votes(s['median_votes_to_tau'], budget):>9} "
            f"{_votes(s['median_votes_to_top3'], budget):>9} "
            f"{_votes(s['median_votes_to_tau_live_elo'], budget):>9} "
            f"{_votes(s.get('median_votes_to_top3_live_elo'), budget):>9} "
            f"{min(coverage.values()) if coverage else float('nan'):>9.3f} "
            f"{s['mean_interval_width'][last] if last else float('nan'):>7.1f} "
            f"{s['exposure_range'][0]:>5.2f}-{s['exposure_range'][1]:<5.2f}"
        )
    lines.append(
        "(median votes over seeds; coverage: the lowest over the checkpoints where intervals "
        "were checked; width: mean 95% interval width in Elo at the end; exposure: each "
        "model's battles as a multiple of its fair share)"
    )
    for pair, ratios in doc["paired_ratios"].items():
        shown = ", ".join(f"{m} {'n/a' if r is None else f'{r:.2f}'}" for m, r in ratios.items())
        lines.append(f"paired median ratio {pair}: {shown}")
    names = list(doc["summary"])
    base = doc["summary"][names[0]]
    for name in names[1:]:
        s = doc["summary"][name]
        lines.append(
            f"ratio of medians {name}/{names[0]}: tau "
            f"{_num(_of(s['median_votes_to_tau'], base['median_votes_to_tau']))}, top3 "
            f"{_num(_of(s['median_votes_to_top3'], base['median_votes_to_top3']))}; against "
            f"{names[0]}'s live Elo: tau "
            f"{_num(_of(s['median_votes_to_tau'], base['median_votes_to_tau_live_elo']))}, top3 "
            f"{_num(_of(s['median_votes_to_top3'], base.get('median_votes_to_top3_live_elo')))}"
        )
    return "\n".join(lines) + "\n"


def _of(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base
