"""The admin's side of vote integrity: who is flagged and why, what is excluded, the audit
trail, position bias and vote sources; flagging and unflagging voters and votes."""

from __future__ import annotations

from arena.store.flags import flag_vote, flag_voter, unflag_vote, unflag_voter
from arena.store.reads.integrity import (
    EventOut,
    ExcludedVote,
    VoterReport,
    VoteSources,
    excluded_votes,
    flagged_voters,
    integrity_events,
    position_bias_report,
    vote_sources,
    voter_report,
)

__all__ = [
    "EventOut",
    "ExcludedVote",
    "VoteSources",
    "VoterReport",
    "excluded_votes",
    "flag_vote",
    "flag_voter",
    "flagged_voters",
    "integrity_events",
    "position_bias_report",
    "unflag_vote",
    "unflag_voter",
    "vote_sources",
    "voter_report",
]
