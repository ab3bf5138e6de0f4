"""Blindness: nothing the voter's browser receives before the vote names the model."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.core.vocabulary import TRACKS
from arena.media.probe import probe
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip, Model


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


def clip_files(engine: Engine, battle_id: str) -> tuple[Clip, Clip]:
    with session_scope(engine) as session:
        battle = session.get(Battle, battle_id)
        assert battle is not None
        left, right = (
            session.get(Clip, battle.left_clip_id),
            session.get(Clip, battle.right_clip_id),
        )
    assert left is not None and right is not None
    return left, right


def test_battle_clip_urls_and_headers_never_name_a_model_or_a_clip(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    secrets = secrets_of(engine)
    for track in TRACKS:
        page = client.get(f"/?track={track}")
        assert page.status_code == 200
        assert_clean(page.text, secrets, f"the battle page of {track}")
        assert_clean(str(dict(page.headers)), secrets, "the page headers")
        for _ in range(4):
            response = client.post(f"/api/v1/battles?track={track}")
            battle = response.json()
            clips = clip_files(engine, battle["id"])
            # Nothing the voter gets names a clip beyond this battle: no stable clip id.
            stable = [c.public_id for c in clips]
            urls = [battle["left"]["url"], battle["right"]["url"]]
            assert urls[0] != urls[1]
            for url, stored in zip(urls, clips, strict=True):
                assert_clean(url, secrets, "a clip URL")
                clip = client.get(url, headers={"Range": "bytes=0-1023"})
                assert clip.status_code == 206
                seen = f"{response.text} {dict(response.headers)} {url} {dict(clip.headers)}"
                assert not any(pid in seen for pid in stable), seen
                assert_clean(str(dict(clip.headers)), secrets, f"the headers of {url}")
                assert "content-disposition" not in clip.headers
                assert "set-cookie" not in clip.headers
                full = settings.clips_dir / stored.file
                assert clip.content == full.read_bytes()[:1024]
                assert_clean(full.read_bytes().decode("latin-1"), secrets, f"the bytes of {url}")
                assert_clean(str(probe(full).metadata), secrets, f"the metadata of {url}")
            vote = client.post(battle["vote_url"], json={"outcome": "a", "watch_ms": 9000})
            assert vote.status_code == 200
            assert not any(pid in vote.text for pid in stable), "a clip id in the reveal"


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
    from arena.store.tables import Battle

    for _ in range(40):
        client.post("/api/v1/battles?track=text-to-video")
    with session_scope(engine) as session:
        battles = session.exec(select(Battle)).all()
    lower_left = sum(b.left_model_id < b.right_model_id for b in battles)
    assert 8 <= lower_left <= 32, lower_left
