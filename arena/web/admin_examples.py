"""Example answers of the admin API, for its OpenAPI document (one realistic instance each)."""

from __future__ import annotations

from typing import Any

WHEN = "2026-11-22T18:00:00Z"

MODELS = [
    {
        "model": "aurora-2",
        "name": "Aurora-2",
        "organization": "Northlight Labs",
        "license": "proprietary",
        "provider": "procedural",
        "tracks": ["text-to-video"],
        "retired": False,
        "claimed_at": None,
        "clips": {"text-to-video": 4},
        "lacks": [],
    }
]
SYNC = {
    "added": 3,
    "replaced": 0,
    "unchanged": 101,
    "rejected": [{"model": "static-0", "prompt": "t2va-birds", "reason": "no audio stream"}],
}
DONE = {"ok": True, "detail": "model 'static-0' retired", "votes_affected": 0}
VOTER = {
    "voter_id": "Jx3q0c0v1Fh6o2c3rQ8YtA",
    "flagged": True,
    "flag_source": "auto",
    "flag_reason": "anomalous votes (evidence 1043 >= 1000)",
    "flagged_at": WHEN,
    "evidence": 1043.2,
    "tested_votes": 57,
    "votes": 61,
    "excluded_votes": 61,
}
EXCLUDED = {
    "vote_id": 4172,
    "battle_id": "OnIDAPrin7KR17IlzWJuSA",
    "voter_id": "Jx3q0c0v1Fh6o2c3rQ8YtA",
    "track": "text-to-video",
    "left": "aurora-2",
    "right": "static-0",
    "outcome": "b",
    "watch_ms": 350,
    "created_at": WHEN,
    "reason": "watch_time",
    "source": "auto",
    "actor": "",
    "detail": "watched 350 ms of the 3000 ms needed",
    "excluded_at": WHEN,
}
EVENT = {
    "id": 12,
    "action": "flag_voter",
    "voter_id": "Jx3q0c0v1Fh6o2c3rQ8YtA",
    "vote_id": None,
    "source": "admin",
    "actor": "alice",
    "reason": "sybil ring",
    "votes_affected": 61,
    "created_at": WHEN,
}
BIAS = {
    "track": "text-to-video",
    "votes": 1520,
    "left_wins": 700,
    "right_wins": 640,
    "ties": 120,
    "both_bad": 60,
    "left_share": 0.522,
    "lower": 0.496,
    "upper": 0.549,
    "p_value": 0.10,
}
SOURCES = {
    "model": "aurora-2",
    "votes": 310,
    "wins": 201.5,
    "new_voter_win_share": 0.12,
    "addresses": 88,
    "top_address_win_share": 0.07,
}
HEALTH = {
    "battles": {
        "expired_unvoted": 12,
        "purged": 340,
        "purge_runs": 5,
        "purge_interval_seconds": 1800,
        "last_purge_at": WHEN,
        "last_purge_error": None,
    },
    "proxy": {
        "trusted_proxies": ["127.0.0.1/32"],
        "untrusted_proxy_seen": False,
        "peer": None,
        "header": None,
        "seen_at": None,
        "warning": None,
    },
    "ok": False,
    "integrity": {
        "ok": False,
        "alarms": [
            {
                "day": "2026-11-22",
                "track": "text-to-video",
                "filter": "watch_time",
                "rule": "share",
                "share": 1.0,
                "baseline": 0.04,
                "message": "2026-11-22 text-to-video: the watch_time filter kept out 100% of "
                "the votes (alarm at 50%)",
            }
        ],
    },
}


def _share(name: str, label: str, kept: int, share: float, failed: int = 0) -> dict[str, Any]:
    return {"filter": name, "label": label, "kept_out": kept, "share": share, "failed": failed}


MONITOR = {
    "today": "2026-11-22",
    "since": "2026-11-09",
    "rules": {"max_share": 0.5, "jump": 0.2, "baseline_days": 7, "min_votes": 10},
    "filters": ["rate_limit", "watch_time", "voter", "admin"],
    "rows": [
        {
            "day": "2026-11-22",
            "track": "text-to-video",
            "attempts": 420,
            "votes": 400,
            "counted": 371,
            "filters": [
                _share("rate_limit", "rate limits", 20, 0.0476),
                _share("watch_time", "watch time", 16, 0.04),
                _share("voter", "voter flagged (anomaly test or admin)", 12, 0.03, failed=1),
                _share("admin", "admin (one vote)", 1, 0.0025),
            ],
        }
    ],
    "alarms": [
        {
            "day": "2026-11-22",
            "track": "text-to-video",
            "filter": "voter",
            "rule": "failed",
            "share": 0.03,
            "baseline": 0.028,
            "message": "2026-11-22 text-to-video: the voter filter failed 1 time(s); those "
            "votes were let through",
        }
    ],
    "ok": False,
}
FITS = [
    {
        "track": "text-to-video",
        "category": "",
        "snapshot_id": 42,
        "votes": 1520.0,
        "models": 7,
        "fingerprint": "9f2c41d0a7",
        "seconds": 0.84,
    }
]


_JOB = {
    "id": 7,
    "kind": "recompute",
    "state": "running",
    "stage": "starting",
    "done": None,
    "total": None,
    "result": None,
    "error": "",
    "actor": "alice",
    "owner": "arena-web-1:4121:9f2c41d0",
    "created_at": WHEN,
    "heartbeat_at": WHEN,
    "finished_at": None,
    "status_url": "/api/v1/admin/jobs/7",
}
RECOMPUTE_JOB = _JOB
SYNC_JOB = _JOB | {"kind": "sync", "id": 6, "status_url": "/api/v1/admin/jobs/6"}
RECOMPUTE_DONE = _JOB | {
    "state": "done",
    "stage": "text-to-video (all)",
    "done": 1,
    "total": 1,
    "result": FITS,
    "finished_at": "2026-11-22T18:00:02Z",
}
SYNC_DONE = SYNC_JOB | {
    "state": "done",
    "stage": "normalize aurora-2 / t2va-birds",
    "done": 3,
    "total": 3,
    "result": SYNC,
    "finished_at": "2026-11-22T18:01:40Z",
}
RUNNING = {
    "detail": "admin job 7 (recompute) is running: started 2026-11-22 18:00:00 UTC by alice, "
    "stage 'starting'; one job runs at a time (follow it with `arena admin job 7`)"
}


def started(example: Any) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that starts a job: ``202`` with it, or ``409``."""
    return {
        202: {"content": {"application/json": {"example": example}}},
        409: {
            "description": "another job is running",
            "content": {"application/json": {"example": RUNNING}},
        },
    }


def ok(example: Any) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route whose 200 answer looks like ``example``."""
    return {200: {"content": {"application/json": {"example": example}}}}
