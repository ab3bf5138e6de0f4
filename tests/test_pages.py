"""The HTML pages: battle page content, escaping, the leaderboard, error pages."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from arena.settings import TRACKS


def embedded_battle(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="battle-data">(.*?)</script>', html, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_battle_page_has_both_videos_votes_and_track_switcher(client: TestClient) -> None:
    page = client.get("/?track=image-to-video")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert html.count("<video ") == 2 and "muted loop playsinline" in html
    for outcome in ("a", "b", "tie", "both_bad"):
        assert f'data-outcome="{outcome}"' in html
    for track in TRACKS:
        assert f'href="/?track={track}"' in html
    battle = embedded_battle(html)
    assert battle["prompt"]["image_url"] and battle["prompt"]["image_url"] in html
    assert battle["vote_url"] == f"/api/v1/battles/{battle['id']}/vote"


def test_prompt_text_is_escaped(client: TestClient) -> None:
    for _ in range(30):
        page = client.get("/?track=text-to-video")
        if "neon sign" in page.text:
            break
    assert "&lt;b&gt;at night&lt;/b&gt;" in page.text
    assert "<b>at night</b>" not in page.text
    # The JSON island is escaped for a <script> context too.
    assert "\\u003cb\\u003e" in page.text


def test_unknown_track_page_is_a_422_page(client: TestClient) -> None:
    page = client.get("/?track=radio", headers={"accept": "text/html"})
    assert page.status_code == 422
    assert "unknown track &#39;radio&#39;" in page.text or "unknown track 'radio'" in page.text
    assert "<html" in page.text


def test_leaderboard_page_lists_models_after_votes(client: TestClient) -> None:
    empty = client.get("/leaderboard?track=image-to-video")
    assert empty.status_code == 200 and "No votes on this track yet" in empty.text
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
