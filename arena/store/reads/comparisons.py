"""The votes as the fit reads them: aggregated per pair and outcome, per track and category."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.core.ranking.data import Comparisons, weighted_comparisons
from arena.core.vocabulary import TRACKS
from arena.store.engine import session_scope
from arena.store.tables import Battle, Model, PairStat, PromptCategory, Vote, VoteExclusion


def load_comparisons(
    engine: Engine, *, track: str, category: str = ""
) -> tuple[Comparisons, dict[str, int]]:
    """The aggregated votes of one track and category, and each model name's database id.

    Models are named by their current id (slug); models with no votes in the slice are absent.
    """
    with session_scope(engine) as session:
        rows = session.exec(
            select(PairStat.model_lo, PairStat.model_hi, PairStat.outcome, PairStat.count).where(
                PairStat.track == track, PairStat.category == category, PairStat.count > 0
            )
        ).all()
        ids = {m for lo, hi, _, _ in rows for m in (lo, hi)}
        slugs = {m.id: m.slug for m in session.exec(select(Model).where(col(Model.id).in_(ids)))}
    comp = Comparisons.from_rows((slugs[lo], slugs[hi], o, n) for lo, hi, o, n in rows)
    return comp, {slug: model_id for model_id, slug in slugs.items() if model_id is not None}


def load_weighted_comparisons(
    engine: Engine, *, track: str, category: str = ""
) -> tuple[Comparisons, dict[str, int]]:
    """Like :func:`load_comparisons`, from the raw votes that count, with inverse-propensity
    weights (1 / the pair probability each battle recorded)."""
    n = sa.func.count().label("n")
    query = (
        sa.select(
            col(Vote.model_a_id),
            col(Vote.model_b_id),
            col(Vote.outcome),
            col(Battle.pair_probability),
            n,
        )
        .join(Battle, col(Battle.id) == col(Vote.battle_id))
        .outerjoin(VoteExclusion, col(VoteExclusion.vote_id) == col(Vote.id))
        .where(col(Vote.track) == track, col(VoteExclusion.vote_id).is_(None))
        .group_by(col(Vote.model_a_id), col(Vote.model_b_id))
        .group_by(col(Vote.outcome), col(Battle.pair_probability))
    )
    if category:
        query = query.where(
            col(Vote.prompt_id).in_(
                select(PromptCategory.prompt_id).where(PromptCategory.category == category)
            )
        )
    with session_scope(engine) as session:
        rows = session.execute(query).all()
        ids = {m for a, b, _, _, _ in rows for m in (a, b)}
        slugs = {m.id: m.slug for m in session.exec(select(Model).where(col(Model.id).in_(ids)))}
    comp = weighted_comparisons((slugs[a], slugs[b], o, p, k) for a, b, o, p, k in rows)
    return comp, {slug: model_id for model_id, slug in slugs.items() if model_id is not None}


def slices(engine: Engine, tracks: Sequence[str]) -> list[tuple[str, str]]:
    """Every (track, category) with votes, the whole track (category "") first."""
    with session_scope(engine) as session:
        found = session.exec(
            select(PairStat.track, PairStat.category)
            .where(col(PairStat.track).in_(tracks), PairStat.count > 0)
            .distinct()
        ).all()
    order = {t: i for i, t in enumerate(TRACKS)}
    return sorted(set(found), key=lambda tc: (order.get(tc[0], 99), tc[0], tc[1]))
