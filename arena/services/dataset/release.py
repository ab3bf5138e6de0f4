"""A data release people load directly: the votes as parquet, or a dataset folder with a card.

``write_vote_table`` streams the vote log into one parquet file (every vote, excluded ones
marked ``counted = false`` with the reason; voters and clips hashed with the export salt) and
counts what it wrote. ``write_dataset`` writes a folder: ``votes.parquet``, ``models.parquet``
and ``prompts.parquet`` (the models and prompts the votes name) and ``README.md``, a dataset card
whose front matter the Hugging Face hub and the ``datasets`` library read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from arena.core.errors import Invalid
from arena.registry.config import ReleaseInfo
from arena.services.dataset.card import CardFacts, render_card
from arena.services.dataset.export import clip_hash, voter_hash
from arena.services.dataset.parquet import TableWriter, pyarrow, write_table
from arena.services.dataset.records import (
    MODEL_COLUMNS,
    PROMPT_COLUMNS,
    VOTE_COLUMNS,
    VoteRow,
    release_record,
)
from arena.store.reads.export import model_records, prompt_records

FILES = {"votes": "votes.parquet", "models": "models.parquet", "prompts": "prompts.parquet"}


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


def write_vote_table(rows: Iterable[VoteRow], path: Path, *, salt: bytes) -> VoteStats:
    """Write ``rows`` (oldest first) to the parquet file ``path``; returns what it holds."""
    stats = VoteStats()
    with TableWriter(path, VOTE_COLUMNS) as writer:
        for row in rows:
            record = release_record(
                row,
                voter=voter_hash(salt, row.voter_id),
                clip_a=clip_hash(salt, row.clip_a),
                clip_b=clip_hash(salt, row.clip_b),
            )
            writer.add(record)
            stats.add(record)
    return stats


def check_release(info: ReleaseInfo, facts: CardFacts) -> None:
    """A dataset needs a licence (:class:`Invalid` otherwise) and pyarrow (:class:`Unavailable`)."""
    if not info.license:
        raise Invalid(
            f"{facts.config}: no [release] license: say which licence the votes are published "
            'under, e.g. [release] license = "cc-by-4.0", before writing a dataset'
        )
    pyarrow()


def write_dataset(
    engine: Engine,
    rows: Iterable[VoteRow],
    folder: Path,
    *,
    salt: bytes,
    info: ReleaseInfo,
    facts: CardFacts,
) -> VoteStats:
    """Write the release folder: the three tables and the card (``README.md``).

    Refuses (:func:`check_release`) before writing anything.
    """
    check_release(info, facts)
    if folder.exists() and not folder.is_dir():
        raise Invalid(f"--dataset {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Invalid(
            f"--dataset {folder}: cannot make the folder ({exc.strerror or exc})"
        ) from None
    stats = write_vote_table(rows, folder / FILES["votes"], salt=salt)
    models = model_records(engine, stats.models)
    prompts = prompt_records(engine, stats.prompts)
    write_table(folder / FILES["models"], MODEL_COLUMNS, models)
    write_table(folder / FILES["prompts"], PROMPT_COLUMNS, prompts)
    card = render_card(stats, info=info, facts=facts, models=len(models), prompts=len(prompts))
    (folder / "README.md").write_text(card, encoding="utf-8")
    return stats
