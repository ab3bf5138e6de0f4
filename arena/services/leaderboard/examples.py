"""Example documents for the OpenAPI schema: one realistic instance of each response."""

from __future__ import annotations

from typing import Any

LEADERBOARD: dict[str, Any] = {
    "schema_version": 1,
    "track": "text-to-video",
    "track_label": "Text to video",
    "category": "",
    "sort": "rank",
    "order": "asc",
    "hide_retired": False,
    "min_votes": 100,
    "recent_claim_days": 30,
    "tracks": [
        {
            "id": "text-to-video",
            "label": "Text to video",
            "url": "/leaderboard?track=text-to-video",
        }
    ],
    "categories": [
        {
            "id": "",
            "label": "All prompts",
            "votes": 1520,
            "url": "/leaderboard?track=text-to-video",
        }
    ],
    "official": {
        "snapshot_id": 12,
        "method": "bradley_terry",
        "created_at": "2026-11-22T18:00:00Z",
        "vote_count": 1500,
        "fingerprint": "9f2c...",
        "ci": "bootstrap",
        "level": 0.95,
        "rounds": 1000,
        "seed": 0,
        "ties": "half",
        "prior": 1.0,
        "min_votes": 100,
        "new_votes": 20,
        "stale": False,
        "tiers": 1,
    },
    "live": {
        "method": "online_elo",
        "k": 4.0,
        "initial": 1000.0,
        "vote_count": 1520,
        "elo_available": True,
        "excluded": {"watch_time": 31, "seen": 4},
    },
    "rows": [
        {
            "rank": 1,
            "model": "aurora-2",
            "name": "Aurora-2",
            "organization": "Aurora Labs",
            "license": "proprietary",
            "url": "/models/aurora-2",
            "rating": 1161.4,
            "lower": 1140.2,
            "upper": 1183.9,
            "ci_plus": 22.5,
            "ci_minus": 21.2,
            "votes": 430,
            "wins": 301.0,
            "losses": 97.0,
            "ties": 32.0,
            "win_rate": 0.7372,
            "provisional": False,
            "not_comparable": None,
            "retired": False,
            "recently_claimed": False,
            "claimed_at": None,
            "formerly": None,
            "live_rating": 1049.7,
            "live_votes": 436,
            "rank_lower": 1,
            "rank_upper": 1,
            "tier": 1,
        }
    ],
    "links": {
        "html": "/leaderboard?track=text-to-video",
        "api": "/api/v1/leaderboard?track=text-to-video",
        "csv": "/api/v1/leaderboard.csv?track=text-to-video",
        "matrix": "/api/v1/leaderboard/matrix?track=text-to-video",
        "history": "/api/v1/leaderboard/history?track=text-to-video",
        "plots": {"ratings": "/api/v1/leaderboard/plots/ratings.svg?track=text-to-video"},
    },
}

PAIRMATRIX: dict[str, Any] = {
    "track": "text-to-video",
    "category": "",
    "models": ["aurora-2", "kestrel-1.5"],
    "names": ["Aurora-2", "Kestrel 1.5"],
    "battles": [[0, 212], [212, 0]],
    "win_rate": [[None, 0.61], [0.39, None]],
    "predicted": [[0.5, 0.6], [0.4, 0.5]],
}

RATINGHISTORY: dict[str, Any] = {
    "track": "text-to-video",
    "category": "",
    "snapshots": 2,
    "series": [
        {
            "model": "aurora-2",
            "name": "Aurora-2",
            "points": [
                {
                    "snapshot_id": 3,
                    "created_at": "2026-11-21T18:00:00Z",
                    "vote_count": 700,
                    "rating": 1150.2,
                    "lower": 1120.0,
                    "upper": 1181.7,
                    "rank": 1,
                }
            ],
        }
    ],
}

MODELPROFILE: dict[str, Any] = {
    "schema_version": 1,
    "model": "grain-pro",
    "name": "Grain Pro",
    "organization": "Real Lab",
    "license": "open weights (MIT)",
    "release_date": "2026-01-01",
    "link": "https://example.org/grain-pro",
    "provider": "procedural",
    "retired": False,
    "retired_at": None,
    "claimed_at": "2026-11-20T12:00:00Z",
    "recently_claimed": True,
    "claims": [
        {
            "from_model": "grainy-2",
            "from_name": "Grainy Two",
            "from_organization": "Anonymous",
            "claimed_at": "2026-11-20T12:00:00Z",
            "note": "",
        }
    ],
    "tracks": [
        {
            "track": "text-to-video",
            "track_label": "Text to video",
            "rank": 2,
            "models": 4,
            "rating": 992.5,
            "lower": 916.0,
            "upper": 1066.4,
            "votes": 144,
            "win_rate": 0.4886,
            "provisional": False,
            "live_rating": 1000.1,
            "live_votes": 146,
            "snapshot_at": "2026-11-22T18:00:00Z",
            "leaderboard": "/leaderboard?track=text-to-video",
        }
    ],
    "head_to_head": [
        {
            "track": "text-to-video",
            "track_label": "Text to video",
            "opponent": "clean-1",
            "opponent_name": "Clean One",
            "votes": 48,
            "wins": 15,
            "losses": 30,
            "ties": 2,
            "both_bad": 1,
            "win_rate": 0.3438,
            "predicted": 0.331,
        }
    ],
    "clips": [
        {
            "track": "text-to-video",
            "prompt": "A red ball bouncing across a meadow",
            "image_url": None,
            "url": "/models/grain-pro/clips/t2v-ball",
            "duration": 4.0,
            "width": 1280,
            "height": 720,
            "has_audio": False,
        }
    ],
}
