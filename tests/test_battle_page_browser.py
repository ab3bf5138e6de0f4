"""The battle page in a real Chromium: clips really play, in sync; votes by click and by key;
every battle, the first one too, comes from the page's script by POST."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Vote
from arena.web.app import create_app
from tests.browser import chromium, chromium_available, live_server
from tests.conftest import need

pytestmark = pytest.mark.browser

PLAYING = """() => {
  const vs = [...document.querySelectorAll('#slot-left video, #slot-right video')];
  return vs.length === 2 && vs.every(v => v.readyState >= 3 && v.currentTime > 0.15 && !v.paused);
}"""


REVEALED = "() => document.getElementById('reveal-left').textContent.length > 0"


def battle_id(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.getElementById('battle').dataset.battleId")


def wait_playing(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(PLAYING, timeout=15_000)
    first = page.evaluate("() => document.querySelector('#slot-left video').currentTime")
    page.wait_for_function(
        f"() => document.querySelector('#slot-left video').currentTime !== {first}", timeout=5_000
    )


def test_vote_by_click_then_by_key_reveal_and_next(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings, registry, seed=1)
    with live_server(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[tuple[str, str]] = []
        page.on("request", lambda r: requests.append((r.method, r.url)))
        with page.expect_response(lambda r: "/api/v1/battles?" in r.url) as issued:
            page.goto(f"{base}/?track=text-to-video-audio")
        assert issued.value.request.method == "POST" and issued.value.status == 201
        wait_playing(page)
        # The battle on the stage is the one the script's first POST got.
        assert battle_id(page) == issued.value.json()["id"]
        # And the next one is fetched (a second POST) while this one plays, before any vote.
        page.wait_for_function("() => document.querySelectorAll('#prefetch video').length === 2")
        # Both clips play, in sync, muted by default; the sound toggle exists on audio tracks.
        drift = page.evaluate("""() => {
          const [a, b] = document.querySelectorAll('#slot-left video, #slot-right video');
          return Math.abs(a.currentTime - b.currentTime);
        }""")
        assert drift < 0.3
        assert page.evaluate("() => [...document.querySelectorAll('video')].every(v => v.muted)")
        assert page.is_visible("#sound")
        # The name of a model is nowhere on the page before the vote.
        assert page.inner_text("#reveal-left") == ""
        first = battle_id(page)

        page.click("button[data-outcome='a']")
        page.wait_for_function(
            "() => document.getElementById('reveal-left').textContent.length > 0"
        )
        assert page.is_visible("#after")
        left_name = page.inner_text("#reveal-left .model-name")
        right_name = page.inner_text("#reveal-right .model-name")
        assert left_name and right_name and left_name != right_name
        assert "winner" in (page.get_attribute("#side-left", "class") or "")

        page.click("#next")
        page.wait_for_function(
            f"() => document.getElementById('battle').dataset.battleId !== '{first}'"
        )
        second = battle_id(page)
        wait_playing(page)
        assert page.inner_text("#reveal-left") == ""

        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.getElementById('reveal-right').textContent.length > 0"
        )
        assert "winner" in (page.get_attribute("#side-right", "class") or "")
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"() => document.getElementById('battle').dataset.battleId !== '{second}'"
        )
        wait_playing(page)
        assert errors == []

    # The page's GET made no battle: every stored battle is one of the script's POSTs (the
    # shown ones and the prefetched next ones).
    posts = [url for method, url in requests if "/api/v1/battles?" in url and method == "POST"]
    assert [m for m, url in requests if "/api/v1/battles?" in url] == ["POST"] * len(posts)
    with session_scope(engine) as session:
        votes = {v.battle_id: v for v in session.exec(select(Vote))}
        stored = session.exec(select(func.count()).select_from(Battle)).one()
    assert stored == len(posts) >= 3
    assert votes[first].outcome == "a" and votes[second].outcome == "b"
    assert votes[first].watch_ms is not None and votes[first].watch_ms > 0


def test_track_switcher_and_source_image(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings, registry, seed=2)
    with live_server(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(f"{base}/")
        page.click("nav.tabs a[href='/?track=image-to-video']")
        page.wait_for_url("**/?track=image-to-video")
        wait_playing(page)
        assert page.is_visible("#source-image")
        assert page.evaluate("() => document.getElementById('source-image').naturalWidth") > 0
        assert not page.is_visible("#sound")


def test_a_refused_first_battle_says_why_and_offers_a_retry(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings.with_(voter_battle_limits="1/minute"), registry, seed=3)
    with live_server(app) as base, chromium(tmp_path) as browser:
        first = browser.new_page()
        first.goto(f"{base}/?track=text-to-video")
        first.wait_for_function("() => document.getElementById('battle').dataset.battleId")
        # The same voter (cookie) opens a second tab: over the limit, the page says so.
        second = browser.new_page()
        second.goto(f"{base}/?track=text-to-video")
        second.wait_for_function(
            "() => document.getElementById('status').textContent.includes('too many battles')"
        )
        assert second.is_visible("#next")
        assert second.is_disabled("button[data-outcome='a']")
        assert battle_id(second) == ""


def test_next_pressed_while_the_prefetch_is_on_its_way_waits_for_it(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    """No battle is issued and never shown: Next waits for the prefetch in flight rather than
    asking for another one (which would leave the prefetched battle orphaned)."""
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings, registry, seed=2)
    with live_server(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        shown = []
        page.goto(f"{base}/?track=text-to-video")
        wait_playing(page)
        shown.append(battle_id(page))
        page.wait_for_function("() => document.querySelectorAll('#prefetch video').length === 2")

        held: list = []  # battle requests held back: a slow network

        def hold(route) -> None:  # type: ignore[no-untyped-def]
            held.append(route)

        page.route("**/api/v1/battles?*", hold)
        page.click("button[data-outcome='a']")
        page.wait_for_function(REVEALED)
        page.click("#next")  # shows the prefetched battle; the next prefetch is held back
        page.wait_for_function(
            f"() => document.getElementById('battle').dataset.battleId !== '{shown[-1]}'"
        )
        shown.append(battle_id(page))
        page.click("button[data-outcome='a']")
        page.wait_for_function(REVEALED)
        page.click("#next")  # the prefetch has not answered yet
        page.wait_for_timeout(300)
        for route in held:
            route.continue_()
        page.unroute("**/api/v1/battles?*")
        page.wait_for_function(
            f"() => document.getElementById('battle').dataset.battleId !== '{shown[-1]}'",
            timeout=15_000,
        )
        shown.append(battle_id(page))
        page.wait_for_function(
            "() => document.querySelectorAll('#prefetch video').length === 2", timeout=15_000
        )
    with session_scope(engine) as session:
        stored = set(session.exec(select(Battle.id)))
    assert len(set(shown)) == 3
    assert len(stored - set(shown)) == 1  # only the prefetched next battle is not shown yet
