"""Clip bytes through the front server: docs/nginx.conf in front of the app, for real.

The app answers a per-battle clip URL with ``X-Accel-Redirect``; nginx sends the file, with
range requests, and none of the app's internal headers or file names reach the voter.
"""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy.engine import Engine

from arena.registry.plugins import Registry
from arena.settings import Settings
from arena.store.engine import session_scope
from arena.store.tables import Battle, Clip
from arena.web.app import create_app
from tests.browser import live_server
from tests.conftest import need
from tests.frontserver import nginx_available, nginx_in_front

pytestmark = pytest.mark.nginx


def test_nginx_sends_the_clip_the_app_authorized(
    settings: Settings, registry: Registry, engine: Engine, tmp_path: Path
) -> None:
    need(nginx_available(), "Debian's nginx is needed (apt-get install nginx)")
    offloaded = settings.with_(clip_offload="x-accel-redirect", trusted_proxies="127.0.0.1")
    app = create_app(offloaded, registry, seed=0)
    with (
        live_server(app) as app_base,
        nginx_in_front(app_base, settings.clips_dir, tmp_path / "nginx") as base,
        httpx.Client(base_url=base, timeout=20) as voter,
    ):
        battle = voter.post("/api/v1/battles?track=text-to-video")
        assert battle.status_code == 201, battle.text
        url = battle.json()["left"]["url"]
        with session_scope(engine) as session:
            row = session.get(Battle, battle.json()["id"])
            assert row is not None
            clip = session.get(Clip, row.left_clip_id)
            assert clip is not None
        expected = (settings.clips_dir / clip.file).read_bytes()

        whole = voter.get(url)
        assert whole.status_code == 200
        assert whole.content == expected
        assert whole.headers["content-type"] == "video/mp4"
        assert whole.headers["cache-control"].startswith("private, max-age=")
        assert "etag" not in whole.headers
        for header in ("x-accel-redirect", "x-sendfile"):
            assert header not in whole.headers
        assert clip.public_id not in str(whole.headers)

        part = voter.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == expected[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(expected)}"

        # The internal location is not a way in; another voter is refused by the app.
        assert httpx.get(f"{base}/_arena_clips/{clip.file}").status_code == 404
        stranger = httpx.get(f"{base}{url}")
        assert stranger.status_code == 403
        assert clip.file not in stranger.text
