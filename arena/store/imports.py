"""Imported votes (``arena import votes``): written where live votes are, counted the same way.

Each imported vote gets a battle of its own (strategy ``imported``, no clips, issued and
expired at the vote's time), a :class:`Vote` row, its share of the live Elo (replayed in file
order on top of the current ratings, as if the votes had come in now) and of the sufficient
statistics, so ``arena recompute`` (and ``--rescan``) rate them with the live ones. Models
and prompts a file names that the arena lacks are created: models under the ``imported``
provider (no clips, so never in a battle), prompts with the file's text and categories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table
from sqlmodel import Session, col, select

from arena.core.ranking.elo import elo_update
from arena.core.vocabulary import SCORE
from arena.store.driver import upsert_insert
from arena.store.pairstats import adjust
from arena.store.tables import Battle, Model, OnlineRating, Prompt, PromptCategory, Vote

IMPORTED = "imported"
"""Provider of models created by an import, and strategy of imported battles."""


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ImportedPrompt:
    id: str
    track: str
    text: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class ImportedVote:
    battle_id: str
    track: str
    prompt_id: str
    model_a_id: int
    model_b_id: int
    outcome: str
    voter_id: str
    created_at: datetime
    watch_ms: int | None


def add_imported_catalog(
    session: Session, *, models: Sequence[tuple[str, str]], prompts: Sequence[ImportedPrompt]
) -> dict[str, int]:
    """Create the missing models (``(id, name)``) and prompts; return each model id's row id.

    Existing models and prompts are left as they are: the arena's own metadata wins.
    """
    for slug, name in models:
        if session.exec(select(Model.id).where(Model.slug == slug)).first() is None:
            session.add(Model(slug=slug, name=name, provider=IMPORTED))
    for prompt in prompts:
        if session.get(Prompt, prompt.id) is None:
            session.add(Prompt(id=prompt.id, track=prompt.track, text=prompt.text))
            for category in prompt.categories:
                session.add(PromptCategory(prompt_id=prompt.id, category=category))
    session.commit()
    wanted = [slug for slug, _ in models]
    rows = session.exec(select(Model.slug, Model.id).where(col(Model.slug).in_(wanted))).all()
    return {slug: model_id for slug, model_id in rows if model_id is not None}


def import_votes(
    session: Session, *, votes: Sequence[ImportedVote], k: float, initial: float
) -> int:
    """Store ``votes`` in one transaction, skipping battle ids already taken; return how many
    were stored. Open the session with ``session_scope(engine, write=True)``."""
    taken = set(
        session.exec(select(Battle.id).where(col(Battle.id).in_([v.battle_id for v in votes])))
    )
    fresh = []
    for v in votes:
        if v.battle_id not in taken:
            taken.add(v.battle_id)
            fresh.append(v)
    if not fresh:
        return 0
    connection = session.connection()
    connection.execute(
        _table(Battle).insert(),
        [
            {
                "id": v.battle_id,
                "track": v.track,
                "prompt_id": v.prompt_id,
                "left_clip_id": None,
                "right_clip_id": None,
                "left_model_id": v.model_a_id,
                "right_model_id": v.model_b_id,
                "voter_id": v.voter_id,
                "issued_at": v.created_at,
                "expires_at": v.created_at,
                "strategy": IMPORTED,
                "pair_probability": 0.0,
            }
            for v in fresh
        ],
    )
    connection.execute(
        _table(Vote).insert(),
        [
            {
                "battle_id": v.battle_id,
                "track": v.track,
                "prompt_id": v.prompt_id,
                "model_a_id": v.model_a_id,
                "model_b_id": v.model_b_id,
                "outcome": v.outcome,
                "voter_id": v.voter_id,
                "created_at": v.created_at,
                "watch_ms": v.watch_ms,
            }
            for v in fresh
        ],
    )
    _replay_elo(session, fresh, k=k, initial=initial)
    adjust(session, fresh, +1)
    session.commit()
    return len(fresh)


def _replay_elo(
    session: Session, votes: Sequence[ImportedVote], *, k: float, initial: float
) -> None:
    keys = sorted({(v.track, m) for v in votes for m in (v.model_a_id, v.model_b_id)})
    session.execute(
        upsert_insert(session, OnlineRating)
        .values([{"track": t, "model_id": m, "rating": initial} for t, m in keys])
        .on_conflict_do_nothing()
    )
    ratings: dict[tuple[str, int], OnlineRating] = {}
    for track in sorted({t for t, _ in keys}):
        ids = [m for t, m in keys if t == track]
        for r in session.exec(
            select(OnlineRating)
            .where(OnlineRating.track == track, col(OnlineRating.model_id).in_(ids))
            .order_by(col(OnlineRating.model_id))
            .with_for_update()
        ):
            ratings[(track, r.model_id)] = r
    # Replayed on plain numbers, written back once per model: ORM attributes are slow per vote.
    elo = {key: r.rating for key, r in ratings.items()}
    tally = {key: [r.votes, r.wins, r.losses, r.ties] for key, r in ratings.items()}
    for v in votes:
        a, b = (v.track, v.model_a_id), (v.track, v.model_b_id)
        score = SCORE[v.outcome]
        elo[a], elo[b] = elo_update(elo[a], elo[b], score, k=k)
        for key, s in ((a, score), (b, 1.0 - score)):
            tally[key][0] += 1
            tally[key][1 if s == 1.0 else 2 if s == 0.0 else 3] += 1
    for key, r in ratings.items():
        r.rating = elo[key]
        r.votes, r.wins, r.losses, r.ties = tally[key]
    session.add_all(ratings.values())
