"""What a data release reads: every vote with its models, prompt and clips; models; prompts.

Votes are read in id order (the order they were cast) in batches, so an export of millions of
votes streams in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, Model, Prompt, PromptCategory, Vote, VoteExclusion

BATCH = 5000


@dataclass(frozen=True)
class VoteRow:
    """One stored vote with everything an export writes (the voter id still raw)."""

    vote_id: int
    battle_id: str
    created_at: datetime
    track: str
    prompt_id: str
    prompt: str
    categories: tuple[str, ...]
    model_a: str
    model_b: str
    outcome: str
    voter_id: str
    watch_ms: int | None
    excluded: bool
    exclusion_reason: str | None = None
    clip_a: str | None = None
    clip_b: str | None = None
    """The public ids of the clips shown (left, right); None for an imported vote."""


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
