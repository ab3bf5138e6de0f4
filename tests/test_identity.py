"""Voter identity beyond the cookie, over real HTTP and the real store: invitation links (make,
open, cap, revoke, bad tokens), an arena that counts invited voters only, and sign-in by a
header that only a trusted proxy is believed to set."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from arena import store
from arena.core.clock import utcnow
from arena.core.errors import Gone
from arena.registry.plugins import Registry
from arena.settings import Settings, SettingsError
from arena.store.engine import session_scope
from arena.store.tables import Battle
from arena.web.app import create_app
from tests.browser import live_server

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}


@pytest.fixture
def admin(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)
    with TestClient(app) as client:
        yield client


def invite(client: TestClient | httpx.Client, uses: int = 1, **body: object) -> dict:
    response = client.post("/api/v1/admin/invitations", json={"uses": uses, **body}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def browser(client: TestClient, cookie: str | None = None) -> None:
    """Make ``client`` a browser holding ``cookie`` (None: a new browser, no cookie)."""
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set("arena_voter", cookie)


def vote(client: TestClient | httpx.Client, **headers: str) -> httpx.Response:
    battle = client.post("/api/v1/battles?track=text-to-video", headers=headers)
    assert battle.status_code == 201, battle.text
    url = battle.json()["vote_url"]
    return client.post(url, json={"outcome": "a", "watch_ms": 3000}, headers=headers)


def test_invitation_opens_up_to_its_cap_binds_one_identity_and_is_revoked(
    admin: TestClient, engine: Engine
) -> None:
    made = invite(admin, uses=2, label="panel")
    assert made["path"] == f"/invite/{made['token']}" and made["url"].endswith(made["path"])
    assert made["voter_id"] == f"inv:{made['id']}" and made["uses"] == 0
    token = made["token"]
    # Only the token's hash is stored.
    with Session(engine) as session:
        stored = store.list_invitations(session, revoked=True, limit=10, offset=0)
    assert token not in stored[0].model_dump_json()

    # Looking uses nothing: the page offers a button, the JSON says what is left.
    page = admin.get(made["path"], headers=HTML)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert admin.get(made["path"], headers=JSON).json()["uses_left"] == 2

    browser(admin)
    opened = admin.post(made["path"], headers=HTML, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    cookies = [c for c in opened.headers.get_list("set-cookie") if c.startswith("arena_voter=")]
    assert len(cookies) == 1 and cookies[0].startswith(f"arena_voter=inv:{made['id']}.")
    first = admin.cookies["arena_voter"]
    # The same browser opening it again uses nothing.
    assert admin.post(made["path"], headers=JSON).status_code == 200
    assert admin.get(made["path"], headers=JSON).json() == {
        "valid": True,
        "held": True,
        "uses_left": 1,
        "expires_at": None,
    }
    browser(admin)
    assert admin.post(made["path"], headers=JSON).status_code == 200
    second = admin.cookies["arena_voter"]
    assert first == second  # two browsers, one identity
    browser(admin)
    used_up = admin.post(made["path"], headers=JSON)
    assert used_up.status_code == 410 and "used up" in used_up.json()["detail"]
    page = admin.get(made["path"], headers=HTML)
    assert page.status_code == 410 and "used up" in page.text

    listed = admin.get("/api/v1/admin/invitations", headers=AUTH).json()
    assert [(i["id"], i["uses"], i["max_uses"]) for i in listed] == [(made["id"], 2, 2)]
    revoked = admin.post(
        f"/api/v1/admin/invitations/{made['id']}/revoke", json={"reason": "leaked"}, headers=AUTH
    )
    assert revoked.status_code == 200 and revoked.json()["revoke_reason"] == "leaked"
    again = admin.post(f"/api/v1/admin/invitations/{made['id']}/revoke", json={}, headers=AUTH)
    assert again.status_code == 409
    assert admin.get("/api/v1/admin/invitations", headers=AUTH).json() == []
    every = admin.get("/api/v1/admin/invitations?revoked=true", headers=AUTH).json()
    assert every[0]["revoked_at"] is not None
    gone = admin.get(made["path"], headers=JSON)
    assert gone.status_code == 410 and "revoked" in gone.json()["detail"]
    missing = admin.post("/api/v1/admin/invitations/999/revoke", json={}, headers=AUTH)
    assert missing.status_code == 404 and "999" in missing.json()["detail"]


def test_bad_expired_and_malformed_tokens_are_4xx_saying_what_is_wrong(
    admin: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        _, expired = store.create_invitation(
            session,
            label="",
            max_uses=5,
            expires_at=utcnow() - timedelta(minutes=1),
            actor="test",
        )
    for method in ("get", "post"):
        answer = getattr(admin, method)(f"/invite/{expired}", headers=JSON)
        assert answer.status_code == 410 and "expired" in answer.json()["detail"]
        unknown = getattr(admin, method)("/invite/" + "x" * 32, headers=JSON)
        assert unknown.status_code == 404 and "no invitation" in unknown.json()["detail"]
        cut = getattr(admin, method)("/invite/ab", headers=JSON)
        assert cut.status_code == 404 and "copied whole" in cut.json()["detail"]
    page = admin.get("/invite/" + "x" * 32, headers=HTML)
    assert page.status_code == 404 and "no invitation matches this link" in page.text
    for body in ({"uses": 0}, {"uses": 2, "expires_in_days": -1}, {"uses": 1, "extra": 1}):
        bad = admin.post("/api/v1/admin/invitations", json=body, headers=AUTH)
        assert bad.status_code == 422, body
    assert admin.post("/api/v1/admin/invitations", json={}).status_code == 401


def test_browsers_opening_a_capped_link_at_once_get_at_most_its_cap(engine: Engine) -> None:
    with Session(engine) as session:
        made, token = store.create_invitation(
            session, label="", max_uses=3, expires_at=None, actor="test"
        )
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def open_it(n: int) -> None:
        start.wait()
        with session_scope(engine, write=True) as session:
            try:
                store.open_invitation(session, token=token, voter_id=f"browser-{n}")
                outcomes.append("opened")
            except Gone as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=open_it, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes.count("opened") == 3
    assert outcomes.count("this invitation is used up: it could be opened 3 times") == 5
    with Session(engine) as session:
        (row,) = store.list_invitations(session, revoked=False, limit=5, offset=0)
    assert row.id == made.id and row.uses == 3


@pytest.fixture
def invited_only(settings: Settings, registry: Registry, engine: Engine) -> Iterator[TestClient]:
    app = create_app(
        settings.with_(admin_token=TOKEN, identity="invitation", voter_battle_limits="3/minute"),
        registry,
        seed=0,
    )
    with TestClient(app) as client:
        yield client


def test_requiring_invitations_excludes_uninvited_votes_and_counts_invited_ones(
    invited_only: TestClient,
) -> None:
    client = invited_only
    browser(client)
    anonymous = vote(client)
    assert anonymous.status_code == 200
    assert anonymous.json()["counted"] is False and "invited" in anonymous.json()["note"]

    made = invite(client)
    browser(client)
    assert client.post(made["path"], headers=JSON).status_code == 200
    invited = vote(client)
    assert invited.json()["counted"] is True and invited.json()["note"] is None

    excluded = client.get("/api/v1/admin/votes/excluded?reason=identity", headers=AUTH).json()
    assert len(excluded) == 1 and excluded[0]["reason"] == "identity"
    assert "anonymous" in excluded[0]["detail"]
    live = client.get("/api/v1/leaderboard?track=text-to-video").json()
    assert sum(row["live_votes"] for row in live["rows"]) == 2  # one counted vote, two models
    # The leaderboard's notes count it.
    assert live["live"]["excluded"] == {"identity": 1}
    page = client.get("/leaderboard?track=text-to-video", headers=HTML).text
    assert "1 vote was stored but not counted:" in page
    assert "1 from voters without an invitation or sign-in (<code>identity</code>)</span>" in page
    # Reversible by an admin, like every exclusion.
    unflag = client.post(
        f"/api/v1/admin/votes/{excluded[0]['vote_id']}/unflag", json={}, headers=AUTH
    )
    assert unflag.status_code == 200 and "identity" in unflag.json()["detail"]
    live = client.get("/api/v1/leaderboard?track=text-to-video").json()
    assert sum(row["live_votes"] for row in live["rows"]) == 4
    assert live["live"]["excluded"] == {}

    # Revoked: its voter's new votes are stored, not counted.
    client.post(f"/api/v1/admin/invitations/{made['id']}/revoke", json={}, headers=AUTH)
    after = vote(client)
    assert after.json()["counted"] is False
    excluded = client.get("/api/v1/admin/votes/excluded?reason=identity", headers=AUTH).json()
    assert [e["detail"] for e in excluded] == ["its invitation was revoked"]


def test_each_invitation_is_one_voter_with_its_own_limits(invited_only: TestClient) -> None:
    client = invited_only
    made = invite(client, uses=2)
    browser(client)
    client.post(made["path"], headers=JSON)
    for _ in range(2):
        assert client.post("/api/v1/battles").status_code == 201
    browser(client)  # a second browser of the same invitation: the same voter, same limits
    client.post(made["path"], headers=JSON)
    assert client.post("/api/v1/battles").status_code == 201
    limited = client.post("/api/v1/battles")
    assert limited.status_code == 429
    other = invite(client)
    browser(client)
    client.post(other["path"], headers=JSON)
    assert client.post("/api/v1/battles").status_code == 201  # another invitation: its own


def voters(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Battle.voter_id).order_by(Battle.issued_at)).all())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_header_sign_in_is_believed_from_a_trusted_proxy_only(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    header = "X-Auth-Request-Email"
    signed = settings.with_(
        identity="header", identity_header=header, trusted_proxies="127.0.0.1", admin_token=TOKEN
    )
    ann = {header: "Ann@Example.org"}
    app = create_app(signed, registry, seed=0)
    with (
        live_server(app) as base,
        httpx.Client(base_url=base) as one,
        httpx.Client(base_url=base) as two,
    ):
        battle = one.post("/api/v1/battles", headers=ann)
        assert battle.status_code == 201
        assert "set-cookie" not in battle.headers  # the proxy names the voter each time
        # Another connection with the same signed-in user is the same voter.
        counted = two.post(
            battle.json()["vote_url"],
            json={"outcome": "a", "watch_ms": 3000},
            headers={header: "ANN@example.org"},
        )
        assert counted.status_code == 200 and counted.json()["counted"] is True
        # Without the header, the voter is anonymous and does not count.
        assert vote(one).json()["counted"] is False
    signed_in, anonymous = voters(engine)
    assert signed_in.startswith("h:") and len(signed_in) == 34
    assert "ann" not in signed_in.lower() and "example" not in signed_in.lower()
    assert not anonymous.startswith("h:")

    untrusted = signed.with_(trusted_proxies="10.0.0.0/8")
    app = create_app(untrusted, registry, seed=0)
    with (
        live_server(app) as base,
        httpx.Client(base_url=base) as one,
        httpx.Client(base_url=base) as two,
    ):
        battle = one.post("/api/v1/battles", headers=ann)
        assert "arena_voter=" in battle.headers["set-cookie"]  # a cookie voter, as usual
        forged = two.post(battle.json()["vote_url"], json={"outcome": "a"}, headers=ann)
        assert forged.status_code == 403  # the header made nobody Ann
        ignored = one.post(
            battle.json()["vote_url"], json={"outcome": "a", "watch_ms": 3000}, headers=ann
        )
        assert ignored.json()["counted"] is False
        # The admin's health view tells that a sign-in header came from an untrusted peer.
        proxy = one.get("/api/v1/admin/health", headers=AUTH).json()["proxy"]
        assert proxy["header"] == header.lower() and proxy["peer"] == "127.0.0.1"
        assert "sign-in header was ignored" in proxy["warning"]
    assert not any(v.startswith("h:") for v in voters(engine)[2:])

    # With ARENA_IDENTITY=cookie the header is not read, even from a trusted proxy.
    cookies = signed.with_(identity="cookie")
    with (
        live_server(create_app(cookies, registry, seed=0)) as base,
        httpx.Client(base_url=base) as client,
    ):
        answer = vote(client, **ann)
        assert answer.json()["counted"] is True
        assert client.cookies.get("arena_voter")  # a cookie voter
    assert not voters(engine)[-1].startswith("h:")


@pytest.mark.parametrize(
    "env, named",
    [
        ({"ARENA_IDENTITY": "password"}, "ARENA_IDENTITY: unknown value 'password'"),
        ({"ARENA_IDENTITY": "header"}, "ARENA_IDENTITY=header needs ARENA_TRUSTED_PROXIES"),
        (
            {
                "ARENA_IDENTITY": "header",
                "ARENA_TRUSTED_PROXIES": "127.0.0.1",
                **{"ARENA_IDENTITY_HEADER": "X Email"},
            },
            "ARENA_IDENTITY_HEADER must be a header name",
        ),
    ],
)
def test_bad_identity_settings_fail_at_start_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named.replace("(", r"\(")):
        Settings.from_env(env)


def test_arena_serve_refuses_a_header_sign_in_it_could_not_believe(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env = {**clean, "ARENA_IDENTITY": "header", "ARENA_DATA_DIR": str(tmp_path)}
    started = subprocess.run(
        [sys.executable, "-m", "arena.cli", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert started.returncode != 0
    assert "ARENA_IDENTITY=header needs ARENA_TRUSTED_PROXIES" in started.stderr


def test_anonymous_cookies_stay_the_default() -> None:
    assert Settings.from_env({}).identity == "cookie"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_arena_admin_invitations_create_list_revoke(
    settings: Settings, registry: Registry, engine: Engine
) -> None:
    app = create_app(settings.with_(admin_token=TOKEN), registry, seed=0)

    def arena(base: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "arena.cli", "admin", "--url", base, "--token", TOKEN, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    with live_server(app) as base:
        made = arena(base, "invitations", "create", "--uses", "3", "--label", "jury", "--days", "7")
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip()
        assert link.startswith(f"{base}/invite/") and "opens 3 times" in made.stderr
        with httpx.Client(timeout=20) as client:
            assert client.post(link, headers=JSON).status_code == 200
        listed = arena(base, "invitations", "list")
        assert "label=jury" in listed.stdout and "uses=1" in listed.stdout
        revoked = arena(base, "invitations", "revoke", "1", "--reason", "done")
        assert revoked.returncode == 0, revoked.stderr
        assert "revoke_reason: done" in revoked.stdout
        assert arena(base, "invitations", "list").stdout.strip() == "(none)"
        assert "revoked_by" in arena(base, "invitations", "list", "--all").stdout
        twice = arena(base, "invitations", "revoke", "1")
        assert twice.returncode == 2 and "already revoked" in twice.stderr
