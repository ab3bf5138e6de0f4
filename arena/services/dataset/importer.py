"""``arena import votes FILE``: load a vote log (ours or LMArena's), every line checked.

A file is read in chunks of :data:`CHUNK` records; each chunk's models and prompts are
resolved, then its votes are stored in one transaction (:func:`arena.store.import_votes`).
A line that cannot be imported is rejected with its number and the reason, and the rest go
in; ``strict`` imports nothing unless every line is good; ``dry_run`` only checks.

How a record maps onto the arena:

* **Models** are found by id, then by a claimed model's former id (the claim wins, as in
  ``arena.toml``); a model the arena lacks is created under the ``imported`` provider, its id
  being the file's name when that is a valid id, else a readable slug with a hash suffix.
* **Prompts**: ``prompt_id`` names one (created from the record's text and categories when
  missing; a prompt of another track rejects the line). A record without one counts under a
  placeholder prompt per track and category set, ``imported-<track>[-<hash>]``.
* **Battles**: the record's battle id (``question_id`` or ``battle_id``) when it is a valid
  id, else one derived from the file's digest and the line: importing the same file twice,
  or an export of this arena into itself, stores nothing twice.
* **Votes** marked ``excluded`` in the source are skipped (they did not count there).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from arena import store
from arena.core.clock import utcnow
from arena.core.errors import BattleFileError, Invalid
from arena.core.ranking.battlefile import _records as json_list_records
from arena.core.vocabulary import TRACKS
from arena.services.dataset.records import ID, RecordError, VoteRecord, parse_record
from arena.settings import Settings
from arena.store import Engine
from arena.store.engine import session_scope
from arena.store.imports import ImportedPrompt, ImportedVote
from arena.store.reads import imports as lookups

CHUNK = 5000
FORMATS = ("auto", "fastchat", "jsonl", "csv")
_BATTLE_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
Rejection = tuple[int, str]
"""(line number, reason)."""


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: str
    dry_run: bool = False
    records: int = 0
    imported: int = 0
    duplicates: int = 0
    excluded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    models_created: list[str] = field(default_factory=list)
    prompts_created: list[str] = field(default_factory=list)


def import_slug(name: str) -> str:
    """The model id an imported name gets: the name itself if it is a valid id."""
    if ID.match(name):
        return name
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")[:80] or "model"
    return f"{base}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def placeholder_prompt(track: str, categories: Sequence[str]) -> str:
    if not categories:
        return f"imported-{track}"
    return f"imported-{track}-{hashlib.sha256('|'.join(categories).encode()).hexdigest()[:8]}"


def read_records(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line, decoded record) per record; the record is a :class:`RecordError` if unreadable."""
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    with path.open(encoding="utf-8", newline="") as fh:
        if fmt == "csv" or (fmt == "auto" and path.suffix.lower() == ".csv"):
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, row
            return
        head = fh.read(4096).lstrip()
        fh.seek(0)
        if head.startswith("[") and fmt != "jsonl":
            try:  # a JSON list is parsed whole first: a syntax error stops it before any write
                yield from list(json_list_records(str(path), fh.read()))
            except BattleFileError as exc:
                raise Invalid(str(exc)) from None
            return
        for line, raw in enumerate(fh, start=1):
            if raw.strip():
                try:
                    yield line, json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield line, RecordError(f"invalid JSON: {exc.msg}")


class _Resolver:
    """Maps file names to the arena's models and prompts, creating the missing ones."""

    def __init__(self, engine: Engine, dry_run: bool) -> None:
        self.engine, self.dry_run = engine, dry_run
        self.models: dict[str, int] = {}
        self.prompt_tracks: dict[str, str] = {}
        self.new_models: list[str] = []
        self.new_prompts: list[str] = []

    def _lookup(self, records: Sequence[VoteRecord]) -> None:
        """Read the models and prompts the records name that are not known yet."""
        names = {n for r in records for n in (r.model_a, r.model_b)} - set(self.models)
        prompts = {self.prompt_of(r) for r in records} - set(self.prompt_tracks)
        with session_scope(self.engine) as session:
            candidates = names | {import_slug(n) for n in names}
            by_slug = lookups.models_by_slug(session, candidates)
            claims = lookups.claimed_names(session, names)
            self.prompt_tracks.update(lookups.prompt_tracks(session, prompts))
        for name in names:
            found = by_slug.get(name) or claims.get(name) or by_slug.get(import_slug(name))
            if found is not None:
                self.models[name] = found

    def accept(self, records: Sequence[VoteRecord]) -> tuple[list[VoteRecord], list[Rejection]]:
        """The records that map onto the arena (their missing models and prompts created),
        and the rejected others: a prompt of another track, one model on both sides."""
        self._lookup(records)
        ok: list[VoteRecord] = []
        rejected: list[Rejection] = []
        fresh: dict[str, ImportedPrompt] = {}
        for r in records:
            pid = self.prompt_of(r)
            track = self.prompt_tracks.get(pid) or (fresh[pid].track if pid in fresh else r.track)
            a, b = self.models.get(r.model_a), self.models.get(r.model_b)
            if track != r.track:
                rejected.append(
                    (r.line, f"prompt {pid!r} is on track {track!r}, the vote on {r.track!r}")
                )
            elif a is not None and a == b:
                rejected.append((r.line, f"{r.model_a!r} and {r.model_b!r} are one model"))
            else:
                ok.append(r)
                if pid not in self.prompt_tracks and pid not in fresh:
                    text = r.prompt or ("" if r.prompt_id else "Imported votes without a prompt")
                    fresh[pid] = ImportedPrompt(pid, r.track, text, r.categories)
        missing = sorted({n for r in ok for n in (r.model_a, r.model_b)} - set(self.models))
        models = [(import_slug(name), name) for name in missing]
        self.new_models += [slug for slug, _ in models]
        self.new_prompts += list(fresh)
        self.prompt_tracks.update({pid: p.track for pid, p in fresh.items()})
        if self.dry_run:
            base = len(self.models)  # stand-in ids, distinct per name, for the checks
            self.models.update({name: -1 - base - k for k, name in enumerate(missing)})
        elif models or fresh:
            with session_scope(self.engine, write=True) as session:
                ids = store.add_imported_catalog(
                    session, models=models, prompts=list(fresh.values())
                )
            self.models.update({name: ids[slug] for slug, name in models})
        return ok, rejected

    @staticmethod
    def prompt_of(r: VoteRecord) -> str:
        return r.prompt_id or placeholder_prompt(r.track, r.categories)


def _battle_id(record: VoteRecord, digest: str) -> str:
    if record.source_id and _BATTLE_ID.match(record.source_id):
        return record.source_id
    key = record.source_id or f"{digest}:{record.line}"
    return "imp-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def import_votes_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    *,
    fmt: str = "auto",
    default_track: str = TRACKS[0],
    dry_run: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Import ``path``; see the module docstring for how records map onto the arena."""
    if default_track not in TRACKS:
        raise Invalid(f"unknown track {default_track!r}; tracks: {', '.join(TRACKS)}")
    if strict and not dry_run:
        check = import_votes_file(
            engine, settings, path, fmt=fmt, default_track=default_track, dry_run=True
        )
        if check.rejected:
            return check
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = ImportReport(source=str(path), dry_run=dry_run)
    resolver = _Resolver(engine, dry_run)
    seen: set[str] = set()
    records = read_records(path, fmt)
    while chunk := list(islice(records, CHUNK)):
        good: list[VoteRecord] = []
        for line, raw in chunk:
            report.records += 1
            try:
                if isinstance(raw, RecordError):
                    raise raw
                record = parse_record(raw, line, default_track=default_track)
            except RecordError as exc:
                report.rejected.append((line, str(exc)))
                continue
            if record.excluded:
                report.excluded += 1
            else:
                good.append(record)
        accepted, rejected = resolver.accept(good)
        report.rejected += rejected
        votes: list[ImportedVote] = []
        for r in accepted:
            battle_id = _battle_id(r, digest)
            if battle_id in seen:
                report.duplicates += 1
                continue
            seen.add(battle_id)
            votes.append(
                ImportedVote(
                    battle_id=battle_id,
                    track=r.track,
                    model_a_id=resolver.models[r.model_a],
                    model_b_id=resolver.models[r.model_b],
                    prompt_id=resolver.prompt_of(r),
                    outcome=r.outcome,
                    voter_id=f"import:{r.voter or 'anonymous'}",
                    created_at=r.created_at or utcnow(),
                    watch_ms=r.watch_ms,
                )
            )
        stored = _store(engine, settings, votes, dry_run)
        report.imported += stored
        report.duplicates += len(votes) - stored
    report.rejected.sort()
    report.models_created = resolver.new_models
    report.prompts_created = resolver.new_prompts
    return report


def _store(engine: Engine, settings: Settings, votes: list[ImportedVote], dry_run: bool) -> int:
    if not votes:
        return 0
    if dry_run:
        with session_scope(engine) as session:
            taken = lookups.existing_battles(session, [v.battle_id for v in votes])
        return sum(v.battle_id not in taken for v in votes)
    with session_scope(engine, write=True) as session:
        return store.import_votes(
            session, votes=votes, k=settings.elo_k, initial=settings.elo_initial
        )
