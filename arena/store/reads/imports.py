"""What an import of battle files looks up: the models, claims and prompts the files name."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from arena.store.tables import Battle, Model, ModelClaim, Prompt


def models_by_slug(session: Session, slugs: Collection[str]) -> dict[str, int]:
    """The database id of each of ``slugs`` that names a model."""
    query = select(Model.slug, Model.id).where(col(Model.slug).in_(slugs))
    return {slug: model_id for slug, model_id in session.exec(query).all() if model_id is not None}


def claimed_names(session: Session, names: Collection[str]) -> dict[str, int]:
    """The model that claimed each of ``names`` (the latest claim wins)."""
    query = (
        select(ModelClaim.from_slug, ModelClaim.model_id)
        .where(col(ModelClaim.from_slug).in_(names))
        .order_by(col(ModelClaim.id))
    )
    return dict(session.exec(query).all())


def prompt_tracks(session: Session, prompt_ids: Collection[str]) -> dict[str, str]:
    """The track of each of ``prompt_ids`` that exists."""
    query = select(Prompt.id, Prompt.track).where(col(Prompt.id).in_(prompt_ids))
    return dict(session.exec(query).all())


def existing_battles(session: Session, battle_ids: Collection[str]) -> set[str]:
    """Those of ``battle_ids`` already stored."""
    return set(session.exec(select(Battle.id).where(col(Battle.id).in_(battle_ids))))
