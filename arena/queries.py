"""Read-only views of the database for the CLI and admin pages (writes live in arena.store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.db import session_scope
from arena.models import Clip, Model


def model_listing(engine: Engine) -> list[dict[str, Any]]:
    """Every model with its provider, status and clip count per track."""
    with session_scope(engine) as session:
        models = session.exec(select(Model).order_by(Model.slug)).all()
        counts = session.exec(
            select(Clip.model_id, Clip.track, func.count()).group_by(
                col(Clip.model_id), col(Clip.track)
            )
        ).all()
    per_model: dict[int, dict[str, int]] = {}
    for model_id, track, n in counts:
        per_model.setdefault(model_id, {})[track] = int(n)
    return [
        {
            "model": m.slug,
            "name": m.name,
            "organization": m.organization,
            "license": m.license,
            "provider": m.provider,
            "retired": m.retired,
            "clips": per_model.get(m.id or 0, {}),
        }
        for m in models
    ]
