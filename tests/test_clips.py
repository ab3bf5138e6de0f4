"""Battle clips by per-battle URL: the battle's voter only, until it expires plus the grace
period; range requests; private caching; prompt images by content name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from arena.core.clock import utcnow
from arena.registry.plugins import Registry
from arena.settings import Settings, SettingsError
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip
from arena.web.app import create_app


def a_battle(client: TestClient, track: str = "text-to-video") -> dict:
    response = client.post(f"/api/v1/battles?track={track}")
    assert response.status_code == 201
    return response.json()


def test_range_request_returns_206_with_the_slice(client: TestClient) -> None:
    url = a_battle(client)["left"]["url"]
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == whole.content[-50:]


def test_clips_are_cached_privately_until_the_battle_and_its_grace_end(
    client: TestClient, settings: Settings
) -> None:
    response = client.get(a_battle(client)["left"]["url"])
    directive, age = response.headers["cache-control"].split(", max-age=")
    assert directive == "private"
    assert 0 < int(age) <= settings.battle_ttl_seconds + settings.clip_grace_seconds + 1


def test_a_clip_url_serves_only_the_battles_voter(
    client: TestClient, settings: Settings, registry: Registry
) -> None:
    url = a_battle(client)["right"]["url"]
    assert client.get(url).status_code == 200
    with TestClient(create_app(settings, registry)) as stranger:  # another cookie
        response = stranger.get(url)
    assert response.status_code == 403
    assert "another voter" in response.json()["detail"]


def test_the_next_battle_prefetched_beside_the_current_one_plays_too(client: TestClient) -> None:
    current, following = a_battle(client), a_battle(client)
    for battle in (current, following):
        for side in ("left", "right"):
            assert (
                client.get(battle[side]["url"], headers={"Range": "bytes=0-9"}).status_code == 206
            )


def test_a_clip_url_lasts_through_the_grace_period_after_the_battle_expires(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    grace = timedelta(seconds=settings.clip_grace_seconds)

    def expired(ago: timedelta) -> dict:
        battle = a_battle(client)
        with session_scope(engine, write=True) as session:
            row = session.get(Battle, battle["id"])
            assert row is not None
            row.expires_at = utcnow() - ago
            session.add(row)
            session.commit()
        return battle

    in_grace = expired(grace - timedelta(seconds=30))
    assert client.get(in_grace["left"]["url"]).status_code == 200
    gone = client.get(expired(grace + timedelta(seconds=1))["left"]["url"])
    assert gone.status_code == 410 and "expired" in gone.json()["detail"]


def test_unsatisfiable_range_is_416(client: TestClient) -> None:
    response = client.get(a_battle(client)["left"]["url"], headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/battles/doesnotexist0000000000/left", 404),
        ("/battles/..%2F..%2Farena.db/left", 404),
        ("/battles/short/left", 404),
        ("/battles/kq3V0n7cX1mB2s9dFh4LzA/middle", 422),
        ("/clips/doesnotexist0000000000", 404),
        ("/images/..%2Farena.toml", 404),
        ("/images/notahash.png", 404),
    ],
)
def test_unknown_or_traversing_paths_are_4xx(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert b"SQLite" not in response.content


def test_source_images_are_served(client: TestClient) -> None:
    battle = a_battle(client, "image-to-video")
    response = client.get(battle["prompt"]["image_url"])
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("offload", ["x-accel-redirect", "x-sendfile"])
def test_with_an_offload_the_app_only_authorizes_and_names_the_file_to_the_front_server(
    settings: Settings, registry: Registry, engine: Engine, offload: str
) -> None:
    front = settings.with_(clip_offload=offload, trusted_proxies="127.0.0.1")
    app = create_app(front, registry)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        battle = a_battle(client)
        response = client.get(battle["left"]["url"])
        assert response.status_code == 200 and response.content == b""
        assert response.headers["content-type"] == "video/mp4"
        assert response.headers["cache-control"].startswith("private, max-age=")
        with session_scope(engine) as session:
            row = session.get(Battle, battle["id"])
            assert row is not None
            clip = session.get(Clip, row.left_clip_id)
            assert clip is not None
        if offload == "x-accel-redirect":
            assert response.headers["x-accel-redirect"] == f"/_arena_clips/{clip.file}"
        else:
            assert response.headers["x-sendfile"] == str((settings.clips_dir / clip.file).resolve())
        # The authorization still holds: another voter gets a 403 and no file name.
        with TestClient(app, client=("127.0.0.1", 50001)) as stranger:
            refused = stranger.get(battle["left"]["url"])
        assert refused.status_code == 403
        assert "x-accel-redirect" not in refused.headers and "x-sendfile" not in refused.headers
    # A request that reached the app directly, not through the trusted front server, gets the
    # bytes: the file's name (the stable clip id) is never handed to a voter.
    with TestClient(app, client=("203.0.113.9", 50002), cookies=client.cookies) as direct:
        served = direct.get(battle["left"]["url"])
    assert served.status_code == 200
    assert served.content == (settings.clips_dir / clip.file).read_bytes()
    assert "x-accel-redirect" not in served.headers and "x-sendfile" not in served.headers
    assert clip.public_id not in str(served.headers)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ARENA_CLIP_OFFLOAD": "nginx"}, "ARENA_CLIP_OFFLOAD"),
        ({"ARENA_CLIP_OFFLOAD_PREFIX": "_arena_clips"}, "ARENA_CLIP_OFFLOAD_PREFIX"),
        ({"ARENA_CLIP_GRACE": "-1"}, "ARENA_CLIP_GRACE"),
    ],
)
def test_a_bad_clip_setting_stops_start_up_naming_it(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)
