"""The dataset card (``README.md``) of a release folder: what is in it and how to re-rate it.

The YAML front matter follows the Hugging Face dataset card: ``license``, ``pretty_name``,
``tags``, ``size_categories`` and ``configs`` (one per table, ``data_files`` naming its parquet
file, the votes the default), so the hub, ``datasets.load_dataset(folder)`` and
``load_dataset("parquet", data_files=...)`` all find the tables. Strings are written as JSON
strings, which YAML reads as they are.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from arena.core.vocabulary import TRACKS
from arena.registry.config import ReleaseInfo
from arena.services.dataset.records import MODEL_COLUMNS, PROMPT_COLUMNS, VOTE_COLUMNS, Column
from arena.services.recompute import RecomputeOptions

TITLE = "Arena video battles"
SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


@dataclass
class VoteStats:
    """What a votes table holds: counts for the export's report and the dataset card."""

    votes: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    tracks: Counter[str] = field(default_factory=Counter)
    counted_by_track: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    slices: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Counted votes per (track, category)."""
    voters: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    prompts: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, record: dict) -> None:
        self.votes += 1
        self.tracks[record["track"]] += 1
        if record["counted"]:
            self.counted_by_track[record["track"]] += 1
            self.slices.update((record["track"], c) for c in record["categories"])
        else:
            self.excluded[record["exclusion_reason"] or "unknown"] += 1
        self.categories.update(record["categories"])
        self.voters.add(record["voter"])
        self.models.update((record["model_a"], record["model_b"]))
        self.prompts.add(record["prompt_id"])
        self.first = self.first or record["created_at"]
        self.last = record["created_at"]


@dataclass(frozen=True)
class CardFacts:
    """What the card says beyond the counts: how the arena rates, where the licence came from."""

    config: Path
    min_votes: float
    options: RecomputeOptions = field(default_factory=RecomputeOptions)


def rerate_command(track: str, facts: CardFacts, category: str = "") -> str:
    """The command that rates one track (or one category of it) of the release."""
    o = facts.options
    args = ["arena", "recompute", "--input", "votes.parquet", "--where", f"track={track}"]
    if category:
        args += ["--where", f"category_tag.{category}=true"]
    args += ["--ties", o.ties, "--ci", o.ci, "--rounds", str(o.rounds), "--level", f"{o.level:g}"]
    args += ["--seed", str(o.seed), "--min-votes", f"{facts.min_votes:g}"]
    if o.anchor:
        args += ["--anchor", o.anchor, "--anchor-score", f"{o.anchor_score:g}"]
    return shlex.join(args)


def _size(n: int) -> str:
    return next((label for limit, label in SIZES if n < limit), "n>1M")


def _columns(columns: tuple[Column, ...]) -> list[str]:
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in columns]
    return lines


def _front_matter(info: ReleaseInfo, title: str, votes: int) -> list[str]:
    lines = [
        "---",
        f"license: {json.dumps(info.license)}",
        f"pretty_name: {json.dumps(title)}",
        "tags:",
        "- video-generation",
        "- human-preference",
        "- pairwise-comparison",
        "size_categories:",
        f"- {json.dumps(_size(votes))}",
        "configs:",
    ]
    for i, (name, file) in enumerate(
        (("votes", "votes.parquet"), ("models", "models.parquet"), ("prompts", "prompts.parquet"))
    ):
        lines += [f"- config_name: {name}", f"  data_files: {file}"]
        if i == 0:
            lines.append("  default: true")
    return [*lines, "---"]


def render_card(
    stats: VoteStats, *, info: ReleaseInfo, facts: CardFacts, models: int, prompts: int
) -> str:
    """The card's Markdown, front matter first."""
    title = info.title or TITLE
    counted = sum(stats.counted_by_track.values())
    o = facts.options
    plain = [(n, t, c) for (t, c), n in stats.slices.items() if "." not in c]
    example = rerate_command(max(plain)[1], facts, max(plain)[2]) if plain else ""
    lines = [*_front_matter(info, title, stats.votes), "", f"# {title}", ""]
    lines += [
        "Pairwise human preference votes on AI-generated videos from a blind video arena: each "
        "voter saw two clips made from one prompt by two models whose names were hidden, and "
        "said which was better (or a tie, or both bad). Every vote is here, oldest first; votes "
        "that do not count in the ratings are kept and marked (`counted` is false) with the "
        "reason.",
        "",
        f"Licence: **{info.license}** (the arena's `[release] license`).",
        "",
        "## Files",
        "",
        "| file | rows | what |",
        "| --- | --- | --- |",
        f"| `votes.parquet` | {stats.votes} | one row per vote |",
        f"| `models.parquet` | {models} | the models the votes name |",
        f"| `prompts.parquet` | {prompts} | the prompts the votes name |",
        "",
        "## Counts",
        "",
        f"- {stats.votes} votes: {counted} counted, {stats.votes - counted} excluded"
        + (
            " ("
            + ", ".join(f"{n} `{reason}`" for reason, n in sorted(stats.excluded.items()))
            + ")"
            if stats.excluded
            else ""
        ),
        f"- {models} models, {prompts} prompts, {len(stats.voters)} voters",
    ]
    if stats.first and stats.last:
        span = f"{stats.first:%Y-%m-%d %H:%M} to {stats.last:%Y-%m-%d %H:%M} UTC"
        lines.append(f"- votes cast from {span}")
    order = {t: i for i, t in enumerate(TRACKS)}
    tracks = sorted(stats.tracks, key=lambda t: (order.get(t, 99), t))
    lines += ["", "| track | votes | counted |", "| --- | --- | --- |"]
    lines += [f"| {t} | {stats.tracks[t]} | {stats.counted_by_track[t]} |" for t in tracks]
    if stats.categories:
        lines += ["", "| category | votes |", "| --- | --- |"]
        lines += [f"| {c} | {n} |" for c, n in sorted(stats.categories.items())]
    lines += ["", "## Columns", "", "### `votes.parquet`", "", *_columns(VOTE_COLUMNS)]
    lines += ["", "### `models.parquet`", "", *_columns(MODEL_COLUMNS)]
    lines += ["", "### `prompts.parquet`", "", *_columns(PROMPT_COLUMNS)]
    lines += [
        "",
        "Voters and clips are replaced by HMAC-SHA256 hashes under a secret salt: stable within "
        "the arena (a voter can be followed across votes, and across releases made with the "
        "same salt), never matchable to a voter cookie or a served clip URL.",
        "",
        "## Rating method",
        "",
        "Tracks are separate pools: each is rated on its own, from its counted votes only. The "
        "official ratings are a Bradley-Terry maximum-likelihood fit on the Elo scale (base 10, "
        "scale 400, mean 1000), with each model playing one virtual tie against an average model "
        "(a weak prior that keeps every rating finite). "
        + {
            "half": "`tie` and `both_bad` count as half a win each (the LMArena convention). ",
            "drop": "`tie` and `both_bad` are left out. ",
            "davidson": "`tie` and `both_bad` are fitted with the Davidson tie model. ",
        }.get(o.ties, "")
        + (
            f"Intervals ({o.level:.0%}) come from a {o.rounds}-round bootstrap with seed "
            f"{o.seed} (multinomial resampling of the aggregated counts). "
            if o.ci == "bootstrap"
            else f"Intervals ({o.level:.0%}): {o.ci}. "
        )
        + f"Models with fewer than {facts.min_votes:g} votes are marked provisional; rank is 1 + "
        "the number of models whose lower bound is above the model's upper bound.",
        "",
        "## Re-rating this release",
        "",
        "With Arena installed with its release extra (`pip install 'arena[release]'`), run in "
        "this folder, one track at a time (only counted votes are read; `--where counted=false` "
        "reads the excluded ones instead):",
        "",
        "```sh",
        *(rerate_command(t, facts) for t in tracks),
        "```",
        "",
        "These are the options the arena rates with, so they give the ratings its own "
        "`arena recompute` computes from the same votes. A category board adds "
        "`--where category_tag.<category>=true`" + (f", e.g. `{example}`." if example else "."),
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd",
        'votes = pd.read_parquet("votes.parquet")',
        "counted = votes[votes.counted]",
        "",
        "from datasets import load_dataset",
        'votes = load_dataset("parquet", data_files="votes.parquet")["train"]',
        'models = load_dataset("path/to/this/folder", "models")["train"]',
        "```",
        "",
    ]
    return "\n".join(lines)
