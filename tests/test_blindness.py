"""Blindness: nothing the voter's browser receives before the vote names the model."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.db import session_scope
from arena.media.probe import probe
from arena.models import Model
from arena.settings import TRACKS, Settings


def secrets_of(engine: Engine) -> list[str]:
    """Every string that would identify a model: slugs, names, organizations."""
    with session_scope(engine) as session:
        models = session.exec(select(Model)).all()
    words = [w for m in models for w in (m.slug, m.name, m.organization)]
    return [w.lower() for w in words if w]


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    lowered = text.lower()
    for secret in secrets:
        assert secret not in lowered, f"{secret!r} leaks in {where}"


def test_battle_page_clip_urls_and_headers_never_name_a_model(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    secrets = secrets_of(engine)
    for track in TRACKS:
        for _ in range(4):
            page = client.get(f"/?track={track}")
            assert page.status_code == 200
            assert_clean(page.text, secrets, f"the battle page of {track}")
            assert_clean(str(dict(page.headers)), secrets, "the page headers")
            battle = client.post(f"/api/v1/battles?track={track}")  # as the page's script does
            assert_clean(str(dict(battle.headers)), secrets, "the battle's headers")
            urls = [battle.json()["left"]["url"], battle.json()["right"]["url"]]
            assert all(u.startswith("/clips/") for u in urls) and urls[0] != urls[1]
            for url in urls:
                assert_clean(url, secrets, "a clip URL")
                clip = client.get(url, headers={"Range": "bytes=0-1023"})
                assert clip.status_code == 206
                assert_clean(str(dict(clip.headers)), secrets, f"the headers of {url}")
                assert "content-disposition" not in clip.headers
                assert "set-cookie" not in clip.headers
                full = settings.clips_dir / f"{url.rsplit('/', 1)[1]}.mp4"
                assert_clean(full.read_bytes().decode("latin-1"), secrets, f"the bytes of {url}")
                assert_clean(str(probe(full).metadata), secrets, f"the metadata of {url}")


def test_battle_json_carries_no_model_field(client: TestClient, engine: Engine) -> None:
    secrets = secrets_of(engine)
    response = client.post("/api/v1/battles?track=image-to-video-audio")
    assert_clean(response.text, secrets, "the battle JSON")
    body = response.json()
    assert set(body) == {
        "id",
        "track",
        "prompt",
        "left",
        "right",
        "has_audio",
        "expires_at",
        "vote_url",
    }
    assert set(body["left"]) == {"url"}


def test_served_files_share_one_modification_time(client: TestClient, settings: Settings) -> None:
    stamps = {p.stat().st_mtime for p in settings.clips_dir.glob("*.mp4")}
    assert len(stamps) == 1
    url = client.post("/api/v1/battles?track=text-to-video").json()["left"]["url"]
    assert "2000" in client.get(url).headers["last-modified"]


def test_sides_are_shuffled_on_the_server(client: TestClient, engine: Engine) -> None:
    from arena.models import Battle

    for _ in range(40):
        client.post("/api/v1/battles?track=text-to-video")
    with session_scope(engine) as session:
        battles = session.exec(select(Battle)).all()
    lower_left = sum(b.left_model_id < b.right_model_id for b in battles)
    assert 8 <= lower_left <= 32, lower_left
