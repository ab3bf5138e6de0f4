"""A data release people load directly: the votes as parquet, or a dataset folder with a card.

``write_vote_table`` streams the vote log into one parquet file (every vote, excluded ones
marked ``counted = false`` with the reason; voters and clips hashed with the export salt) and
counts what it wrote. ``write_dataset`` writes a folder: ``votes.parquet``, ``models.parquet``
and ``prompts.parquet`` (the models and prompts the votes name) and ``README.md``, a dataset card
whose front matter the Hugging Face hub and the ``datasets`` library read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from arena.core.errors import Invalid
from arena.registry.config import ReleaseInfo
from arena.services.dataset.card import CardFacts, VoteStats, render_card
from arena.services.dataset.export import clip_hash, voter_hash
from arena.services.dataset.parquet import TableWriter, pyarrow, write_table
from arena.services.dataset.records import (
    MODEL_COLUMNS,
    PROMPT_COLUMNS,
    VOTE_COLUMNS,
    release_record,
)
from arena.store import Engine
from arena.store.reads.export import VoteRow, model_records, prompt_records

FILES = {"votes": "votes.parquet", "models": "models.parquet", "prompts": "prompts.parquet"}


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
