"""The leaderboard in a real Chromium: tabs, filters and sorting by link; plots; CSV download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.web.app import create_app
from tests.browser import chromium, chromium_available, live_server
from tests.conftest import need

pytestmark = pytest.mark.browser

ROWS = "() => [...document.querySelectorAll('#board tbody tr')].map(r => r.dataset.model)"
BARS = "() => [...document.querySelectorAll('svg#plot-ratings g.bar')].map(g => g.dataset.model)"


def test_leaderboard_page_in_a_real_browser(
    settings: Settings, registry: Registry, seeded: Engine, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings.with_(showcase_prompts=1), registry, seed=0)  # the model page's clips
    with live_server(app) as base, chromium(tmp_path) as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)

        def board(query: str) -> dict:
            return browser.request.get(f"{base}/api/v1/leaderboard?{query}").json()

        page.goto(f"{base}/leaderboard?track=text-to-video")
        expected = board("track=text-to-video")
        assert page.evaluate(ROWS) == [r["model"] for r in expected["rows"]]
        # One bar per rated model, in rating order, each with its interval; every plot drawn.
        rated = sorted(
            (r for r in expected["rows"] if r["rating"] is not None), key=lambda r: -r["rating"]
        )
        assert page.evaluate(BARS) == [r["model"] for r in rated]
        widths = page.evaluate(
            "() => [...document.querySelectorAll('svg#plot-ratings g.bar line')]"
            ".map(l => l.getBoundingClientRect().width)"
        )
        assert all(w > 2 for w in widths)
        for plot in ("win-rates", "battles", "history"):
            box = page.locator(f"svg#plot-{plot}").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 80
        assert page.locator("svg#plot-history g.series").count() == len(rated)

        # Tabs switch the track: a new URL, a new table.
        page.click("nav.tabs a[data-track='image-to-video']")
        page.wait_for_url("**/leaderboard?track=image-to-video")
        assert page.inner_text("h1") == "Image to video"
        assert page.evaluate(ROWS) == [r["model"] for r in board("track=image-to-video")["rows"]]

        # The category filter: its own URL, its own snapshot and rows.
        page.click("#categories a[data-category='animals']")
        page.wait_for_url("**/leaderboard?track=image-to-video&category=animals")
        animals = board("track=image-to-video&category=animals")
        assert page.evaluate(ROWS) == [r["model"] for r in animals["rows"]]
        assert page.get_attribute("#categories a.active", "data-category") == "animals"

        # Sorting by a header link, then the other way round.
        page.click("th[data-sort='votes'] a")
        page.wait_for_url("**sort=votes")
        assert page.get_attribute("th[data-sort='votes']", "aria-sort") == "descending"
        votes = page.evaluate(
            "() => [...document.querySelectorAll('#board td[data-col=votes]')]"
            ".map(td => Number(td.textContent.replace(/,/g, '')))"
        )
        assert votes == sorted(votes, reverse=True)
        page.click("th[data-sort='votes'] a")
        page.wait_for_url("**order=asc")
        assert page.get_attribute("th[data-sort='votes']", "aria-sort") == "ascending"

        # The CSV download holds the JSON view's rows.
        with page.expect_download() as info:
            page.click("#csv-link")
        download = info.value
        assert download.suggested_filename == "arena-leaderboard-image-to-video-animals.csv"
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
        view = board("track=image-to-video&category=animals&sort=votes&order=asc")
        assert [r["model"] for r in rows] == [r["model"] for r in view["rows"]]
        for line, row in zip(rows, view["rows"], strict=True):
            assert float(line["rating"]) == row["rating"] and int(line["votes"]) == row["votes"]

        # A model's page, from its row: its showcase clips load in the browser (posters show
        # at once; a clip's bytes are fetched when it plays).
        page.click("#board th[data-col=model] a >> nth=0")
        page.wait_for_url("**/models/**")
        page.evaluate("() => document.querySelectorAll('#showcase video').forEach(v => v.play())")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#showcase video')]"
            ".every(v => v.readyState >= 1 && v.duration > 0)",
            timeout=15_000,
        )
        assert page.locator("#track-ratings tbody tr").count() >= 2
        assert errors == []
