"""Re-summarise ``arena simulate --json`` reports, several files side by side, paired by seed.

The first strategy of the first file is the baseline of the ratios. Strategies of later files
are named ``<strategy>@<file stem>`` so two runs of one strategy with different settings can be
compared (same seeds, same truths).

Usage: python benchmarks/matchmaking/summarize.py results/simulate-20.json [more.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from arena.cli.simulate import format_report
from arena.services.simulate.run import Run
from arena.services.simulate.summary import label, paired_ratio, summarize


def main(paths: list[str]) -> None:
    groups: dict[str, list[Run]] = {}
    first = json.loads(Path(paths[0]).read_text())
    for n, path in enumerate(paths):
        doc = first if n == 0 else json.loads(Path(path).read_text())
        for data in doc["runs"]:
            run = Run.from_dict(data)
            name = label(run) if n == 0 else f"{label(run)}@{Path(path).stem}"
            groups.setdefault(name, []).append(run)
    names = list(groups)
    budget = first["options"][0]["votes"]
    base = groups[names[0]]
    out = {
        "scenario": first["scenario"],
        "options": first["options"],
        "seeds": first["seeds"],
        "summary": {name: summarize(runs) for name, runs in groups.items()},
        "paired_ratios": {
            f"{name}/{names[0]}": {
                metric: paired_ratio(base, groups[name], f"votes_to_{metric}", budget)
                for metric in ("tau", "top3", "tau_live")
            }
            for name in names[1:]
        },
    }
    sys.stdout.write(format_report(out))
    for name, s in out["summary"].items():
        print(
            f"{name}: not reached tau {s['not_reached_tau']}/{s['runs']}, top-3 "
            f"{s['not_reached_top3']}/{s['runs']}; coverage by checkpoint {s['coverage']}; "
            f"mean tau at 4000/8000/16000 votes: "
            + ", ".join(str(s["mean_tau"].get(k)) for k in (4000, 8000, 16000))
        )


if __name__ == "__main__":
    main(sys.argv[1:])
