"""Helpers for the real-browser tests: a live uvicorn server and Debian's Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL.

    ``options`` go to ``uvicorn.Config`` (``ssl_certfile``/``ssl_keyfile``: HTTPS)."""
    port = free_port()
    scheme = "https" if options.get("ssl_certfile") else "http"
    # proxy_headers off, as `arena serve` runs it: ARENA_TRUSTED_PROXIES decides whom to believe.
    options = {"log_level": "warning", "proxy_headers": False, **options}
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium(tmp: Path) -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """A headless Debian Chromium (a fresh temporary profile per context): one per test module,
    a new context per test (``browser.new_context(viewport=..., has_touch=...)``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}
"""The two screens the pages are checked on: a desktop, and a phone with a touch screen."""


def screenshots_dir() -> Path:
    """Where the browser tests write a screenshot of every state they check: $ARENA_SCREENSHOTS,
    else build/screenshots in the repository (git-ignored)."""
    import os

    folder = Path(
        os.environ.get("ARENA_SCREENSHOTS")
        or Path(__file__).parent.parent / "build" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder
