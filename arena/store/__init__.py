"""Every write to the database: keyword-only functions, each one transaction, committed here.

Routes and the CLI hold no SQL and no commit: they call these. The vote path
(:func:`record_vote`) stores the vote, moves both models' live Elo ratings and bumps the
sufficient statistics in one transaction, so a crash leaves all of it or none of it.
Submodules split the writes by what they touch; import them from here.
"""

from arena.store.battles import (
    count_expired_battles,
    delete_expired_battles,
    expired_battle_ids,
)
from arena.store.catalog import claim_model, put_clip, set_retired, upsert_model, upsert_prompt
from arena.store.flags import flag_vote, flag_voter, unflag_vote, unflag_voter
from arena.store.imports import add_imported_catalog, import_votes
from arena.store.jobs import JobRunning, beat_job, finish_job, start_job
from arena.store.pairstats import FLIP
from arena.store.ratings import rebuild_pair_stats, save_snapshot
from arena.store.reveals import remember_reveals, revealed_clips
from arena.store.sql import new_public_id
from arena.store.votes import SCORE, ClipLike, create_battle, record_vote

__all__ = [
    "FLIP",
    "SCORE",
    "ClipLike",
    "JobRunning",
    "add_imported_catalog",
    "beat_job",
    "claim_model",
    "count_expired_battles",
    "create_battle",
    "delete_expired_battles",
    "expired_battle_ids",
    "finish_job",
    "flag_vote",
    "flag_voter",
    "import_votes",
    "new_public_id",
    "put_clip",
    "rebuild_pair_stats",
    "record_vote",
    "remember_reveals",
    "revealed_clips",
    "save_snapshot",
    "set_retired",
    "start_job",
    "unflag_vote",
    "unflag_voter",
    "upsert_model",
    "upsert_prompt",
]
