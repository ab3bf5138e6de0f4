"""The built-in providers: directory, manifest and command, end to end through a real sync."""

from __future__ import annotations

import http.server
import json
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from arena.registry.config import load_config
from arena.registry.plugins import build_registry
from arena.registry.testing import check_provider
from arena.services.ingest import SyncReport, sync
from arena.settings import Settings
from arena.store.engine import make_engine, prepare_schema
from arena.store.reads.catalog import model_listing
from tests.clips import make_clip

PROMPTS = """
[normalize]
width = 160
height = 96
fps = 12
min_seconds = 0.5
preset = "veryfast"

[[prompts]]
id = "ball"
track = "text-to-video"
text = "A red ball"

[[prompts]]
id = "cube"
track = "text-to-video"
text = "A blue cube; rm -rf / $(touch pwned) `touch pwned2` 'quoted' \\"dq\\""

[[prompts]]
id = "song"
track = "text-to-video-audio"
text = "A bird singing"
"""


def arena_toml(tmp_path: Path, models: str) -> Path:
    path = tmp_path / "arena.toml"
    path.write_text(PROMPTS + models)
    return path


def run_sync(tmp_path: Path, config: Path) -> tuple[SyncReport, Engine, Settings]:
    settings = Settings(data_dir=tmp_path / "data", config_path=config, secret_key="k")
    engine = make_engine(settings.database_url)
    prepare_schema(engine)
    registry = build_registry(load_config(config))
    return sync(engine, registry, settings, workers=1), engine, settings


def reasons(report: SyncReport) -> dict[str, str]:
    return {prompt: reason for _, prompt, reason in report.rejected}


# --- directory ----------------------------------------------------------------------------


def test_directory_provider_ingests_a_folder_and_reports_strays(tmp_path: Path) -> None:
    folder = tmp_path / "clips" / "m1"
    make_clip(folder / "ball.mp4", audio_rate=None)
    make_clip(folder / "song.mov", seconds=1.0)
    make_clip(folder / "cube.mp4", seconds=0.2)  # too short for min_seconds = 0.5
    make_clip(folder / "kite.mp4")  # no such prompt
    (folder / "notes.txt").write_text("not a clip")
    (folder / ".hidden.mp4").write_bytes(b"")
    config = arena_toml(
        tmp_path,
        """
[[models]]
id = "m1"
name = "M1"
tracks = ["text-to-video", "text-to-video-audio"]
provider = "directory"
options = { path = "clips/m1" }
""",
    )
    report, engine, _ = run_sync(tmp_path, config)
    assert report.added == 2, report
    why = reasons(report)
    assert why["kite"] == "no prompt 'kite' in the config"
    assert why["cube"].startswith("too short: 0.2")
    (row,) = model_listing(engine)
    assert row["clips"] == {"text-to-video": 1, "text-to-video-audio": 1}
    assert row["lacking"] == ["cube"] and row["provider"] == "directory"
    # Unchanged files cost nothing: the second sync does not even open them, which we prove
    # by making one unreadable without changing its size or modification time.
    ball = folder / "ball.mp4"
    stat = ball.stat()
    ball.write_bytes(b"\0" * stat.st_size)
    import os

    os.utime(ball, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again, _, _ = run_sync(tmp_path, config)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 2)
    # A changed file is noticed: replaced, and a broken one rejected with its reason.
    make_clip(folder / "song.mov", seconds=1.2)
    (folder / "ball.mp4").write_bytes(b"garbage" * 100)
    third, _, _ = run_sync(tmp_path, config)
    assert third.replaced == 1 and "cannot decode" in reasons(third)["ball"]
    engine.dispose()


def test_directory_two_files_for_one_prompt_and_another_track(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    make_clip(folder / "ball.mp4", audio_rate=None)
    make_clip(folder / "ball.webm", codec="libvpx-vp9", audio_rate=None)
    make_clip(folder / "song.mp4")
    config = arena_toml(
        tmp_path,
        """
[[models]]
id = "m"
tracks = ["text-to-video"]
provider = "directory"
options = { path = "m" }
""",
    )
    report, engine, _ = run_sync(tmp_path, config)
    why = reasons(report)
    assert why["ball"] == "several files for this prompt: ball.mp4, ball.webm"
    assert "on track 'text-to-video-audio', which the model does not support" in why["song"]
    engine.dispose()


# --- manifest -----------------------------------------------------------------------------


class _Server:
    """A real HTTP server on 127.0.0.1 serving one folder; ``/slow/...`` never answers."""

    def __init__(self, root: Path) -> None:
        stall = threading.Event()
        self.stall = stall

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:
                if self.path.startswith("/slow/"):
                    stall.wait(10)
                    return
                super().do_GET()

            def log_message(self, *args: object) -> None:
                return

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stall.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[_Server]:
    root = tmp_path / "www"
    make_clip(root / "song.mp4")
    server = _Server(root)
    yield server
    server.close()


def test_manifest_csv_with_paths_file_urls_and_refused_http(tmp_path: Path) -> None:
    sets = tmp_path / "evalset"
    make_clip(sets / "videos" / "a-ball.mp4", audio_rate=None)
    make_clip(sets / "videos" / "a-song.mp4")
    make_clip(sets / "videos" / "b-ball.mp4", audio_rate=None, level=90)
    (sets / "manifest.csv").write_text(
        "model,prompt_id,file\n"
        "alpha,ball,videos/a-ball.mp4\n"
        f"alpha,song,{(sets / 'videos' / 'a-song.mp4').as_uri()}\n"
        "alpha,cube,https://example.invalid/cube.mp4\n"
        "alpha,extra,videos/none.mp4\n"
        "beta,ball,videos/b-ball.mp4\n"
    )
    config = arena_toml(
        tmp_path,
        """
[[models]]
id = "alpha-1"
tracks = ["text-to-video", "text-to-video-audio"]
provider = "manifest"
options = { path = "evalset/manifest.csv", model = "alpha" }

[[models]]
id = "beta"
tracks = ["text-to-video"]
provider = "manifest"
options = { path = "evalset/manifest.csv" }
""",
    )
    report, engine, _ = run_sync(tmp_path, config)
    assert report.added == 3, report
    why = reasons(report)
    assert "https URL; set options.download = true to fetch it" in why["cube"]
    assert why["extra"] == "no prompt 'extra' in the config"
    engine.dispose()


def test_manifest_jsonl_downloads_only_when_asked_within_a_timeout(
    tmp_path: Path, web: _Server
) -> None:
    (tmp_path / "m.jsonl").write_text(
        f'{{"system": "s", "prompt": "song", "url": "{web.url}/song.mp4"}}\n'
        f'{{"system": "s", "prompt": "ball", "url": "{web.url}/slow/ball.mp4"}}\n'
        f'{{"system": "s", "prompt": "cube", "url": "{web.url}/missing.mp4"}}\n'
    )
    config = arena_toml(
        tmp_path,
        """
[[models]]
id = "s"
tracks = ["text-to-video", "text-to-video-audio"]
provider = "manifest"
[models.options]
path = "m.jsonl"
download = true
timeout = 0.5
columns = { model = "system", prompt = "prompt", file = "url" }
""",
    )
    report, engine, settings = run_sync(tmp_path, config)
    assert report.added == 1
    why = reasons(report)
    assert "download timed out after 0.5 s" in why["ball"]
    assert "HTTP 404" in why["cube"]
    downloads = list((settings.sources_dir / "manifest" / "s" / "downloads").glob("*.mp4"))
    assert len(downloads) == 1
    engine.dispose()


# --- command ------------------------------------------------------------------------------

GENERATOR = """
import json, os, shutil, sys, time
from pathlib import Path
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
seen = [sys.argv[1:], os.environ["ARENA_PROMPT_ID"], os.environ["ARENA_TRACK"]]
Path(args["--log"]).open("a").write(json.dumps(seen) + "\\n")
mode = os.environ["GENERATOR_MODE"]
if args["--id"] == "cube" and mode == "fail":
    print("loading weights", file=sys.stderr)
    print("CUDA out of memory", file=sys.stderr)
    sys.exit(3)
if args["--id"] == "cube" and mode == "hang":
    time.sleep(30)
if args["--id"] == "cube" and mode == "lazy":
    sys.exit(0)
shutil.copy(f"template-{args['--audio']}.mp4", args["--out"])
"""


def command_config(tmp_path: Path, mode: str, timeout: float = 60) -> Path:
    script = tmp_path / "gen.py"
    script.write_text(GENERATOR)
    make_clip(tmp_path / "template-0.mp4", audio_rate=None)
    make_clip(tmp_path / "template-1.mp4")
    return arena_toml(
        tmp_path,
        f"""
[[models]]
id = "self-hosted"
tracks = ["text-to-video", "text-to-video-audio"]
provider = "command"
[models.options]
command = ["{sys.executable}", "gen.py", "--prompt", "{{prompt}}", "--id", "{{prompt_id}}",
           "--out", "{{output}}", "--audio", "{{audio}}", "--log", "log.jsonl"]
timeout = {timeout}
env = {{ GENERATOR_MODE = "{mode}" }}
""",
    )


def test_command_runs_once_per_prompt_passing_text_verbatim(tmp_path: Path) -> None:
    config = command_config(tmp_path, "ok")
    report, engine, _ = run_sync(tmp_path, config)
    assert report.added == 3 and not report.rejected
    calls = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(calls) == 3
    by_id = {argv[3]: (argv, env_id, track) for argv, env_id, track in calls}
    assert by_id["cube"][0][1] == (
        "A blue cube; rm -rf / $(touch pwned) `touch pwned2` 'quoted' \"dq\""
    )
    assert by_id["song"][1:] == ("song", "text-to-video-audio") and by_id["song"][0][7] == "1"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    again, _, _ = run_sync(tmp_path, config)
    assert again.unchanged == 3
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 3  # nothing re-run
    engine.dispose()


@pytest.mark.parametrize(
    "mode, timeout, needle",
    [
        ("fail", 60, "exit code 3; stderr: loading weights | CUDA out of memory"),
        ("hang", 3, "timed out after 3 s (killed)"),
        ("lazy", 60, "exited 0 but wrote nothing to {output}"),
    ],
)
def test_command_failures_are_reported_per_prompt(
    tmp_path: Path, mode: str, timeout: float, needle: str
) -> None:
    started = time.monotonic()
    report, engine, _ = run_sync(tmp_path, command_config(tmp_path, mode, timeout))
    assert report.added == 2
    assert needle in reasons(report)["cube"], report.rejected
    if mode == "hang":
        assert time.monotonic() - started < 25  # killed, not waited for
    engine.dispose()


def test_builtin_providers_pass_the_conformance_check(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    make_clip(folder / "ball.mp4", audio_rate=None)
    shutil.copy(folder / "ball.mp4", folder / "cube.mp4")
    config = load_config(
        arena_toml(
            tmp_path,
            """
[[models]]
id = "d"
tracks = ["text-to-video"]
provider = "directory"
options = { path = "clips" }
""",
        )
    )
    registry = build_registry(config)
    model = config.models[0]
    problems = check_provider(
        registry.providers["directory"], model, config.prompts_for(model), workdir=tmp_path / "w"
    )
    assert problems == []

    class Flaky:
        name = "flaky"
        calls = 0

        def check(self, model: object, *, config_file: Path) -> None:
            return None

        def clips(self, model: object, prompts: list, *, workdir: Path) -> Iterator:
            from arena.registry.base import ClipSource

            Flaky.calls += 1
            yield ClipSource("ball", path=folder / "ball.mp4", digest=str(Flaky.calls))
            yield ClipSource("nope", error="x")

    found = check_provider(Flaky(), model, config.prompts_for(model), workdir=tmp_path / "w")
    assert any("digest changed" in p for p in found)
    assert any("'nope', which it was not given" in p for p in found)
