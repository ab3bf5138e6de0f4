"""The admin API over HTTP: the token, models, voters and votes, bias, recompute; and the
``arena admin`` command against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.services import integrity
from arena.settings import Settings
from arena.web.app import create_app
from tests.browser import live_server
from tests.invariants import assert_stats_equal_group_by

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)
    with TestClient(app) as client:
        yield client


def wait_for_job(client: TestClient | httpx.Client, job: dict, timeout: float = 30) -> dict:
    """Poll a job's status URL until it ends; the ended job."""
    deadline = time.monotonic() + timeout
    while job["state"] == "running":
        assert time.monotonic() < deadline, f"job still running: {job}"
        time.sleep(0.05)
        response = client.get(job["status_url"], headers=AUTH)
        assert response.status_code == 200, response.text
        job = response.json()
    return job


def cast_votes(client: TestClient, n: int, track: str = "text-to-video") -> list[dict]:
    results = []
    for i in range(n):
        battle = client.post(f"/api/v1/battles?track={track}").json()
        outcome = ("a", "b", "tie", "both_bad")[i % 4]
        response = client.post(battle["vote_url"], json={"outcome": outcome, "watch_ms": 3000})
        assert response.status_code == 200, response.text
        results.append(response.json())
    return results


def test_without_a_configured_token_admin_routes_are_403_saying_so(client: TestClient) -> None:
    response = client.get("/api/v1/admin/voters/flagged", headers=AUTH)
    assert response.status_code == 403
    assert "ARENA_ADMIN_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-000000000"}, {"Authorization": TOKEN}],
)
def test_missing_or_wrong_token_is_401(admin: TestClient, headers: dict) -> None:
    for method, path in [
        ("GET", "/api/v1/admin/models"),
        ("POST", "/api/v1/admin/models/clean-1/retire"),
        ("POST", "/api/v1/admin/recompute"),
    ]:
        response = admin.request(method, path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_models_retire_unretire_claim_and_sync(admin: TestClient) -> None:
    listing = admin.get("/api/v1/admin/models", headers=AUTH).json()
    assert {m["model"] for m in listing} == {"clean-1", "grainy-2", "broken-3", "mute-4"}
    assert admin.post("/api/v1/admin/models/broken-3/retire", headers=AUTH).status_code == 200
    for _ in range(15):  # this worker's catalogue was refreshed at once
        battle = admin.post("/api/v1/battles?track=text-to-video").json()
        revealed = admin.post(battle["vote_url"], json={"outcome": "a"}).json()
        assert "broken-3" not in (revealed["left"]["model"], revealed["right"]["model"])
    assert admin.post("/api/v1/admin/models/broken-3/unretire", headers=AUTH).status_code == 200
    claim = {"new_slug": "acme-2", "name": "Acme Two", "organization": "Acme"}
    response = admin.post("/api/v1/admin/models/mute-4/claim", json=claim, headers=AUTH)
    assert response.status_code == 200 and "acme-2" in response.json()["detail"]
    again = admin.post("/api/v1/admin/models/mute-4/claim", json=claim, headers=AUTH)
    assert again.status_code == 404 and "mute-4" in again.json()["detail"]
    bad = admin.post("/api/v1/admin/models/acme-2/claim", json={"new_slug": "a b"}, headers=AUTH)
    assert bad.status_code == 422
    started = admin.post("/api/v1/admin/models/sync", headers=AUTH)
    assert started.status_code == 202, started.text
    job = wait_for_job(admin, started.json())
    assert job["state"] == "done" and job["kind"] == "sync", job
    assert job["result"]["rejected"] == [] and job["result"]["added"] == 0


def test_flag_and_unflag_a_voter_and_a_vote(admin: TestClient, engine: Engine) -> None:
    cast_votes(admin, 8)
    voter = admin.cookies["arena_voter"].split(".")[0]
    response = admin.post(
        f"/api/v1/admin/voters/{voter}/flag", json={"reason": "sybil ring", "actor": "ana"}
    )
    assert response.status_code == 401  # the token is needed on every call
    flag = admin.post(
        f"/api/v1/admin/voters/{voter}/flag",
        json={"reason": "sybil ring", "actor": "ana"},
        headers=AUTH,
    )
    assert flag.json()["votes_affected"] == 8
    twice = admin.post(f"/api/v1/admin/voters/{voter}/flag", json={}, headers=AUTH)
    assert twice.status_code == 409
    (listed,) = admin.get("/api/v1/admin/voters/flagged", headers=AUTH).json()
    assert listed["voter_id"] == voter and listed["excluded_votes"] == 8
    assert listed["flag_source"] == "admin" and listed["flag_reason"] == "sybil ring"
    # A flagged voter's new vote is stored, not counted, and the voter is told only that.
    (held,) = cast_votes(admin, 1)
    assert held["counted"] is False and "held for review" in held["note"]
    assert "flag" not in held["note"]
    excluded = admin.get("/api/v1/admin/votes/excluded?reason=voter", headers=AUTH).json()
    assert len(excluded) == 9 and {e["reason"] for e in excluded} == {"voter"}
    one = excluded[0]["vote_id"]
    assert admin.post(f"/api/v1/admin/votes/{one}/unflag", json={}, headers=AUTH).status_code == 200
    unflag = admin.post(f"/api/v1/admin/voters/{voter}/unflag", json={"actor": "bo"}, headers=AUTH)
    assert unflag.json()["votes_affected"] == 8
    events = admin.get(f"/api/v1/admin/events?voter_id={voter}", headers=AUTH).json()
    assert [e["action"] for e in events] == ["unflag_voter", "unflag_vote", "flag_voter"]
    assert [e["actor"] for e in events] == ["bo", "admin", "ana"]
    assert admin.post("/api/v1/admin/votes/99999/flag", json={}, headers=AUTH).status_code == 404
    assert_stats_equal_group_by(engine)


def test_position_bias_is_measured_per_track(admin: TestClient) -> None:
    results = cast_votes(admin, 8)  # outcomes cycle a, b, tie, both_bad
    assert all(r["counted"] for r in results)
    rows = {r["track"]: r for r in admin.get("/api/v1/admin/position-bias", headers=AUTH).json()}
    t2v = rows["text-to-video"]
    assert (t2v["left_wins"], t2v["right_wins"], t2v["ties"], t2v["both_bad"]) == (2, 2, 2, 2)
    assert t2v["left_share"] == 0.5 and t2v["p_value"] == pytest.approx(1.0)
    assert t2v["lower"] < 0.5 < t2v["upper"]
    assert rows["image-to-video"]["left_share"] is None
    assert rows["all"]["votes"] == 8
    sources = admin.get("/api/v1/admin/vote-sources?track=text-to-video", headers=AUTH).json()
    assert sum(s["votes"] for s in sources) == 16  # two sides per vote
    assert all(s["new_voter_win_share"] == 0.0 for s in sources if s["wins"])  # one voter, 8 votes
    bad = admin.get("/api/v1/admin/vote-sources?track=radio", headers=AUTH)
    assert bad.status_code == 422


def test_recompute_stores_snapshots_the_leaderboard_shows(admin: TestClient) -> None:
    for _ in range(6):
        battle = admin.post("/api/v1/battles?track=text-to-video").json()
        assert admin.post(battle["vote_url"], json={"outcome": "a"}).status_code == 200
    assert admin.post("/api/v1/admin/recompute").status_code == 401
    response = admin.post("/api/v1/admin/recompute", headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == response.json()["status_url"]
    job = wait_for_job(admin, response.json())
    assert job["state"] == "done", job
    fits = {(f["track"], f["category"]): f for f in job["result"]}
    whole = fits[("text-to-video", "")]
    assert whole["votes"] == 6 and whole["models"] >= 2
    board = admin.get("/api/v1/leaderboard?track=text-to-video").json()
    assert board["official"]["snapshot_id"] == whole["snapshot_id"]


def arena_admin(url: str, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARENA_URL": url, "ARENA_ADMIN_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "arena.cli", "admin", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_arena_admin_command_calls_the_api_with_the_token(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)
    with live_server(app) as url:
        listing = arena_admin(url, "models", "list", "--json")
        assert listing.returncode == 0, listing.stderr
        assert {m["model"] for m in json.loads(listing.stdout)} >= {"clean-1", "mute-4"}
        retire = arena_admin(url, "models", "retire", "grainy-2")
        assert retire.returncode == 0 and "retired" in retire.stdout
        flag = arena_admin(url, "voters", "flag", "someone", "--reason", "test")
        assert flag.returncode == 0 and "flagged" in flag.stdout
        flagged = arena_admin(url, "voters", "flagged")
        assert "someone" in flagged.stdout and "test" in flagged.stdout
        bias = arena_admin(url, "bias")
        assert bias.returncode == 0 and "text-to-video" in bias.stdout
        wrong = arena_admin(url, "voters", "flagged", token="not-the-token-000000")
        assert wrong.returncode == 2 and "401" in wrong.stderr and "token" in wrong.stderr
        missing = arena_admin(url, "voters", "unflag", "nobody")
        assert missing.returncode == 2 and "'nobody' is not flagged" in missing.stderr
    down = arena_admin(url, "voters", "flagged")
    assert down.returncode == 2 and "cannot reach" in down.stderr


def test_votes_while_an_admin_write_holds_the_writer_queue_do_not_block_the_server(
    settings: Settings, registry: Registry, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin route's write runs on the writer thread (arena.store.writer); a battle and a
    vote arriving meanwhile wait their turn behind it there, never on the event loop, which
    must go on serving (else the whole worker would hang)."""
    real = integrity.flag_voter
    entered = threading.Event()

    def slow_flag(*args: object, **kwargs: object) -> int:
        entered.set()
        time.sleep(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(integrity, "flag_voter", slow_flag)
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=20) as voter:
        flagged: list[int] = []
        admin_call = threading.Thread(
            target=lambda: flagged.append(
                httpx.post(
                    f"{base}/api/v1/admin/voters/someone/flag",
                    json={"reason": "test"},
                    headers=AUTH,
                    timeout=20,
                ).status_code
            )
        )
        admin_call.start()
        assert entered.wait(10)
        started = time.monotonic()
        battle = voter.post("/api/v1/battles?track=text-to-video")
        assert battle.status_code == 201, battle.text
        vote = voter.post(battle.json()["vote_url"], json={"outcome": "a", "watch_ms": 3000})
        assert vote.status_code == 200, vote.text
        admin_call.join(20)
        assert flagged == [200]
        assert time.monotonic() - started < 10
