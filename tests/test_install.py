"""The built wheel, installed into a new virtualenv, serves: the page, its assets, clips, /docs.

The wheel is built offline from a copy of the checkout and installed without its dependencies;
the new environment borrows them from the test environment through a path file, so nothing is
fetched. Its own ``arena`` is the wheel's copy: the run starts in an empty folder and the test
checks where the package was imported from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.browser import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

TINY = """
[[models]]
id = "wheel-a"
name = "Wheel A"
tracks = ["text-to-video"]
provider = "procedural"
options = { width = 160, height = 96, fps = 12, seconds = 1.0, workers = 1, look = {} }

[[models]]
id = "wheel-b"
name = "Wheel B"
tracks = ["text-to-video"]
provider = "procedural"
options = { width = 160, height = 96, fps = 12, seconds = 1.0, workers = 1, look = { noise = 9.0 } }

[[prompts]]
id = "ball"
track = "text-to-video"
text = "A red ball bouncing across a meadow"
scene = { subject = "ball", colour = "red", background = "meadow", motion = "bounce" }

# The first prompt is the model pages' showcase (ARENA_SHOWCASE_PROMPTS=1): battles use this one.
[[prompts]]
id = "sign"
track = "text-to-video"
text = "A neon sign at night"
scene = { subject = "sign", colour = "magenta", background = "night", motion = "zoom" }
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv holding the wheel built from this checkout; its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__")
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("arena", "static"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(source)])
    (wheel,) = (tmp / "dist").glob("arena-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    # The dependencies come from this environment (a plain path line: its own .pth files, an
    # editable install of arena among them, are not run).
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib.strip(), "test-deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return venv / "bin"


def run(cmd: list[str], **kwargs: object) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return str(done.stdout)


@pytest.fixture
def arena_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "arena.toml"
    config.write_text(TINY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "PYTHON"))}
    env.update(ARENA_DATA_DIR=str(tmp_path / "data"), ARENA_CONFIG=str(config))
    return env


@pytest.fixture
def served(installed: Path, arena_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``arena serve`` from the wheel, after ``arena models sync``; its base URL."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    where = run([str(installed / "python"), "-c", "import arena; print(arena.__file__)"], cwd=cwd)
    assert where.startswith(str(installed.parent)), where
    run([str(installed / "arena"), "models", "sync"], cwd=cwd, env=arena_env)
    port = free_port()
    server = subprocess.Popen(
        [str(installed / "arena"), "serve", "--port", str(port)],
        cwd=cwd,
        env=arena_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/v1/tracks", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "arena serve did not start"
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        out = server.communicate(timeout=20)[0]
        assert "Traceback" not in out, out


def test_the_wheel_serves_the_page_its_assets_clips_and_docs(served: str) -> None:
    with httpx.Client(base_url=served, timeout=20) as http:
        page = http.get("/")
        assert page.status_code == 200
        for name in ("arena.css", "battle.js"):
            assert f"/static/{name}" in page.text
            asset = http.get(f"/static/{name}")
            assert asset.status_code == 200
            assert asset.content == (ROOT / "static" / name).read_bytes()
        battle = http.post("/api/v1/battles", params={"track": "text-to-video"})
        assert battle.status_code == 201, battle.text
        for side in ("left", "right"):
            clip = http.get(battle.json()[side]["url"])
            assert clip.status_code == 200
            assert clip.headers["content-type"] == "video/mp4"
            assert clip.content[4:8] == b"ftyp"
        docs = http.get("/docs")
        assert docs.status_code == 200
        assert "//cdn" not in docs.text
        assert http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert http.get("/leaderboard").status_code == 200


def test_the_wheel_runs_the_demo_and_carries_its_config(
    installed: Path, arena_env: dict[str, str], tmp_path: Path
) -> None:
    """``arena demo`` from the wheel: its own config is package data; with a small config
    (the full demo renders for minutes) it prepares, syncs and seeds votes."""
    packaged = run(
        [
            str(installed / "python"),
            "-c",
            "from importlib.resources import files; "
            "print((files('arena.registry') / 'demo.toml').read_text()[:200])",
        ],
        cwd=tmp_path,
    )
    assert "The demo arena" in packaged
    out = run(
        [str(installed / "arena"), "demo", "--votes", "20", "--no-serve"],
        cwd=tmp_path,
        env=arena_env,
    )
    assert "Traceback" not in out
    listing = run(
        [str(installed / "arena"), "models", "list", "--json"], cwd=tmp_path, env=arena_env
    )
    models = json.loads(listing)
    assert {m["model"] for m in models} == {"wheel-a", "wheel-b"}
    assert all(m["clips"] == {"text-to-video": 2} for m in models)
