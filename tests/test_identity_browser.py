"""An invitation link in a real Chromium: the page, its Accept button, the cookie it sets, and a
vote that counts in an arena that counts invited voters only."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Vote, VoteExclusion
from arena.web.app import create_app
from tests.browser import chromium, chromium_available, live_server
from tests.conftest import need

pytestmark = pytest.mark.browser

TOKEN = "test-admin-token-0123456789"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_accepting_an_invitation_in_a_browser_makes_its_votes_count(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    need(chromium_available(), "Debian chromium and the playwright package are needed")
    app = create_app(settings.with_(identity="invitation", admin_token=TOKEN), registry, seed=1)
    with live_server(app) as base, chromium(tmp_path) as browser:
        made = httpx.post(
            f"{base}/api/v1/admin/invitations",
            json={"label": "browser"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
        page = browser.new_page()
        page.goto(base + made["path"])
        assert "The link opens once" in page.inner_text("main")
        with page.expect_response(lambda r: "/api/v1/battles?" in r.url) as issued:
            page.click("#accept-invitation")
        assert page.url == f"{base}/" and issued.value.status == 201
        cookies = {c["name"]: c["value"] for c in browser.cookies()}
        assert cookies["arena_voter"].startswith(f"inv:{made['id']}.")
        page.wait_for_function(
            "() => !document.querySelector(\"button[data-outcome='a']\").disabled"
        )
        with page.expect_response(lambda r: r.url.endswith("/vote")) as voted:
            page.click("button[data-outcome='a']")
        assert voted.value.json()["counted"] is True
        # Opening the link again in the same browser says it already holds it.
        again = page.goto(base + made["path"])
        assert again is not None and again.status == 200
        assert "already holds the invitation" in page.inner_text("#invite-held")
        # The link is used up now: opening it again in a new browser profile says so.
        other = browser.new_page()
        browser.clear_cookies()
        answer = other.goto(base + made["path"])
        assert answer is not None and answer.status == 410
        assert "used up" in other.inner_text("#error-message")
    with session_scope(engine) as session:
        (vote,) = session.exec(select(Vote)).all()
        assert vote.voter_id == f"inv:{made['id']}"
        assert session.exec(select(VoteExclusion)).all() == []
