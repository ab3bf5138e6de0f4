"""The JSON API over real HTTP semantics: battles, votes, every error a voter can cause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.clock import utcnow
from arena.core.vocabulary import TRACKS
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, OnlineRating, PairStat, Vote


def new_battle(client: TestClient, track: str = "text-to-video") -> dict:
    response = client.post(f"/api/v1/battles?track={track}")
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("track", TRACKS)
def test_battle_pairs_two_models_on_one_prompt_of_the_track(
    client: TestClient, engine: Engine, track: str
) -> None:
    battle = new_battle(client, track)
    assert battle["track"] == track
    with session_scope(engine) as session:
        row = session.get(Battle, battle["id"])
        assert row is not None
        left, right = session.get(Clip, row.left_clip_id), session.get(Clip, row.right_clip_id)
    assert left is not None and right is not None
    assert left.prompt_id == right.prompt_id == row.prompt_id
    assert left.track == right.track == track
    assert left.model_id != right.model_id
    assert battle["left"]["url"] == f"/battles/{battle['id']}/left"
    assert battle["right"]["url"] == f"/battles/{battle['id']}/right"
    assert battle["has_audio"] == track.endswith("-audio")
    assert (battle["prompt"]["image_url"] is not None) == track.startswith("image")


def test_audio_tracks_only_pair_models_that_support_them(
    client: TestClient, engine: Engine
) -> None:
    with session_scope(engine) as session:
        clips = session.exec(select(Clip).where(Clip.track == "text-to-video-audio")).all()
    assert clips and all(c.has_audio for c in clips)
    assert len({c.model_id for c in clips}) == 3  # mute-4 is silent-only


def test_vote_reveals_models_and_moves_live_ratings(client: TestClient, engine: Engine) -> None:
    battle = new_battle(client)
    response = client.post(battle["vote_url"], json={"outcome": "a", "watch_ms": 4200})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "a"
    assert body["left"]["model"] != body["right"]["model"]
    # First vote for both: 1000 each, expected 0.5, K=4 -> +2 / -2.
    assert body["left"]["rating_before"] == body["right"]["rating_before"] == 1000.0
    assert body["left"]["rating"] == pytest.approx(1002.0)
    assert body["right"]["rating"] == pytest.approx(998.0)
    with session_scope(engine) as session:
        vote = session.exec(select(Vote)).one()
        ratings = {r.model_id: r for r in session.exec(select(OnlineRating))}
        stats = session.exec(select(PairStat)).all()
    assert vote.outcome == "a" and vote.watch_ms == 4200 and vote.battle_id == battle["id"]
    assert ratings[vote.model_a_id].wins == 1 and ratings[vote.model_b_id].losses == 1
    # One row for the whole track plus one per category of the prompt, each counted once.
    assert {s.count for s in stats} == {1}
    assert "" in {s.category for s in stats} and len(stats) >= 2


@pytest.mark.parametrize("outcome", ["tie", "both_bad"])
def test_tie_and_both_bad_are_stored_apart_and_rated_as_half_a_win(
    client: TestClient, engine: Engine, outcome: str
) -> None:
    battle = new_battle(client)
    body = client.post(battle["vote_url"], json={"outcome": outcome}).json()
    assert body["left"]["rating"] == pytest.approx(1000.0)
    with session_scope(engine) as session:
        assert session.exec(select(Vote.outcome)).one() == outcome


def test_second_vote_on_a_battle_is_409_and_changes_nothing(
    client: TestClient, engine: Engine
) -> None:
    battle = new_battle(client)
    assert client.post(battle["vote_url"], json={"outcome": "a"}).status_code == 200
    again = client.post(battle["vote_url"], json={"outcome": "b"})
    assert again.status_code == 409
    assert "already has a vote" in again.json()["detail"]
    with session_scope(engine) as session:
        assert session.exec(select(Vote.outcome)).all() == ["a"]


def test_unknown_battle_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/battles/no-such-battle/vote", json={"outcome": "a"})
    assert response.status_code == 404
    assert "no-such-battle" in response.json()["detail"]


def test_expired_battle_is_410(client: TestClient, engine: Engine) -> None:
    battle = new_battle(client)
    with session_scope(engine) as session:
        row = session.get(Battle, battle["id"])
        assert row is not None
        clips = [session.get(Clip, row.left_clip_id), session.get(Clip, row.right_clip_id)]
        assert clips[0] and clips[1]
        old = store.create_battle(
            session,
            track=row.track,
            prompt_id=row.prompt_id,
            left=clips[0],
            right=clips[1],
            voter_id=row.voter_id,
            ttl_seconds=60,
            strategy="test",
            probability=1.0,
            now=utcnow() - timedelta(hours=1),
        )
    response = client.post(f"/api/v1/battles/{old.id}/vote", json={"outcome": "a"})
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


def test_vote_from_another_voter_is_403(client: TestClient, settings, registry) -> None:  # type: ignore[no-untyped-def]
    battle = new_battle(client)
    client.cookies.clear()
    response = client.post(battle["vote_url"], json={"outcome": "a"})
    assert response.status_code == 403
    assert "another voter" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"outcome": "left"}, "'a', 'b', 'tie' or 'both_bad'"),
        ({}, "outcome"),
        ({"outcome": "a", "watch_ms": -5}, "greater than or equal to 0"),
        ({"outcome": "a", "extra": 1}, "extra"),
    ],
)
def test_bad_vote_body_is_422_naming_what_is_wrong(
    client: TestClient, body: dict, needle: str
) -> None:
    battle = new_battle(client)
    response = client.post(battle["vote_url"], json=body)
    assert response.status_code == 422
    assert needle in response.text


def test_malformed_json_is_422_not_500(client: TestClient) -> None:
    battle = new_battle(client)
    response = client.post(
        battle["vote_url"], content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_unknown_track_is_422_naming_the_tracks(client: TestClient) -> None:
    response = client.post("/api/v1/battles?track=music-video")
    assert response.status_code == 422
    assert "music-video" in response.json()["detail"]
    assert "text-to-video" in response.json()["detail"]


def test_unversioned_api_path_is_an_alias(client: TestClient) -> None:
    battle = client.post("/api/battles?track=image-to-video").json()
    response = client.post(f"/api/battles/{battle['id']}/vote", json={"outcome": "b"})
    assert response.status_code == 200


def test_leaderboard_json_reflects_votes(client: TestClient) -> None:
    for outcome in ("a", "b", "a"):
        battle = new_battle(client)
        client.post(battle["vote_url"], json={"outcome": outcome})
    board = client.get("/api/v1/leaderboard?track=text-to-video").json()
    assert board["track"] == "text-to-video"
    assert sum(row["live_votes"] for row in board["rows"]) == 6
    ratings = [row["live_rating"] for row in board["rows"]]
    assert ratings == sorted(ratings, reverse=True)
    assert board["official"] is None
    assert client.get("/api/v1/leaderboard?track=nope").status_code == 422


def test_voter_cookie_is_signed_httponly_and_samesite(client: TestClient) -> None:
    response = client.post("/api/v1/battles?track=text-to-video")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("arena_voter=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # A tampered cookie is replaced by a fresh identity, so it cannot vote on the old battle.
    battle = response.json()
    value = client.cookies["arena_voter"]
    client.cookies.clear()
    client.cookies.set("arena_voter", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.post(battle["vote_url"], json={"outcome": "a"}).status_code == 403


def test_openapi_lists_the_versioned_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/battles/{battle_id}/vote" in paths
    assert "/api/v1/leaderboard" in paths
    assert not any(p.startswith("/api/battles") for p in paths)
