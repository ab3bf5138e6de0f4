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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from arena.services.dataset.records import NATIVE_FIELDS, csv_cells, fastchat_record, native_record
from arena.settings import Settings
from arena.store.reads.export import VoteRow
from arena.store.reads.export import iter_votes as iter_votes


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
