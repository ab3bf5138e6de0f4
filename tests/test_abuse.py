"""Abuse at the HTTP edge: honest answers for uncounted votes, 429 with Retry-After, client
addresses behind proxies, oversized and malformed bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select
from starlette.requests import Request

from arena.core.integrity.policy import parse_networks
from arena.registry.plugins import Registry
from arena.settings import Settings, SettingsError
from arena.store.engine import session_scope
from arena.store.tables import OnlineRating, PairStat, Vote, VoteExclusion
from arena.web.app import create_app
from arena.web.client import address_hash, client_address


def make_client(settings: Settings, registry: Registry, **changes: object) -> TestClient:
    return TestClient(create_app(settings.with_(**changes), registry, seed=0))


@pytest.fixture
def strict(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    """The production watch-time defaults."""
    defaults = Settings()
    with make_client(
        settings,
        registry,
        min_watch_ms=defaults.min_watch_ms,
        min_watch_fraction=defaults.min_watch_fraction,
    ) as client:
        yield client


def test_a_vote_before_the_clips_could_play_is_stored_but_honestly_not_counted(
    strict: TestClient, engine: Engine
) -> None:
    battle = strict.post("/api/v1/battles?track=text-to-video").json()
    response = strict.post(battle["vote_url"], json={"outcome": "a", "watch_ms": 6000})
    assert response.status_code == 200
    body = response.json()
    assert body["counted"] is False
    assert "does not count" in body["note"] and "Watch both clips" in body["note"]
    assert "6000" not in body["note"]  # the rule's numbers stay in the audit trail
    assert body["left"]["rating"] == body["left"]["rating_before"] == 1000.0
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Vote)).one() == 1
        assert session.exec(select(VoteExclusion.reason)).one() == "watch_time"
        assert session.exec(select(PairStat)).all() == []
        assert session.exec(select(OnlineRating)).all() == []
    assert strict.post(battle["vote_url"], json={"outcome": "b"}).status_code == 409


def test_battle_and_vote_limits_answer_429_with_retry_after(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    with make_client(
        settings, registry, voter_battle_limits="3/minute", voter_vote_limits="2/hour"
    ) as client:
        battles = [client.post("/api/v1/battles?track=image-to-video") for _ in range(3)]
        assert [b.status_code for b in battles] == [201, 201, 201]
        refused = client.post("/api/v1/battles?track=image-to-video")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 120
        assert "3/minute" in refused.json()["detail"]
        # The page itself is no battle: it opens, and its script's POST gets the 429.
        page = client.get("/?track=image-to-video", headers={"accept": "text/html"})
        assert page.status_code == 200
        urls = [b.json()["vote_url"] for b in battles]
        assert [client.post(u, json={"outcome": "a"}).status_code for u in urls] == [200, 200, 429]
        with session_scope(engine) as session:
            assert session.exec(select(func.count()).select_from(Vote)).one() == 2


def test_address_limits_hold_across_voters_and_trust_forwarded_for_only_from_proxies(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    with make_client(
        settings, registry, ip_battle_limits="2/minute", trusted_proxies="10.0.0.0/8"
    ) as client:
        for _ in range(2):
            client.cookies.clear()  # a new voter each time: same address
            assert client.post("/api/v1/battles?track=text-to-video").status_code == 201
        client.cookies.clear()
        # The test client's peer is not a trusted proxy, so a forged header changes nothing.
        forged = {"X-Forwarded-For": "203.0.113.9"}
        assert client.post("/api/v1/battles", headers=forged).status_code == 429


def scope_request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.mark.parametrize(
    "peer, forwarded, trusted, address",
    [
        ("198.51.100.7", ["1.2.3.4"], "", "198.51.100.7"),  # no proxy configured
        ("198.51.100.7", ["1.2.3.4"], "10.0.0.0/8", "198.51.100.7"),  # peer not trusted
        ("10.0.0.2", ["1.2.3.4"], "10.0.0.0/8", "1.2.3.4"),
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4"], "10.0.0.0/8", "1.2.3.4"),  # forged hop on the left
        ("10.0.0.2", ["6.6.6.6", "1.2.3.4, 10.0.0.9"], "10.0.0.0/8", "1.2.3.4"),
        ("10.0.0.2", [], "10.0.0.0/8", "10.0.0.2"),
        ("::1", ["2001:db8::5"], "::1", "2001:db8::5"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], trusted: str, address: str) -> None:
    assert client_address(scope_request(peer, forwarded), parse_networks(trusted)) == address


def test_addresses_are_stored_only_as_a_keyed_hash(client: TestClient, engine: Engine) -> None:
    battle = client.post("/api/v1/battles?track=text-to-video").json()
    client.post(battle["vote_url"], json={"outcome": "a"})
    with session_scope(engine) as session:
        stored = session.exec(select(Vote.ip_hash)).one()
    assert stored and len(stored) == 32 and "testclient" not in stored
    assert address_hash("testclient", b"one") != address_hash("testclient", b"two")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"ARENA_VOTER_VOTE_LIMITS": "20/fortnight"}, "ARENA_VOTER_VOTE_LIMITS: bad limit"),
        ({"ARENA_TRUSTED_PROXIES": "10.0.0.0/8, proxy"}, "ARENA_TRUSTED_PROXIES: not an IP"),
        ({"ARENA_ANOMALY_ALPHA": "2"}, "ARENA_ANOMALY_ALPHA must be in [0, 1)"),
        ({"ARENA_ADMIN_TOKEN": "short"}, "ARENA_ADMIN_TOKEN must be at least 16"),
        ({"ARENA_MAX_BODY_BYTES": "10"}, "ARENA_MAX_BODY_BYTES must be 1024 or more"),
        ({"ARENA_MIN_WATCH_MS": "-1"}, "ARENA_MIN_WATCH_MS must be 0 or more"),
    ],
)
def test_bad_integrity_settings_fail_naming_the_variable(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(changes)
    assert str(caught.value).startswith(message)


def test_oversized_bodies_are_refused_before_they_are_read(client: TestClient) -> None:
    battle = client.post("/api/v1/battles?track=text-to-video").json()
    huge = b'{"outcome": "a", "pad": "' + b"x" * 100_000 + b'"}'
    response = client.post(
        battle["vote_url"], content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "65536" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"outcome": "a", "pad": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    streamed = client.post(
        battle["vote_url"], content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    # The battle is untouched: the real vote still goes in.
    assert client.post(battle["vote_url"], json={"outcome": "a"}).status_code == 200


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'"a"', b"null", b'{"outcome": "a", "watch_ms": 1e400}', b"\xff\xfe"],
)
def test_malformed_vote_bodies_are_4xx(client: TestClient, content: bytes) -> None:
    battle = client.post("/api/v1/battles?track=text-to-video").json()
    response = client.post(
        battle["vote_url"], content=content, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
