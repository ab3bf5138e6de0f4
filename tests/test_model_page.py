"""Model pages: metadata, ratings per track, head-to-head, and clips that keep battles blind."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena import store
from arena.core.vocabulary import TRACKS
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.reads.catalog import showcase_prompts
from arena.store.tables import Battle, Clip, Model, PairStat
from arena.web.app import create_app
from tests.seeded import claim_grain_pro


def test_profile_lists_ratings_per_track_as_the_leaderboard_does(seeded_client: TestClient) -> None:
    profile = seeded_client.get("/api/v1/models/mute-4").json()
    assert profile["name"] == "Mute Four" and profile["organization"] == "Quiet Ltd"
    assert profile["provider"] == "procedural" and not profile["retired"]
    # mute-4 is silent: it competes on the two silent tracks only.
    assert [t["track"] for t in profile["tracks"]] == ["text-to-video", "image-to-video"]
    for t in profile["tracks"]:
        board = seeded_client.get(f"/api/v1/leaderboard?track={t['track']}").json()
        row = next(r for r in board["rows"] if r["model"] == "mute-4")
        assert (t["rank"], t["rating"], t["lower"], t["upper"], t["votes"]) == (
            row["rank"],
            row["rating"],
            row["lower"],
            row["upper"],
            row["votes"],
        )
        assert t["live_rating"] == row["live_rating"] and t["live_votes"] == row["live_votes"]
        assert t["models"] == len(board["rows"])


def test_head_to_head_adds_up_to_the_vote_counts(seeded_client: TestClient, seeded: Engine) -> None:
    profile = seeded_client.get("/api/v1/models/clean-1").json()
    with session_scope(seeded) as session:
        me = session.exec(select(Model).where(Model.slug == "clean-1")).one()
        stats = session.exec(select(PairStat).where(PairStat.category == "")).all()
    for track in ("text-to-video", "image-to-video-audio"):
        rows = [h for h in profile["head_to_head"] if h["track"] == track]
        mine = sum(s.count for s in stats if s.track == track and me.id in (s.model_lo, s.model_hi))
        assert sum(h["votes"] for h in rows) == mine
        for h in rows:
            assert h["wins"] + h["losses"] + h["ties"] + h["both_bad"] == h["votes"]
            assert 0 <= h["win_rate"] <= 1 and 0 < h["predicted"] < 1
        assert [h["votes"] for h in rows] == sorted((h["votes"] for h in rows), reverse=True)
    # The opponent sees the same games from the other side.
    other = seeded_client.get("/api/v1/models/broken-3").json()
    mine = next(
        h
        for h in profile["head_to_head"]
        if h["opponent"] == "broken-3" and h["track"] == "text-to-video"
    )
    theirs = next(
        h
        for h in other["head_to_head"]
        if h["opponent"] == "clean-1" and h["track"] == "text-to-video"
    )
    assert (mine["wins"], mine["losses"], mine["ties"]) == (
        theirs["losses"],
        theirs["wins"],
        theirs["ties"],
    )
    assert mine["predicted"] + theirs["predicted"] == pytest.approx(1.0, abs=1e-3)


@pytest.fixture
def showcase(settings: Settings) -> Settings:
    """The production default: each track's first prompt on the model pages."""
    assert Settings().showcase_prompts == 1
    return settings.with_(showcase_prompts=1)


@pytest.fixture
def showcase_client(showcase: Settings, registry: Registry, seeded: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(showcase, registry, seed=0)) as client:
        yield client


def test_page_shows_metadata_ratings_head_to_head_and_clips(showcase_client: TestClient) -> None:
    seeded_client = showcase_client
    page = seeded_client.get("/models/clean-1")
    assert page.status_code == 200
    html = page.text
    for needle in ("Clean One", "Test Lab", "proprietary", "2026-01-01", 'id="track-ratings"'):
        assert needle in html
    assert 'id="head-to-head"' in html and 'href="/models/broken-3"' in html
    profile = seeded_client.get("/api/v1/models/clean-1").json()
    assert len(profile["clips"]) == 4  # one showcase prompt per track, ARENA_SHOWCASE_PROMPTS=1
    for clip in profile["clips"]:
        assert f'src="{clip["url"]}"' in html
    leaderboard = seeded_client.get("/leaderboard?track=text-to-video").text
    assert 'href="/models/clean-1"' in leaderboard


def test_showcase_clips_never_reveal_a_battle_clip_url(
    showcase_client: TestClient, seeded: Engine, settings: Settings
) -> None:
    seeded_client = showcase_client
    with session_scope(seeded) as session:
        public_ids = {c.public_id for c in session.exec(select(Clip))}
        clip = session.exec(
            select(Clip)
            .join(Model, Model.id == Clip.model_id)  # type: ignore[arg-type]
            .where(Model.slug == "clean-1", Clip.prompt_id == "t2v-ball")
        ).one()
        other = session.exec(
            select(Clip)
            .join(Model, Model.id == Clip.model_id)  # type: ignore[arg-type]
            .where(Model.slug == "clean-1", Clip.prompt_id == "t2v-sign")
        ).one()
    for path in ("/models/clean-1", "/api/v1/models/clean-1", "/leaderboard?track=text-to-video"):
        text = seeded_client.get(path).text
        assert not any(pid in text for pid in public_ids), path
    served = seeded_client.get("/models/clean-1/clips/t2v-ball")
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4"
    assert served.content == (settings.clips_dir / clip.file).read_bytes()
    # Only showcased prompts: any other (model, prompt) pair stays unreachable by name.
    assert seeded_client.get("/models/clean-1/clips/t2v-sign").status_code == 404
    assert seeded_client.get(f"/models/clean-1/clips/{other.public_id}").status_code == 404
    # The battle path is untouched: per-battle URLs, and never a showcased prompt's clip.
    battle = seeded_client.post("/api/v1/battles?track=text-to-video").json()
    assert battle["prompt"]["text"] != "A red ball bouncing across a meadow"
    assert battle["left"]["url"] == f"/battles/{battle['id']}/left"
    assert seeded_client.get(battle["left"]["url"]).status_code == 200


def test_a_showcase_clip_has_a_poster_frame(
    showcase_client: TestClient, showcase: Settings
) -> None:
    """The middle frame as PNG, made once (kept under the data directory); only for a
    showcased prompt, as the clip itself."""
    served = showcase_client.get("/models/clean-1/clips/t2v-ball/poster.png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    with av.open(io.BytesIO(served.content), format="png_pipe") as container:
        frame = next(container.decode(video=0))
    pixels = frame.to_ndarray(format="rgb24")
    assert pixels.shape == (96, 160, 3) and pixels.mean() > 30  # a picture, not black
    kept = list((showcase.data_dir / "posters").glob("*.png"))
    assert len(kept) == 1 and kept[0].read_bytes() == served.content
    again = showcase_client.get("/models/clean-1/clips/t2v-ball/poster.png")
    assert again.content == served.content and list(kept[0].parent.iterdir()) == kept
    assert showcase_client.get("/models/clean-1/clips/t2v-sign/poster.png").status_code == 404
    page = showcase_client.get("/models/clean-1").text
    assert 'poster="/models/clean-1/clips/t2v-ball/poster.png"' in page


def test_showcase_can_be_turned_off(settings: Settings, registry: Registry, seeded: Engine) -> None:
    quiet = settings.with_(showcase_prompts=0)
    with TestClient(create_app(quiet, registry)) as client:
        assert client.get("/api/v1/models/clean-1").json()["clips"] == []
        assert client.get("/models/clean-1/clips/t2v-ball").status_code == 404


def test_a_claimed_codename_redirects_to_the_model(
    seeded_client: TestClient, seeded: Engine
) -> None:
    claim_grain_pro(seeded, note="Launched anonymously.")
    with session_scope(seeded, write=True) as session:
        store.set_retired(session, slug="broken-3", retired=True)
    for old, new in (
        ("/models/grainy-2", "/models/grain-pro"),
        ("/api/v1/models/grainy-2", "/api/v1/models/grain-pro"),
        ("/models/grainy-2/clips/t2v-ball", "/models/grain-pro/clips/t2v-ball"),
    ):
        response = seeded_client.get(old, follow_redirects=False)
        assert response.status_code == 301 and response.headers["location"] == new
    profile = seeded_client.get("/api/v1/models/grain-pro").json()
    assert profile["recently_claimed"] and profile["claims"][0]["from_name"] == "Grainy Two"
    page = seeded_client.get("/models/grain-pro").text
    assert "launched as “Grainy Two”" in page and "Launched anonymously." in page
    retired = seeded_client.get("/models/broken-3").text
    assert 'class="mark retired"' in retired and "its votes still count" in retired


def test_unknown_model_is_404(seeded_client: TestClient) -> None:
    assert seeded_client.get("/api/v1/models/nobody").status_code == 404
    page = seeded_client.get("/models/nobody", headers={"accept": "text/html"})
    assert page.status_code == 404 and "no model &#39;nobody&#39;" in page.text


def test_no_clip_a_model_page_shows_is_ever_served_in_a_battle(
    showcase: Settings, registry: Registry, engine: Engine
) -> None:
    """The showcase's prompts are held out of battles: hash every clip the model pages publish
    and every clip battles serve, on every track, and find no overlap."""
    with session_scope(engine) as session:
        slugs = [m.slug for m in session.exec(select(Model))]
    with TestClient(create_app(showcase, registry, seed=0)) as client:
        public = {
            hashlib.sha256(client.get(clip["url"]).content).hexdigest()
            for slug in slugs
            for clip in client.get(f"/api/v1/models/{slug}").json()["clips"]
        }
        assert len(public) == 14  # every model's clip of each track's first prompt
        served, prompts = set(), set()
        for track in TRACKS:
            for _ in range(12):
                battle = client.post(f"/api/v1/battles?track={track}").json()
                for side in ("left", "right"):
                    clip = client.get(battle[side]["url"])
                    served.add(hashlib.sha256(clip.content).hexdigest())
                with session_scope(engine) as session:
                    row = session.get(Battle, battle["id"])
                    assert row is not None
                    prompts.add(row.prompt_id)
    assert served and not served & public
    with session_scope(engine) as session:
        held_out = set(showcase_prompts(session, 1))
    assert held_out == {"t2v-ball", "t2va-birds", "i2v-fish", "i2va-balls"}
    assert prompts and not prompts & held_out
