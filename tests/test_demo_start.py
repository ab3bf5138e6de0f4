"""`arena demo` from an empty folder: stages named in order, the first track served before the
others are ready, served clips in the track's format, no second copy of the originals, and a
start with everything cached that renders nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from arena.media.fingerprint import observe
from arena.media.normalize import _comparable, _reference
from arena.registry.config import load_config
from tests.browser import free_port
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
DEMO = [sys.executable, "-m", "arena.cli", "demo"]


def small_config(where: Path) -> Path:
    """The tests' small arena with every model rendering straight in the track's format."""
    text = (DATA / "small.toml").read_text().replace("options = { ", "options = { conform = true, ")
    path = where / "arena.toml"
    path.write_text(text)
    return path


class Demo:
    """A running `arena demo`, its output collected line by line."""

    def __init__(self, config: Path, data: Path, *extra: str) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
        port = str(self.port)
        self.proc = subprocess.Popen(
            [*DEMO, "--config", str(config), "--data-dir", str(data), "--port", port, *extra],
            cwd=ROOT,
            env={**env, "ARENA_CATALOG_TTL": "0"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, seconds: float = 240) -> None:
        deadline = time.monotonic() + seconds
        while not re.search(pattern, self.text, re.MULTILINE):
            assert self.proc.poll() is None or re.search(pattern, self.text), self.text
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.text}"
            time.sleep(0.1)

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(30)
        self.reader.join(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.text


def conforming(config: Path, clip: Path) -> bool:
    """Whether a served clip has its track's format: every structural and per-prompt property
    of the profile's own encode (the normalizer's reference)."""
    profile = load_config(config).profile("text-to-video")  # one [normalize] for every track
    frames = profile.frames_for(1.0)
    seen = _comparable(observe(clip))
    return seen in (_reference(profile, frames, False), _reference(profile, frames, True))


def test_a_cold_demo_serves_its_first_track_then_the_rest_and_a_warm_one_renders_nothing(
    tmp_path: Path,
) -> None:
    config, data = small_config(tmp_path), tmp_path / "data"
    demo = Demo(config, data)
    try:
        demo.wait_for(r"^ready at http://127\.0\.0\.1:\d+/ \(.*in the background\)")
        base = f"http://127.0.0.1:{demo.port}"
        http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        ask = urllib.request.Request(
            f"{base}/api/v1/battles?track=text-to-video", method="POST", data=b""
        )
        with http.open(ask, timeout=20) as answer:
            assert answer.status == 201
            battle = json.loads(answer.read())
        for side in ("left", "right"):
            with http.open(base + battle[side]["url"], timeout=20) as clip:
                assert clip.status == 200
                served = tmp_path / f"{side}.mp4"
                served.write_bytes(clip.read())
            assert conforming(config, served)
        demo.wait_for(r"^background: .* ready \(")
    finally:
        out = demo.stop()
    assert "Traceback" not in out and "Rendering" not in out, out
    stages = [
        out.index(line) for line in ("\nrender ", "\ncheck ", "\nnormalize ", "\nready at http://")
    ]
    assert stages == sorted(stages), out
    assert "remuxed" in out, out  # rendered in the track's format: no second encode
    served = sorted((data / "media" / "clips").glob("*.mp4"))
    assert len(served) == 28  # 4 models x 2 prompts on 2 tracks, 3 x 2 on the audio tracks
    assert all(conforming(config, clip) for clip in served)

    def inodes(files: list[Path]) -> set[tuple[int, int]]:
        return {(f.stat().st_dev, f.stat().st_ino) for f in files}

    sources = data / "sources"
    originals = list((sources / "originals").iterdir())
    assert len(originals) == 28
    # No second copy: an original is the render itself, a served clip its normalized file.
    assert inodes(originals) == inodes(list((sources / "procedural").rglob("*.mp4")))
    assert inodes(served) == inodes(list((sources / "normalized").iterdir()))

    again = subprocess.run(
        [*DEMO, "--config", str(config), "--data-dir", str(data), "--no-serve"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("ARENA_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert "render" not in out.lower() and "normalize " not in out, out
    assert "28 unchanged" in out, out


def test_an_original_is_linked_only_when_its_provider_never_rewrites_it(tmp_path: Path) -> None:
    from arena.services.ingest.files import keep_original

    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(100))
    copied = tmp_path / "copy" / keep_original(source, tmp_path / "copy")
    linked = tmp_path / "link" / keep_original(source, tmp_path / "link", link=True)
    assert copied.stat().st_ino != source.stat().st_ino  # rewritten in place, it stays as kept
    assert linked.stat().st_ino == source.stat().st_ino
    assert copied.read_bytes() == linked.read_bytes() == source.read_bytes()
