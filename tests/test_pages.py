"""The HTML pages: battle page content, escaping, the leaderboard, error pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from arena.core.vocabulary import TRACKS
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, RateCounter
from arena.web.app import create_app


def test_battle_page_is_a_shell_with_both_videos_votes_and_track_switcher(
    client: TestClient,
) -> None:
    page = client.get("/?track=image-to-video")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert html.count("<video ") == 2 and "muted loop playsinline" in html
    for outcome in ("a", "b", "tie", "both_bad"):
        assert f'data-outcome="{outcome}" disabled' in html
    for track in TRACKS:
        assert f'href="/?track={track}"' in html
    # No battle in the page: its script asks for one with a POST.
    assert 'data-track="image-to-video" data-battle-id=""' in html
    assert "/clips/" not in html and "battle-data" not in html
    assert '<script src="/static/battle.js"' in html
    # The sound toggle is there on audio tracks only (known from the track, before any battle).
    assert 'id="sound" title="Listen to one side (S)" hidden' in html
    audio = client.get("/?track=text-to-video-audio").text
    assert 'id="sound" title="Listen to one side (S)">' in audio


def test_a_get_writes_nothing(settings: Settings, registry: Registry, engine: Engine) -> None:
    """Opening the page (a crawler, a link preview) stores no battle and counts no request
    against any rate limit; the POST its script sends does both."""
    limits = {"voter_battle_limits": "60/minute", "ip_battle_limits": "240/minute"}
    app = create_app(settings.with_(**limits), registry, seed=0)
    with TestClient(app) as client:
        for track in TRACKS:
            assert client.get(f"/?track={track}").status_code == 200
        assert client.get("/").status_code == 200
        assert rows(engine) == (0, 0)
        assert client.post("/api/v1/battles?track=text-to-video").status_code == 201
        assert rows(engine) == (1, 2)  # one battle; one counter for the voter, one the address


def rows(engine: Engine) -> tuple[int, int]:
    """(battles, rate counters) stored."""
    with session_scope(engine) as session:
        battles = session.exec(select(func.count()).select_from(Battle)).one()
        counters = session.exec(select(func.count()).select_from(RateCounter)).one()
    return battles, counters


def test_prompt_text_is_escaped(client: TestClient) -> None:
    for _ in range(30):
        battle = client.post("/api/v1/battles?track=text-to-video")
        if "neon sign" in battle.text:
            break
    # The page's script puts the prompt in with textContent; the JSON carries it as it is.
    assert battle.json()["prompt"]["text"].count("<b>at night</b>") == 1
    assert "textContent = b.prompt.text" in client.get("/static/battle.js").text
    assert "innerHTML" not in client.get("/static/battle.js").text


def test_unknown_track_page_is_a_422_page(client: TestClient) -> None:
    page = client.get("/?track=radio", headers={"accept": "text/html"})
    assert page.status_code == 422
    assert "unknown track &#39;radio&#39;" in page.text or "unknown track 'radio'" in page.text
    assert "<html" in page.text


def test_leaderboard_page_lists_models_after_votes(client: TestClient) -> None:
    empty = client.get("/leaderboard?track=image-to-video")
    # no votes yet: the models are listed with provisional ratings, never an empty board
    assert empty.status_code == 200 and 'id="board"' in empty.text
    assert "No votes on this track yet" not in empty.text
    for _ in range(3):
        battle = client.post("/api/v1/battles?track=image-to-video").json()
        client.post(battle["vote_url"], json={"outcome": "a"})
    page = client.get("/leaderboard?track=image-to-video")
    board = client.get("/api/v1/leaderboard?track=image-to-video").json()
    assert 'id="board"' in page.text
    for row in board["rows"]:
        assert row["name"] in page.text
        assert f"{row['live_votes']} votes</span>" in page.text


def test_static_files_are_served(client: TestClient) -> None:
    assert client.get("/static/battle.js").status_code == 200
    assert "text/css" in client.get("/static/arena.css").headers["content-type"]
