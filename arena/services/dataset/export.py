"""``arena export votes``: the vote log as a data release, voters replaced by a salted hash.

Votes are read in id order (the order they were cast) in batches, so an export of millions
of votes streams in constant memory. Every vote is written, excluded ones too, with
``excluded`` saying whether it counts (a vote is excluded while a :class:`VoteExclusion`
row names it: too short a watch, a flagged voter, an admin's flag).

The voter hash is HMAC-SHA256(salt, voter id), 16 hex digits: stable within an arena, so
releases can be joined per voter, and unlinkable to the voter cookie without the salt. The
salt is ``ARENA_EXPORT_SALT`` if set, else a random one kept in ``$ARENA_DATA_DIR/export.salt``
(created on the first export, mode 0600); ``fresh_salt`` uses a one-off salt instead, so the
release cannot be joined with any other. Clip ids (in a parquet release) are hashed with the
same salt, so a release names each clip consistently without giving away the server's
stable clip id (which no voter ever sees either).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.services.dataset.records import (
    NATIVE_FIELDS,
    VoteRow,
    csv_cells,
    fastchat_record,
    native_record,
)
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, Model, Prompt, PromptCategory, Vote, VoteExclusion

BATCH = 5000


def export_salt(settings: Settings, *, fresh: bool = False) -> tuple[bytes, str]:
    """The salt of the voter hash, and where it came from (for the export's report)."""
    if fresh:
        return secrets.token_bytes(32), "a one-off random salt (not stored)"
    if settings.export_salt:
        return settings.export_salt.encode(), "ARENA_EXPORT_SALT"
    path = settings.data_dir / "export.salt"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode(), str(path)


def voter_hash(salt: bytes, voter_id: str) -> str:
    return hmac.new(salt, voter_id.encode(), hashlib.sha256).hexdigest()[:16]


def clip_hash(salt: bytes, public_id: str | None) -> str | None:
    """A clip's public id hashed like a voter id (in its own domain, so the two never meet)."""
    return None if public_id is None else voter_hash(salt, f"clip:{public_id}")


def iter_votes(
    engine: Engine, *, tracks: Sequence[str] | None = None, batch: int = BATCH
) -> Iterator[VoteRow]:
    """Every vote (of ``tracks``), oldest first, with its models, prompt and categories."""
    with session_scope(engine) as session:
        slugs = {m.id: m.slug for m in session.exec(select(Model))}
        prompts = {p.id: p.text for p in session.exec(select(Prompt))}
        categories: dict[str, list[str]] = {}
        for pc in session.exec(select(PromptCategory).order_by(col(PromptCategory.category))):
            categories.setdefault(pc.prompt_id, []).append(pc.category)
        clips = dict(session.exec(select(Clip.id, Clip.public_id)).all())
    last = 0
    while True:
        with session_scope(engine) as session:
            query = select(Vote).where(col(Vote.id) > last).order_by(col(Vote.id)).limit(batch)
            if tracks:
                query = query.where(col(Vote.track).in_(tracks))
            votes = session.exec(query).all()
            excluded: dict[int, str] = {}
            shown: dict[str, tuple[int | None, int | None]] = {}
            if votes:
                ids = [v.id for v in votes]
                excluded = dict(
                    session.exec(
                        select(VoteExclusion.vote_id, VoteExclusion.reason).where(
                            col(VoteExclusion.vote_id).in_(ids)
                        )
                    ).all()
                )
                battles = [v.battle_id for v in votes]
                shown = {
                    b: (left, right)
                    for b, left, right in session.exec(
                        select(Battle.id, Battle.left_clip_id, Battle.right_clip_id).where(
                            col(Battle.id).in_(battles)
                        )
                    )
                }
        if not votes:
            return
        for v in votes:
            assert v.id is not None
            left, right = shown.get(v.battle_id, (None, None))
            yield VoteRow(
                vote_id=v.id,
                battle_id=v.battle_id,
                created_at=v.created_at,
                track=v.track,
                prompt_id=v.prompt_id,
                prompt=prompts.get(v.prompt_id, ""),
                categories=tuple(categories.get(v.prompt_id, ())),
                model_a=slugs[v.model_a_id],
                model_b=slugs[v.model_b_id],
                outcome=v.outcome,
                voter_id=v.voter_id,
                watch_ms=v.watch_ms,
                excluded=v.id in excluded,
                exclusion_reason=excluded.get(v.id),
                clip_a=clips.get(left) if left is not None else None,
                clip_b=clips.get(right) if right is not None else None,
            )
        last = votes[-1].id or last


def model_records(engine: Engine, slugs: Iterable[str]) -> list[dict[str, Any]]:
    """The models table of a release: the models named ``slugs``, by id."""
    wanted = sorted(set(slugs))
    with session_scope(engine) as session:
        models = session.exec(select(Model).where(col(Model.slug).in_(wanted))).all()
    return [
        {
            "model": m.slug,
            "name": m.name,
            "organization": m.organization,
            "license": m.license,
            "tracks": m.tracks.split(),
            "release_date": m.release_date,
            "link": m.link,
            "retired": m.retired,
        }
        for m in sorted(models, key=lambda m: m.slug)
    ]


def prompt_records(engine: Engine, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The prompts table of a release: the prompts ``ids``, by track then id."""
    wanted = sorted(set(ids))
    with session_scope(engine) as session:
        prompts = session.exec(select(Prompt).where(col(Prompt.id).in_(wanted))).all()
        categories: dict[str, list[str]] = {}
        query = select(PromptCategory).where(col(PromptCategory.prompt_id).in_(wanted))
        for pc in session.exec(query.order_by(col(PromptCategory.category))):
            categories.setdefault(pc.prompt_id, []).append(pc.category)
    return [
        {
            "prompt_id": p.id,
            "track": p.track,
            "text": p.text,
            "categories": categories.get(p.id, []),
            "has_image": bool(p.image_file),
        }
        for p in sorted(prompts, key=lambda p: (p.track, p.id))
    ]


@dataclass(frozen=True)
class ExportReport:
    votes: int
    excluded: int
    salt_source: str


def write_votes(
    rows: Iterator[VoteRow], out: TextIO, *, fmt: str, salt: bytes, salt_source: str
) -> ExportReport:
    """Write ``rows`` to ``out`` as ``fmt`` (fastchat, jsonl or csv)."""
    n = excluded = 0
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=NATIVE_FIELDS, lineterminator="\n")
        writer.writeheader()
    elif fmt == "fastchat":
        out.write("[")
    for row in rows:
        voter = voter_hash(salt, row.voter_id)
        if fmt == "fastchat":
            text = json.dumps(fastchat_record(row, voter), ensure_ascii=False)
            out.write(("," if n else "") + "\n" + text)
        elif fmt == "jsonl":
            out.write(json.dumps(native_record(row, voter), ensure_ascii=False) + "\n")
        else:
            assert writer is not None
            writer.writerow(csv_cells(native_record(row, voter)))
        n += 1
        excluded += row.excluded
    if fmt == "fastchat":
        out.write("\n]\n")
    return ExportReport(votes=n, excluded=excluded, salt_source=salt_source)
