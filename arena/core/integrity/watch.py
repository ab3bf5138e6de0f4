"""The watch-time rule: a vote counts only if both clips plausibly played long enough.

The client reports ``watch_ms`` (how long the clips played). The server checks it against
what it knows for sure: the time since it issued the battle, and the clips' duration.

- required = max(``min_watch_ms``, ``min_watch_fraction`` x the shorter clip's duration)
- too short: the server's own clock says less than ``required`` passed since the battle
  was issued, or the client reports less than ``required``;
- implausible: the client reports more playing time than has passed since issue (plus
  ``watch_slack_ms`` for clock granularity), or reports nothing at all.

Such a vote is stored and excluded (reason ``watch_time``), never silently dropped.
"""

from __future__ import annotations

from arena.core.integrity.policy import IntegrityPolicy


def required_ms(policy: IntegrityPolicy, clip_seconds: float) -> int:
    """How long both clips must have played for the vote to count."""
    return max(policy.min_watch_ms, round(policy.min_watch_fraction * clip_seconds * 1000))


def watch_problem(
    policy: IntegrityPolicy, *, watch_ms: int | None, elapsed_ms: float, clip_seconds: float
) -> str | None:
    """Why the vote must not count (a short sentence for the audit trail), or None if it may."""
    if not policy.watch_rule:
        return None
    need = required_ms(policy, clip_seconds)
    if watch_ms is None:
        return "no watch time reported"
    if watch_ms > elapsed_ms + policy.watch_slack_ms:
        return f"reported {watch_ms} ms of playing in {elapsed_ms:.0f} ms since the battle began"
    if elapsed_ms < need or watch_ms < need:
        return f"watched {watch_ms} ms of the {need} ms required"
    return None
