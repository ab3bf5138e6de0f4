"""The voting page, the leaderboard and the model pages as people use them, in Debian's Chromium
on a desktop (1440x900) and on a phone (390x844, touch): real geometry, text and pixels.

One live server on a copy of the seeded arena (watch-time rule on, one showcase prompt a track)
and one browser serve the whole module; each test opens a fresh context (a new voter) per
screen. Every state checked is also written as a screenshot, ``{screen}-{state}.png``, to
:func:`tests.browser.screenshots_dir` ($ARENA_SCREENSHOTS, else build/screenshots).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from arena import store
from arena.core.vocabulary import TRACK_LABELS
from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import make_engine, session_scope
from arena.web.app import create_app
from tests.browser import (
    DEVICES,
    chromium_available,
    chromium_browser,
    live_server,
    screenshots_dir,
)
from tests.conftest import arena_settings, need
from tests.seeded import copy_of

pytestmark = pytest.mark.browser

MINUS, DASH = "\u2212", "\u2013"
"""A loss as the reveal shows it; an empty cell of the table."""

MIN_WATCH_MS = 1500
"""The watch-time rule of this arena: the test clips last 1 s, so 1.5 s of playing."""


@pytest.fixture(scope="module")
def arena(
    tmp_path_factory: pytest.TempPathFactory,
    shared_dir: Path,
    config_path: Path,
    registry: Registry,
) -> Iterator[tuple[str, Settings]]:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    usual = arena_settings(tmp_path_factory.mktemp("ui") / "data", shared_dir, config_path)
    # The session's seeded template is made with the tests' usual settings (whichever test
    # needs it first makes it), then served with the rule and the showcase on.
    copy_of(shared_dir, registry, usual).dispose()
    settings = usual.with_(showcase_prompts=1, min_watch_ms=MIN_WATCH_MS, min_watch_fraction=1.0)
    with live_server(create_app(settings, registry, seed=5)) as base:
        yield base, settings


@pytest.fixture(scope="module")
def browser(arena: tuple[str, Settings]) -> Iterator[Any]:
    with chromium_browser() as browser:
        yield browser


@pytest.fixture(params=list(DEVICES))
def screen(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Tab:
    """A page on one screen, its base URL, its errors, and a screenshot per state."""

    def __init__(self, page: Any, base: str, screen: str, name: str) -> None:
        self.page, self.base, self.screen, self.name = page, base, screen, name
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, state: str, *, full_page: bool = False) -> None:
        path = screenshots_dir() / f"{self.screen}-{self.name}-{state}.png"
        self.page.screenshot(path=str(path), full_page=full_page)

    @property
    def size(self) -> tuple[int, int]:
        viewport = DEVICES[self.screen]["viewport"]
        return viewport["width"], viewport["height"]

    def box(self, selector: str) -> dict[str, float]:
        box = self.page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not drawn"
        return dict(box)

    def on_screen(self, selector: str) -> bool:
        """Wholly inside the viewport, as the page stands (no scrolling)."""
        b = self.box(selector)
        width, height = self.size
        return (
            b["x"] >= -0.5
            and b["y"] >= -0.5
            and b["x"] + b["width"] <= width + 0.5
            and b["y"] + b["height"] <= height + 0.5
        )


@pytest.fixture
def tab(
    browser: Any, arena: tuple[str, Settings], screen: str, request: pytest.FixtureRequest
) -> Iterator[Tab]:
    context = browser.new_context(**DEVICES[screen])
    name = request.node.originalname.removeprefix("test_")
    t = Tab(context.new_page(), arena[0], screen, name)
    yield t
    context.close()
    assert t.errors == []


def tap(tab: Tab, selector: str) -> None:
    """A finger on a phone, a mouse on a desktop."""
    if tab.screen == "phone":
        tab.page.tap(selector)
    else:
        tab.page.click(selector)


def open_battle(tab: Tab, track: str) -> str:
    tab.goto(f"/?track={track}")
    tab.page.wait_for_function("() => document.getElementById('battle').dataset.battleId")
    tab.page.wait_for_function(
        "() => [...document.querySelectorAll('.slot video')].every(v => v.readyState >= 2)",
        timeout=15_000,
    )
    return str(tab.page.evaluate("() => document.getElementById('battle').dataset.battleId"))


def wait_until_votes_count(tab: Tab) -> None:
    tab.page.wait_for_function(
        "() => !document.getElementById('votes').classList.contains('waiting')", timeout=15_000
    )


def vote(tab: Tab, outcome: str) -> dict[str, Any]:
    with tab.page.expect_response(lambda r: r.url.endswith("/vote")) as answer:
        tap(tab, f"#votes button[data-outcome='{outcome}']")
    tab.page.wait_for_function("() => document.getElementById('reveal-left').textContent")
    body: dict[str, Any] = answer.value.json()
    return body


# --- 1. the phone layout ---------------------------------------------------------------------


def test_clips_and_vote_buttons_fit_the_screen(tab: Tab) -> None:
    """Both clips and the four vote buttons are on screen without scrolling; the track tabs are
    one line (the current one in view); no sideways scrolling."""
    # The tallest battle: a source image above the clips and a sound button below.
    open_battle(tab, "image-to-video-audio")
    tab.shot("battle")
    page = tab.page
    assert page.evaluate("() => window.scrollY") == 0
    width, _ = tab.size
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    for selector in ("#slot-left", "#slot-right", "#source-image", "#sound"):
        assert tab.on_screen(selector), selector
    for outcome in ("a", "tie", "both_bad", "b"):
        assert tab.on_screen(f"#votes button[data-outcome='{outcome}']"), outcome
    for side in ("left", "right"):  # big enough to judge: most of the width, 16:9 or near
        clip = tab.box(f"#slot-{side}")
        assert clip["width"] >= 0.9 * min(width, 600) and clip["height"] >= 0.45 * clip["width"]
    tops = page.evaluate(
        "() => [...document.querySelectorAll('nav.tabs a')].map(a => a.getBoundingClientRect().top)"
    )
    assert len(tops) == len(TRACK_LABELS) and max(tops) - min(tops) < 1  # one line
    assert tab.box("nav.tabs")["height"] < 48
    assert tab.on_screen("nav.tabs a.active")


def test_leaderboard_keeps_rank_model_and_rating_on_screen(tab: Tab) -> None:
    """Rank, model and rating fit the screen; on a phone the other columns fold into the
    model's cell (their text still there), on a desktop they are columns."""
    tab.goto("/leaderboard?track=text-to-video")
    tab.shot("board", full_page=True)
    page = tab.page
    width, _ = tab.size
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    rows = page.locator("#board tbody tr")
    assert rows.count() == 4
    for col in ("rank", "model", "rating"):
        for box in page.evaluate(
            f"() => [...document.querySelectorAll('#board [data-col={col}]')]"
            ".map(e => {const r = e.getBoundingClientRect(); return [r.left, r.right, r.width]})"
        ):
            assert box[2] > 0 and box[0] >= 0 and box[1] <= width, (col, box)
    organization = page.locator("#board tbody tr[data-model='clean-1'] td[data-col=organization]")
    fold = page.locator("#board tbody tr[data-model='clean-1'] .fold")
    if tab.screen == "phone":
        assert not organization.is_visible()
        assert not page.locator("#board th[data-sort=license]").is_visible()
        text = fold.inner_text()
        assert "Test Lab" in text and "proprietary" in text and "votes" in text and "CI +" in text
    else:
        assert organization.inner_text() == "Test Lab"
        assert not fold.is_visible()


PLOT_TEXT = """() => [...document.querySelectorAll('svg.plot')].flatMap(svg => {
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].map(t => ({
    plot: svg.id, text: t.textContent,
    px: parseFloat(getComputedStyle(t).fontSize) * scale}));
})"""


def test_plot_text_is_readable(tab: Tab) -> None:
    """Every text of every plot is drawn at 11 px or more (on a phone the plot scrolls inside
    its own panel rather than shrinking)."""
    tab.goto("/leaderboard?track=text-to-video-audio")
    tab.page.locator("#figure-win-rates").scroll_into_view_if_needed()
    tab.shot("plots")
    texts = tab.page.evaluate(PLOT_TEXT)
    assert len({t["plot"] for t in texts}) == 4
    small = [t for t in texts if t["px"] < 11 - 1e-6]
    assert small == [], small[:5]
    width, _ = tab.size
    assert tab.page.evaluate("() => document.documentElement.scrollWidth") <= width


# --- 2. the watch rule -------------------------------------------------------------------------


WATCH = "() => getComputedStyle(document.getElementById('votes')).getPropertyValue('--watch')"


def test_the_watch_rule_shows_on_the_buttons_and_holds_an_early_vote(tab: Tab) -> None:
    page = tab.page
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/vote") else None)
    open_battle(tab, "text-to-video")
    tap(tab, "#play")  # paused: the watch time stands still while we look
    page.wait_for_function("() => document.querySelector('#slot-left video').paused")
    # At first: the buttons are filling up and the line above them counts down.
    assert "waiting" in (page.get_attribute("#votes", "class") or "")
    assert page.is_visible("#watch")
    assert "your vote counts in" in page.inner_text("#watch")
    progress = float(page.evaluate(WATCH))
    assert 0 <= progress < 1
    tab.shot("filling")
    # A vote now would not count: it is held back, with a message, and nothing is revealed.
    tap(tab, "#votes button[data-outcome='a']")
    assert "held" in (page.get_attribute("#watch", "class") or "")
    assert "Not yet" in page.inner_text("#watch") and "would not count" in page.inner_text("#watch")
    assert tab.on_screen("#watch")
    tab.shot("held")
    page.wait_for_timeout(300)
    assert sent == [] and page.inner_text("#reveal-left") == ""
    assert float(page.evaluate(WATCH)) == progress  # paused clips earn no watch time
    # Played long enough, the buttons say so, and the vote counts.
    tap(tab, "#play")
    wait_until_votes_count(tab)
    assert "will count" in page.inner_text("#watch")
    tab.shot("ready")
    body = vote(tab, "a")
    tab.shot("voted")
    assert body["counted"] is True and len(sent) == 1
    left = page.inner_text("#reveal-left .delta")
    right = page.inner_text("#reveal-right .delta")
    assert left.startswith("+") and right.startswith(MINUS)


def test_a_vote_that_does_not_count_shows_no_gain(tab: Tab, arena: tuple[str, Settings]) -> None:
    """A flagged voter's vote is stored and not counted: no "+0.0" in green, it says so."""
    page = tab.page
    open_battle(tab, "text-to-video")
    cookie = next(c for c in page.context.cookies() if c["name"] == "arena_voter")
    voter = cookie["value"].partition(".")[0]
    engine = make_engine(arena[1].database_url)
    try:
        with session_scope(engine, write=True) as session:
            store.flag_voter(session, voter_id=voter, actor="test", reason="a test")
    finally:
        engine.dispose()
    wait_until_votes_count(tab)
    body = vote(tab, "b")
    tab.shot("not-counted")
    assert body["counted"] is False
    assert body["left"]["rating"] == body["left"]["rating_before"]
    reveal = page.inner_text("#battle .stage")
    assert "+0.0" not in reveal and "vote not counted" in reveal
    assert page.locator("#battle .delta.up").count() == 0
    assert "does not count" in page.inner_text("#status")
    chosen = page.locator("#votes button.chosen")
    assert chosen.get_attribute("data-outcome") == "b" and "uncounted" in (
        chosen.get_attribute("class") or ""
    )


# --- 3. the reveal -----------------------------------------------------------------------------


def test_the_reveal_labels_its_numbers_marks_the_choice_and_links_the_names(tab: Tab) -> None:
    page = tab.page
    open_battle(tab, "image-to-video")
    wait_until_votes_count(tab)
    body = vote(tab, "tie")
    tab.shot("reveal")
    for side in ("left", "right"):
        info = body[side]
        reveal = page.locator(f"#reveal-{side}")
        live = reveal.locator(".live").inner_text()
        assert live.startswith("Live Elo ") and f"{info['rating']:.0f}" in live
        name = reveal.locator("a.model-name")
        assert name.inner_text() == info["name"]
        assert name.get_attribute("href") == f"/models/{info['model']}"
        size, body_size = name.evaluate(
            "e => [e, document.body].map(x => parseFloat(getComputedStyle(x).fontSize))"
        )
        assert size >= 1.2 * body_size  # larger than the text around it
        assert tab.on_screen(f"#reveal-{side} a.model-name")
    note = page.inner_text("#reveal-note")
    assert "live Elo" in note and "official" in note and "Rating" in note
    # The chosen button stays marked: pressed, and drawn unlike the other three.
    chosen = page.locator("#votes button[data-outcome='tie']")
    assert chosen.get_attribute("aria-pressed") == "true"
    colours = page.evaluate(
        "() => [...document.querySelectorAll('#votes button')]"
        ".map(b => [b.dataset.outcome, getComputedStyle(b).backgroundColor,"
        " getComputedStyle(b).opacity])"
    )
    mine = next(c for c in colours if c[0] == "tie")
    assert all(c[1] != mine[1] for c in colours if c[0] != "tie") and mine[2] == "1"
    # On a phone too: the names, the choice and Next fit one screen.
    assert tab.on_screen("#next") and tab.on_screen("#votes button[data-outcome='tie']")
    assert tab.on_screen("#slot-left") and tab.on_screen("#slot-right")
    tap(tab, "#reveal-left a.model-name")
    page.wait_for_url(f"**/models/{body['left']['model']}")
    assert page.inner_text("h1") == body["left"]["name"]
    tab.shot("model-from-reveal")


# --- 4. sound and keys -------------------------------------------------------------------------


def test_the_audible_side_is_shown_on_that_side(tab: Tab) -> None:
    page = tab.page
    open_battle(tab, "text-to-video-audio")
    assert not page.is_visible("#sound-left") and not page.is_visible("#sound-right")
    tap(tab, "#sound")  # off -> left
    tab.shot("sound-left")
    assert page.is_visible("#sound-left") and not page.is_visible("#sound-right")
    badge, side = tab.box("#sound-left"), tab.box("#side-left")
    assert side["x"] <= badge["x"] and badge["x"] + badge["width"] <= side["x"] + side["width"]
    assert side["y"] <= badge["y"] and badge["y"] + badge["height"] <= side["y"] + side["height"]
    muted = "() => [...document.querySelectorAll('.slot video')].map(v => v.muted)"
    assert page.evaluate(muted) == [False, True]
    # A tap (or click) on the right clip moves the sound there.
    tap(tab, "#slot-right")
    tab.shot("sound-right")
    assert page.is_visible("#sound-right") and not page.is_visible("#sound-left")
    badge, side = tab.box("#sound-right"), tab.box("#side-right")
    assert side["x"] <= badge["x"] and badge["x"] + badge["width"] <= side["x"] + side["width"]
    assert page.evaluate(muted) == [True, False]


def test_shortcuts_are_listed_on_desktops_and_hidden_on_touch_screens(tab: Tab) -> None:
    page = tab.page
    open_battle(tab, "text-to-video-audio")
    tab.shot("keys", full_page=True)
    hints = page.locator("#battle kbd:not(#after kbd)")
    shown = [hints.nth(k).is_visible() for k in range(hints.count())]
    if tab.screen == "phone":
        assert not page.is_visible("#keys") and not any(shown)
    else:
        keys = page.inner_text("#keys")
        for word in ("Space", "S", "Enter", "←", "→", "↑", "↓"):
            assert word in keys
        assert all(shown)
        assert tab.on_screen("#keys")


# --- 5. plots and tables -----------------------------------------------------------------------

OUTSIDE = """() => [...document.querySelectorAll('svg.plot')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')]
    .map(t => [svg.id, t.textContent, t.getBoundingClientRect()])
    .filter(([, , r]) => r.left < box.left - 0.5 || r.right > box.right + 0.5
                      || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
    .map(([id, text]) => id + ': ' + text);
})"""


@pytest.mark.parametrize(
    "view", ["track=text-to-video", "track=text-to-video&category=text-in-video"]
)
def test_no_plot_label_is_cut_and_the_panels_line_up(tab: Tab, view: str) -> None:
    page = tab.page
    tab.goto(f"/leaderboard?{view}")
    page.locator("#figure-history").scroll_into_view_if_needed()
    tab.shot("category" if "category" in view else "track", full_page=True)
    assert page.evaluate(OUTSIDE) == []
    figures = page.evaluate(
        "() => [...document.querySelectorAll('.plot-grid figure')].map(f => {"
        " const r = f.getBoundingClientRect(), s = f.querySelector('svg').getBoundingClientRect();"
        " return {top: r.top, left: r.left, height: r.height, width: r.width, svgTop: s.top,"
        " svgLeft: s.left, bg: getComputedStyle(f).backgroundColor}; })"
    )
    assert len(figures) == 4
    rows: dict[int, list[dict[str, float]]] = {}
    for f in figures:
        rows.setdefault(round(f["top"]), []).append(f)
        # The figure is the panel (the plot's own colour), the plot drawn from its corner.
        assert f["bg"] == "rgb(23, 26, 33)"
        assert abs(f["svgTop"] - f["top"]) < 1 and abs(f["svgLeft"] - f["left"]) < 1
    for row in rows.values():  # side by side: one height
        assert max(f["height"] for f in row) - min(f["height"] for f in row) < 1
    if tab.screen == "desktop":
        assert sorted(len(r) for r in rows.values()) == [2, 2]


def test_the_history_plot_with_one_snapshot(tab: Tab) -> None:
    """The seeded arena has one snapshot: one time label (the snapshot's), not a two-hour axis,
    and the plot says lines start at the next recompute."""
    tab.goto("/leaderboard?track=image-to-video")
    tab.page.locator("#figure-history").scroll_into_view_if_needed()
    tab.shot("history")
    ticks = tab.page.locator("svg#plot-history text.tick")
    assert ticks.count() == 1
    assert (ticks.text_content() or "").startswith("20")  # 2026-12-02 03:04: a date and time
    assert "One snapshot so far" in (tab.page.text_content("svg#plot-history") or "")
    xs = tab.page.evaluate(
        "() => [...document.querySelectorAll('svg#plot-history circle')]"
        ".map(c => c.getAttribute('cx'))"
    )
    assert len(set(xs)) == 1 and len(xs) == 4


def test_an_empty_column_is_hidden_and_explained(tab: Tab) -> None:
    page = tab.page
    tab.goto("/leaderboard?track=text-to-video&category=text-in-video")
    tab.shot("category-columns", full_page=True)
    assert page.locator("#board th[data-sort=live]").count() == 0
    assert page.locator("#board td[data-col=live]").count() == 0
    note = page.inner_text("#hidden-columns")
    assert "live" in note and "whole tracks only" in note
    assert "leave its column out" in page.inner_text("#live-note")
    columns = page.evaluate(
        "() => [...document.querySelectorAll('#board tbody td')].reduce((cols, td) => {"
        " (cols[td.dataset.col] ||= []).push(td.textContent.trim()); return cols; }, {})"
    )
    assert columns and not [c for c, cells in columns.items() if set(cells) == {DASH}]
    # The whole track keeps its live column.
    tab.goto("/leaderboard?track=text-to-video")
    assert page.locator("#board td[data-col=live]").count() == 4
    assert page.locator("#hidden-columns").count() == 0


# --- 6. model pages ----------------------------------------------------------------------------


def frame_pixels(png: bytes) -> np.ndarray:
    with av.open(io.BytesIO(png), format="png_pipe") as container:
        frame = next(container.decode(video=0))
        return np.asarray(frame.to_ndarray(format="rgb24"))


def test_model_page_clips_show_a_frame_and_tracks_by_name(tab: Tab) -> None:
    """Each clip shows its poster frame (no black box) before anything plays; each is labelled
    with its track's name, not its id."""
    page = tab.page
    tab.goto("/models/clean-1")
    videos = page.locator("#showcase video")
    assert videos.count() == 4
    page.wait_for_load_state("networkidle")
    page.locator("#showcase").scroll_into_view_if_needed()
    tab.shot("clips")
    for k in range(videos.count()):
        video = videos.nth(k)
        poster = video.get_attribute("poster")
        assert poster, "no poster frame"
        answer = page.request.get(tab.base + poster)
        assert answer.ok and answer.headers["content-type"] == "image/png"
        video.scroll_into_view_if_needed()
        box = video.bounding_box()
        assert box is not None and box["width"] > 100
        # The picture above the player's controls: the poster frame, not a black box.
        top = {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"] * 0.5}
        pixels = frame_pixels(page.screenshot(clip=top))
        assert pixels.mean() > 30 and pixels.max() > 120, (k, pixels.mean())
        assert video.evaluate("v => v.paused")  # a still, not playing by itself
    tags = page.evaluate(
        "() => [...document.querySelectorAll('#showcase .tag')].map(t => t.textContent)"
    )
    assert tags and all(t in TRACK_LABELS.values() for t in tags)
    assert not any(t in TRACK_LABELS for t in tags)
    # Pressed play, a clip plays from its own address.
    page.evaluate("() => document.querySelector('#showcase video').play()")
    page.wait_for_function(
        "() => document.querySelector('#showcase video').currentTime > 0.1", timeout=15_000
    )
