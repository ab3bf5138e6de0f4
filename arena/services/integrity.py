"""The admin's side of vote integrity: who is flagged and why, what is excluded, the audit
trail, position bias and vote sources, the monitor and its alarms; flagging and unflagging
voters and votes."""

from __future__ import annotations

import logging

from arena.core.integrity.monitor import MonitorReport
from arena.settings import Settings
from arena.store import Engine
from arena.store.engine import session_scope
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
from arena.store.reads.monitor import integrity_monitor

__all__ = [
    "EventOut",
    "ExcludedVote",
    "VoteSources",
    "VoterReport",
    "check_integrity",
    "excluded_votes",
    "flag_vote",
    "flag_voter",
    "flagged_voters",
    "integrity_events",
    "integrity_monitor",
    "position_bias_report",
    "unflag_vote",
    "unflag_voter",
    "vote_sources",
    "voter_report",
]

log = logging.getLogger("arena.core.integrity")


def check_integrity(engine: Engine, settings: Settings) -> MonitorReport:
    """The monitor's report; each alarm is also a WARNING line on the ``arena.core.integrity``
    log."""
    with session_scope(engine) as session:
        report = integrity_monitor(session, settings=settings)
    for alarm in report.alarms:
        log.warning("integrity alarm (%s): %s", alarm.rule, alarm.message)
    return report
