"""/docs works with no internet: Swagger UI's assets come from the app, not from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.web.app import create_app
from tests.browser import chromium, chromium_available, live_server
from tests.conftest import need

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_the_docs_page_loads_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not EXTERNAL.search(page.text), page.text
    assets = re.findall(r"""(?:src|href)=["'](/docs-assets/[^"']+)""", page.text)
    assert assets
    assert client.get("/redoc").status_code == 404  # its bundle would fetch from a CDN
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


@pytest.mark.browser
def test_the_docs_render_in_a_browser_cut_off_from_the_internet(
    settings: Settings, registry: Registry, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings, registry, seed=0)
    with live_server(app) as base, chromium(tmp_path) as browser:
        outside: list[str] = []

        def only_local(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(base):
                route.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(url)
                route.abort()  # type: ignore[attr-defined]

        browser.route("**/*", only_local)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock", timeout=15000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/battles" in text for text in operations), operations
        page.locator(".opblock-summary-path", has_text="/api/v1/battles").first.click()
        page.wait_for_selector(".opblock-description-wrapper", timeout=15000)
        assert "Issue a new blind battle" in page.inner_text("body")
        assert outside == []
        assert errors == []
