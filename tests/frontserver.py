"""Debian's nginx in front of a live app, from docs/nginx.conf with only its marked values set."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.browser import free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "docs" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_available() -> bool:
    return Path(NGINX).exists()


def render(app: str, listen: int, clips_dir: Path, extra: str = "") -> str:
    """docs/nginx.conf with its three CHANGE values set (and ``extra`` in the server block)."""
    text = CONFIG.read_text()
    for old, new in (
        ("server 127.0.0.1:8000;", f"server {app};"),
        ("listen 8080;", f"listen 127.0.0.1:{listen};"),
        ("alias /srv/arena-data/media/clips/;", f"alias {clips_dir.resolve()}/;"),
    ):
        assert text.count(old) == 1, f"docs/nginx.conf no longer holds {old!r}"
        text = text.replace(old, new)
    if extra:
        text = text.replace("        location / {", f"{extra}\n        location / {{", 1)
    return text


@contextmanager
def nginx_in_front(app_base: str, clips_dir: Path, work: Path, extra: str = "") -> Iterator[str]:
    """Serve the rendered config with nginx in the foreground; yield its base URL."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(render(app_base.removeprefix("http://"), port, clips_dir, extra))
    directives = f"daemon off; pid {work}/nginx.pid; error_log {work}/error.log;"
    if os.geteuid() == 0:  # workers as root, so they can read a test's private temp folder
        directives += " user root;"
    with subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(work), "-g", directives],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), 0.2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not start: {server.stderr.read()}") from None  # type: ignore[union-attr]
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(10)
