"""Deployment behind (or without) a proxy, over real HTTP: the voter cookie is Secure whenever
the request came over HTTPS, directly or through a trusted proxy; a proxy the server does not
trust is reported, at start-up and in the admin's health view."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.web.app import create_app
from tests.browser import free_port, live_server

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROTO_HTTPS = {"X-Forwarded-Proto": "https"}


def voter_cookie(response: httpx.Response) -> str:
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if "arena_voter=" in c]
    return cookie


def is_secure(cookie: str) -> bool:
    return "secure" in [part.strip().lower() for part in cookie.split(";")]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (Debian's openssl)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
            ),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cookie_is_secure_over_direct_https(
    settings: Settings, registry: Registry, certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    app = create_app(settings, registry)
    with live_server(app, ssl_certfile=cert, ssl_keyfile=key) as base:
        assert base.startswith("https://")
        with httpx.Client(base_url=base, verify=False, timeout=20) as client:
            cookie = voter_cookie(client.get("/"))
    assert is_secure(cookie) and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cookie_is_secure_only_when_a_trusted_proxy_says_https(
    settings: Settings, registry: Registry
) -> None:
    app = create_app(settings.with_(trusted_proxies="127.0.0.1"), registry)
    with live_server(app) as base:
        with httpx.Client(base_url=base, timeout=20) as client:
            behind_https = voter_cookie(client.get("/", headers=PROTO_HTTPS))
        with httpx.Client(base_url=base, timeout=20) as client:
            # A proxy chain: the last value is the one the trusted proxy set.
            relayed = voter_cookie(client.get("/", headers={"X-Forwarded-Proto": "http, https"}))
        with httpx.Client(base_url=base, timeout=20) as client:
            behind_http = voter_cookie(client.get("/", headers={"X-Forwarded-Proto": "http"}))
        with httpx.Client(base_url=base, timeout=20) as client:
            direct_http = voter_cookie(client.get("/"))
    assert is_secure(behind_https) and is_secure(relayed)
    assert not is_secure(behind_http) and not is_secure(direct_http)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_untrusted_proxy_is_not_believed_and_shows_in_the_admin_view(
    settings: Settings, registry: Registry
) -> None:
    app = create_app(settings.with_(trusted_proxies="10.0.0.0/8", admin_token=TOKEN), registry)
    with live_server(app) as base, httpx.Client(base_url=base, timeout=20) as client:
        assert not is_secure(voter_cookie(client.get("/")))
        before = client.get("/api/v1/admin/health", headers=AUTH).json()["proxy"]
        client.cookies.clear()
        # 127.0.0.1 is not in ARENA_TRUSTED_PROXIES: its X-Forwarded-Proto is not believed.
        assert not is_secure(voter_cookie(client.get("/", headers=PROTO_HTTPS)))
        after = client.get("/api/v1/admin/health", headers=AUTH).json()["proxy"]
        # `arena admin health` shows the same.
        shown = subprocess.run(
            [sys.executable, "-m", "arena.cli", "admin", "--url", base, "--token", TOKEN, "health"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert before["untrusted_proxy_seen"] is False and before["warning"] is None
    assert before["trusted_proxies"] == ["10.0.0.0/8"]
    assert after["untrusted_proxy_seen"] is True
    assert after["peer"] == "127.0.0.1" and after["header"] == "x-forwarded-proto"
    assert "per-address limits see only the proxy" in after["warning"]
    assert shown.returncode == 0, shown.stderr
    assert "'untrusted_proxy_seen': True" in shown.stdout


def arena_serve(data: Path, host: str, env: dict[str, str]) -> tuple[int, str]:
    """Run `arena serve` on ``host``, get an answer over HTTP, stop it; (status, stderr)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "arena.cli", "serve", "--data-dir", str(data)),
            *("--host", host, "--port", str(port)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, **env},
    )
    status = 0
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/v1/tracks", timeout=5).status_code
                break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return status, stderr


def test_serving_beyond_loopback_without_trusted_proxies_warns_at_start_up(
    tmp_path: Path,
) -> None:
    status, stderr = arena_serve(tmp_path / "open", "0.0.0.0", {})
    assert status == 200, stderr
    assert "warning: listening on 0.0.0.0 (not loopback)" in stderr
    assert "per-address limits see only the proxy's address" in stderr
    assert "ARENA_TRUSTED_PROXIES" in stderr
    # What decides it, without starting more servers (each start costs seconds of imports).
    from arena.cli.serve import proxy_warning

    assert proxy_warning(Settings(host="0.0.0.0")) in stderr
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert proxy_warning(Settings(host=host)) is None, host
    for host in ("0.0.0.0", "::", "192.0.2.2", "arena.example.org"):
        assert proxy_warning(Settings(host=host)), host
    assert proxy_warning(Settings(host="0.0.0.0", trusted_proxies="10.0.0.0/8")) is None


def test_which_hosts_are_loopback_and_when_the_warning_is_due() -> None:
    from arena.cli.serve import proxy_warning

    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert proxy_warning(Settings(host=host)) is None, host
    for host in ("0.0.0.0", "::", "192.0.2.2", "arena.example.org"):
        assert proxy_warning(Settings(host=host)), host
    assert proxy_warning(Settings(host="0.0.0.0", trusted_proxies="10.0.0.0/8")) is None
