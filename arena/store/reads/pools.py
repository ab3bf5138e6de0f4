"""The battle pools as matchmaking reads them: active models' clips, prompts, live counts."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from arena.core.matchmaking import Catalog
from arena.core.matchmaking.pool import CatalogClip, PromptInfo, build_pool
from arena.core.matchmaking.rotation import Rotation
from arena.core.matchmaking.state import StatRow
from arena.store.engine import session_scope
from arena.store.reads.catalog import showcase_prompts
from arena.store.tables import Clip, Model, PairStat, Prompt


def load_catalog(engine: Engine, rotation: Rotation | None = None, *, showcase: int = 0) -> Catalog:
    """Read active models' clips, every prompt and the live vote counts (three queries).

    The first ``showcase`` prompts of each track (``ARENA_SHOWCASE_PROMPTS``) are held out:
    model pages publish their clips, so a battle must never show one.
    """
    with session_scope(engine) as session:
        held_out = showcase_prompts(session, showcase)
        rows = session.exec(
            select(Clip, Model.slug)
            .join(Model, col(Model.id) == col(Clip.model_id))
            .where(col(Model.retired).is_(False))
        ).all()
        prompts = {
            p.id: PromptInfo(p.id, p.track, p.text, p.image_file)
            for p in session.exec(select(Prompt))
        }
        counts = session.exec(
            select(PairStat).where(PairStat.category == "", PairStat.count > 0)
        ).all()
    by_track: dict[str, dict[tuple[int, str], CatalogClip]] = {}
    slugs: dict[int, str] = {}
    for clip, slug in rows:
        assert clip.id is not None
        if clip.prompt_id in held_out:
            continue
        slugs[clip.model_id] = slug
        by_track.setdefault(clip.track, {})[(clip.model_id, clip.prompt_id)] = CatalogClip(
            clip.id, clip.public_id, clip.model_id, clip.prompt_id, clip.has_audio
        )
    stats: dict[str, list[StatRow]] = {}
    for row in counts:
        stats.setdefault(row.track, []).append((row.model_lo, row.model_hi, row.outcome, row.count))
    pools = {
        track: build_pool(track, clips, slugs, stats.get(track, ()))
        for track, clips in by_track.items()
    }
    return Catalog(pools, prompts, rotation or Rotation())
