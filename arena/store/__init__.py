"""Every write to the database: keyword-only functions, each one transaction, committed here.

Routes and the CLI hold no SQL and no commit: they call these. The vote path
(:func:`record_vote`) stores the vote, moves both models' live Elo ratings and bumps the
sufficient statistics in one transaction, so a crash leaves all of it or none of it.
Submodules split the writes by what they touch; import them from here. Reads live in
:mod:`arena.store.reads`. ``Engine`` and ``Session``, the handles services and adapters pass
around, are named from here: nothing outside the store imports SQLAlchemy or SQLModel (an
import contract in ``pyproject.toml`` checks it).
"""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from arena.core.vocabulary import FLIP, SCORE
from arena.store.battles import (
    ClipLike,
    count_expired_battles,
    create_battle,
    delete_expired_battles,
    expired_battle_ids,
)
from arena.store.catalog import claim_model, put_clip, set_retired, upsert_model, upsert_prompt
from arena.store.driver import new_public_id
from arena.store.flags import flag_vote, flag_voter, unflag_vote, unflag_voter
from arena.store.imports import add_imported_catalog, import_votes
from arena.store.invitations import (
    check_invitation,
    create_invitation,
    list_invitations,
    open_invitation,
    revoke_invitation,
)
from arena.store.jobs import JobRunning, beat_job, finish_job, start_job
from arena.store.ratings import rebuild_pair_stats, save_snapshot
from arena.store.reveals import pending_clips, remember_reveals, revealed_clips
from arena.store.votes import record_vote

__all__ = [
    "FLIP",
    "SCORE",
    "ClipLike",
    "Engine",
    "JobRunning",
    "Session",
    "add_imported_catalog",
    "beat_job",
    "check_invitation",
    "claim_model",
    "count_expired_battles",
    "create_battle",
    "create_invitation",
    "delete_expired_battles",
    "expired_battle_ids",
    "finish_job",
    "flag_vote",
    "flag_voter",
    "import_votes",
    "list_invitations",
    "new_public_id",
    "open_invitation",
    "pending_clips",
    "put_clip",
    "rebuild_pair_stats",
    "record_vote",
    "remember_reveals",
    "revealed_clips",
    "revoke_invitation",
    "save_snapshot",
    "set_retired",
    "start_job",
    "unflag_vote",
    "unflag_voter",
    "upsert_model",
    "upsert_prompt",
]
