"""The integrity monitor: per UTC day and track, the share of votes each filter kept out, and
the alarms that say a filter went wrong (pure: counts in, report out).

- ``rate_limit``'s share is of the day's vote attempts (stored votes plus refused ones): a
  refused attempt stores no vote. Every other filter's share is of the day's stored votes,
  counted from their ``VoteExclusion`` rows by reason, so a new reason appears unasked.
- A filter that raised is tallied as ``failed`` (the vote was kept).

Alarms, checked on today and yesterday (UTC), per track and filter:

- ``share``: the filter kept out at least ``max_share`` of the day's votes;
- ``jump``: its share is at least ``jump`` above its baseline, the pooled share of the
  ``baseline_days`` days before;
- ``failed``: it raised at least once.

The first two need ``min_votes`` attempts that day (the jump also in the baseline), so a quiet
day does not alarm on two votes; a failure always does. A filter that starts excluding every
vote therefore alarms on the first day it sees ``min_votes`` attempts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, Field

from arena.core.vocabulary import EXCLUSION_REASONS

RATE_LIMIT = "rate_limit"
ORDER = (RATE_LIMIT, *EXCLUSION_REASONS)
"""Display order of the filters; a reason not listed here follows, by name."""
ALWAYS = (RATE_LIMIT, "watch_time", "voter", "admin")
"""Filters shown even on days they kept nothing out."""
LABELS = {
    "rate_limit": "rate limits",
    "watch_time": "watch time",
    "voter": "voter flagged (anomaly test or admin)",
    "seen": "not blind (a clip revealed before)",
    "identity": "not invited or signed in",
    "admin": "admin (one vote)",
}


@dataclass(frozen=True)
class AlarmRules:
    max_share: float = 0.5
    jump: float = 0.2
    baseline_days: int = 7
    min_votes: int = 10


class FilterShare(BaseModel):
    filter: str
    label: str
    kept_out: int = Field(description="Votes excluded (or, for rate limits, attempts refused)")
    share: float | None = Field(
        description="kept_out over the day's stored votes (rate limits: over its attempts)"
    )
    failed: int = Field(description="Times the filter raised; those votes were kept")


class DayRow(BaseModel):
    day: str
    track: str
    attempts: int = Field(description="Stored votes plus rate-limited vote attempts")
    votes: int = Field(description="Stored votes")
    counted: int = Field(description="Stored votes that count")
    filters: list[FilterShare]


class Alarm(BaseModel):
    day: str
    track: str
    filter: str
    rule: str = Field(description="share, jump or failed")
    share: float | None
    baseline: float | None
    message: str


class MonitorReport(BaseModel):
    today: str
    since: str
    rules: dict[str, float]
    filters: list[str] = Field(description="The filters shown, in display order")
    rows: list[DayRow] = Field(description="Newest day first, then by track")
    alarms: list[Alarm]
    ok: bool = Field(description="No alarm")


def _order(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def build_report(
    *,
    votes: list[tuple[str, str, int]],
    excluded: list[tuple[str, str, str, int]],
    tallies: list[tuple[str, str, str, str, int]],
    today: date,
    days: int,
    rules: AlarmRules,
) -> MonitorReport:
    """The monitor's table and alarms from :class:`arena.store.monitor.FilterCounts` rows.

    ``days`` are shown, ending ``today``; the counts should reach ``rules.baseline_days``
    further back, for yesterday's baseline.
    """
    stored: dict[tuple[str, str], int] = defaultdict(int)
    kept: dict[tuple[str, str, str], int] = defaultdict(int)
    failed: dict[tuple[str, str, str], int] = defaultdict(int)
    names = set(ALWAYS)
    for day, track, n in votes:
        stored[day, track] += n
    for day, track, reason, n in excluded:
        kept[day, track, reason] += n
        names.add(reason)
    for day, track, name, kind, n in tallies:
        names.add(name)
        if kind == "failed":
            failed[day, track, name] += n
        elif name == RATE_LIMIT:
            kept[day, track, name] += n
    filters = sorted(names, key=_order)

    def denominator(day: str, track: str, name: str) -> int:
        votes = stored.get((day, track), 0)
        return votes + kept.get((day, track, RATE_LIMIT), 0) if name == RATE_LIMIT else votes

    def share(day: str, track: str, name: str) -> float | None:
        n = denominator(day, track, name)
        return kept.get((day, track, name), 0) / n if n else None

    keys = set(stored) | {k[:2] for k in kept} | {k[:2] for k in failed}
    since = (today - timedelta(days=days - 1)).isoformat()
    rows = []
    for day, track in sorted(keys, key=lambda k: (k[0], k[1]), reverse=True):
        if day < since:
            continue
        votes_n = stored.get((day, track), 0)
        excluded_n = sum(kept.get((day, track, f), 0) for f in filters if f != RATE_LIMIT)
        rows.append(
            DayRow(
                day=day,
                track=track,
                attempts=votes_n + kept.get((day, track, RATE_LIMIT), 0),
                votes=votes_n,
                counted=votes_n - excluded_n,
                filters=[
                    FilterShare(
                        filter=f,
                        label=LABELS.get(f, f.replace("_", " ")),
                        kept_out=kept.get((day, track, f), 0),
                        share=_round(share(day, track, f)),
                        failed=failed.get((day, track, f), 0),
                    )
                    for f in filters
                ],
            )
        )
    alarms = []
    checked = [today - timedelta(days=1), today]
    tracks = sorted({track for _, track in keys})
    for moment in checked:
        day = moment.isoformat()
        before = [
            (moment - timedelta(days=i)).isoformat() for i in range(1, rules.baseline_days + 1)
        ]
        for track in tracks:
            attempts = stored.get((day, track), 0) + kept.get((day, track, RATE_LIMIT), 0)
            for f in filters:
                n_failed = failed.get((day, track, f), 0)
                now_share = share(day, track, f)
                base_n = sum(denominator(d, track, f) for d in before)
                base = sum(kept.get((d, track, f), 0) for d in before) / base_n if base_n else None
                found: list[tuple[str, str]] = []  # (rule, what happened)
                if n_failed:
                    found.append(
                        ("failed", f"failed {n_failed} time(s); those votes were let through")
                    )
                if now_share is not None and attempts >= rules.min_votes:
                    if now_share >= rules.max_share:
                        found.append(
                            (
                                "share",
                                f"kept out {now_share:.0%} of the votes "
                                f"(alarm at {rules.max_share:.0%})",
                            )
                        )
                    steady = base is not None and base_n >= rules.min_votes
                    if steady and base is not None and now_share - base >= rules.jump:
                        found.append(
                            (
                                "jump",
                                f"kept out {now_share:.0%} of the votes against {base:.0%} over "
                                f"the {rules.baseline_days} days before "
                                f"(alarm at +{rules.jump:.0%})",
                            )
                        )
                alarms += [
                    Alarm(
                        day=day,
                        track=track,
                        filter=f,
                        rule=rule,
                        share=_round(now_share),
                        baseline=_round(base),
                        message=f"{day} {track}: the {f} filter {what}",
                    )
                    for rule, what in found
                ]
    return MonitorReport(
        today=today.isoformat(),
        since=since,
        rules={
            "max_share": rules.max_share,
            "jump": rules.jump,
            "baseline_days": rules.baseline_days,
            "min_votes": rules.min_votes,
        },
        filters=filters,
        rows=rows,
        alarms=alarms,
        ok=not alarms,
    )


def window_start(today: date, *, days: int, rules: AlarmRules) -> datetime:
    """The first moment whose counts :func:`build_report` needs (shown days and baselines)."""
    first = today - timedelta(days=max(days - 1, rules.baseline_days + 1))
    return datetime.combine(first, time(), tzinfo=UTC)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
