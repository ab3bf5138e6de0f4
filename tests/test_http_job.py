"""The ``http-job`` provider end to end: a real job service on 127.0.0.1, the real sync and
the real database, through the ``arena`` command; every failure mode of a hosted service."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from arena.cli import main
from arena.media.probe import probe
from arena.registry.base import ConfigError, ModelSpec
from arena.registry.config import load_config
from arena.registry.http_client import Client, Secrets, json_path
from arena.registry.http_job import HttpJobProvider
from arena.registry.plugins import build_registry
from arena.registry.procedural import render_source_image
from arena.registry.testing import check_provider
from arena.store.engine import make_engine
from tests.clips import make_clip
from tests.hosted_service import FakeJobService

QUEUE_KEY = "fk-queue-0123456789abcdef"
PRED_KEY = "r8_predictions_fedcba9876543210"

PROMPTS = """
[normalize]
width = 160
height = 96
fps = 12
min_seconds = 0.5
preset = "veryfast"

[[prompts]]
id = "ok"
track = "text-to-video"
text = "ok a red ball"

[[prompts]]
id = "ratelimit"
track = "text-to-video"
text = "ratelimit a blue cube"

[[prompts]]
id = "flaky"
track = "text-to-video"
text = "flaky a kite"

[[prompts]]
id = "fails"
track = "text-to-video"
text = "fails a dog"

[[prompts]]
id = "hangs"
track = "text-to-video"
text = "hangs a cat"

[[prompts]]
id = "gone"
track = "text-to-video"
text = "gone a fish"

[[prompts]]
id = "garbage"
track = "text-to-video"
text = "garbage a bird"

[[prompts]]
id = "animate"
track = "image-to-video"
text = "ok animate this fish"
image = "fish.png"
"""

QUEUE_MODEL = """
[[models]]
id = "queue-model"
name = "Queue Model"
tracks = ["text-to-video", "image-to-video"]
provider = "http-job"
[models.options]
submit_url = "{base}/queue/acme/video-1"
headers = {{ Authorization = "Key ${{env:ARENA_TEST_QUEUE_KEY}}" }}
body = {{ prompt = "{{prompt}}", seed = "{{seed}}", image_url = "{{image}}" }}
done = ["COMPLETED"]
failed = ["FAILED"]
poll_interval = 0.05
timeout = {timeout}
retries = 3
backoff = 0.05
concurrency = 8
cost_per_clip = 0.25
[models.options.paths]
job_id = "request_id"
status_url = "status_url"
response_url = "response_url"
status = "status"
result = "video.url"
error = "error"
"""

PREDICTIONS_MODEL = """
[[models]]
id = "predictions-model"
tracks = ["text-to-video"]
provider = "http-job"
[models.options]
submit_url = "{base}/v1/predictions"
headers = {{ Authorization = "Bearer ${{env:ARENA_TEST_PRED_KEY}}" }}
body = {{ input = {{ prompt = "{{prompt}}" }} }}
done = ["succeeded"]
failed = ["failed", "canceled"]
poll_interval = 0.05
timeout = {timeout}
retries = 3
backoff = 0.05
concurrency = 8
[models.options.paths]
job_id = "id"
status_url = "urls.get"
status = "status"
result = "output"
error = "error"
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[FakeJobService]:
    video = make_clip(tmp_path / "result.mp4", seconds=1.0, audio_rate=None)
    with FakeJobService(video, queue_key=QUEUE_KEY, predictions_key=PRED_KEY) as svc:
        yield svc


def write_config(tmp_path: Path, base: str, *, timeout: float = 3) -> Path:
    render_source_image(
        {"subject": "fish", "colour": "blue", "background": "sea", "motion": "orbit"},
        tmp_path / "fish.png",
    )
    config = tmp_path / "arena.toml"
    config.write_text(
        PROMPTS
        + QUEUE_MODEL.format(base=base, timeout=timeout)
        + PREDICTIONS_MODEL.format(base=base, timeout=timeout)
    )
    return config


def arena(*argv: str) -> int:
    return main(list(argv))


def dump(engine: Engine) -> str:
    """Every row of every table, as text."""
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            out.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(out)


def test_hosted_jobs_sync_with_every_failure_and_resume(
    tmp_path: Path,
    service: FakeJobService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ARENA_TEST_QUEUE_KEY", QUEUE_KEY)
    monkeypatch.setenv("ARENA_TEST_PRED_KEY", PRED_KEY)
    if db_url:
        monkeypatch.setenv("ARENA_DATABASE_URL", db_url)
    config = write_config(tmp_path, service.base)
    data = tmp_path / "data"
    common = ["--config", str(config), "--data-dir", str(data)]

    assert arena("models", "sync", *common, "--workers", "1") == 0
    first = capsys.readouterr()
    out = first.out
    assert "7 added" in out and "8 rejected" in out, out
    for model in ("queue-model", "predictions-model"):
        line = {p: r for p, r in _rejections(out, model).items()}
        assert "reports job" in line["fails"] and "content policy violation" in line["fails"]
        assert "still running after 3 s" in line["hangs"] and "next sync" in line["hangs"]
        assert "HTTP 404" in line["gone"] and "/files/missing.mp4" in line["gone"]
        assert "token=signed" not in line["gone"]  # signed query strings stay out of reports
        assert "not JSON" in line["garbage"]
    # 429 with Retry-After: 1 was honoured (backoff alone would have waited 0.05 s).
    for dialect in ("queue", "predictions"):
        times = service.submit_times[(dialect, "ratelimit a blue cube")]
        assert len(times) == 2 and times[1] - times[0] >= 0.95
    # The image-to-video prompt went out with its image, as a data URI.
    images = [b.get("image_url", "") for b in service.bodies if "animate" in str(b)]
    assert images and images[0].startswith("data:image/png;base64,")

    engine = make_engine(db_url or f"sqlite:///{data / 'arena.db'}")
    clips = {(m, p) for m, p in _stored(engine)}
    assert clips == {
        ("queue-model", "ok"),
        ("queue-model", "ratelimit"),
        ("queue-model", "flaky"),
        ("queue-model", "animate"),
        ("predictions-model", "ok"),
        ("predictions-model", "ratelimit"),
        ("predictions-model", "flaky"),
    }

    assert arena("models", "list", *common, "--json") == 0
    usage = {r["model"]: r["usage"] for r in json.loads(capsys.readouterr().out)}
    assert usage["queue-model"] == {
        "submitted": 8,
        "succeeded": 4,
        "failed": 2,
        "running": 2,
        "seconds": pytest.approx(usage["queue-model"]["seconds"]),
        "cost": 1.0,
        "currency": "USD",
    }
    assert usage["queue-model"]["seconds"] > 0
    assert usage["predictions-model"]["submitted"] == 7
    assert usage["predictions-model"]["running"] == 2
    assert usage["predictions-model"]["cost"] == 0
    assert arena("models", "list", *common) == 0
    listing = capsys.readouterr().out
    assert "jobs: 8 submitted, 4 succeeded, 2 failed, 2 running" in listing
    assert "cost 1.00 USD" in listing

    # Second sync: the running job finishes; it is polled, not submitted again.
    service.release("hangs")
    assert arena("models", "sync", *common, "--workers", "1") == 0
    second = capsys.readouterr()
    assert "2 added" in second.out, second.out
    for dialect in ("queue", "predictions"):
        assert service.submits[(dialect, "hangs a cat")] == 1
        assert service.submits[(dialect, "ok a red ball")] == 1  # cached: nothing asked
        assert service.submits[(dialect, "garbage a bird")] == 1  # kept, polled again
        assert service.submits[(dialect, "fails a dog")] == 2  # failed: submitted again
    assert ("queue-model", "hangs") in set(_stored(engine))

    # The keys never appear anywhere: output, logs, files, database.
    for secret in (QUEUE_KEY, PRED_KEY):
        for text in (first.out, first.err, second.out, second.err, listing, caplog.text):
            assert secret not in text
        assert secret not in dump(engine)
        for path in data.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    # ... though the service did echo them, so masking is what kept them out.
    assert "[secret]" in first.out
    # Results are never downloaded with the API key.
    assert set(service.download_auth) == {None}
    engine.dispose()


def _rejections(out: str, model: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        prefix = f"  rejected {model} / "
        if line.startswith(prefix):
            prompt, reason = line[len(prefix) :].split(": ", 1)
            found[prompt] = reason
    return found


def _stored(engine: Engine) -> list[tuple[str, str]]:
    meta = MetaData()
    meta.reflect(engine)
    clip, model = meta.tables["clip"], meta.tables["model"]
    query = select(model.c.slug, clip.c.prompt_id).select_from(
        clip.join(model, clip.c.model_id == model.c.id)
    )
    with engine.connect() as conn:
        return [(m, p) for m, p in conn.execute(query)]


def test_conformance_and_a_missing_key(
    tmp_path: Path, service: FakeJobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, service.base))
    registry = build_registry(config)  # the keys are not needed to check (or serve)
    model = next(m for m in config.models if m.id == "predictions-model")
    prompts = [p for p in config.prompts if p.id in ("ok", "flaky")]
    provider = registry.providers["http-job"]
    with pytest.raises(
        ConfigError,
        match=r"headers.Authorization: environment variable "
        r"ARENA_TEST_PRED_KEY is not set",
    ):
        list(provider.clips(model, prompts, workdir=tmp_path / "work"))
    monkeypatch.setenv("ARENA_TEST_PRED_KEY", PRED_KEY)
    assert check_provider(provider, model, prompts, workdir=tmp_path / "work") == []
    assert service.submits[("predictions", "ok a red ball")] == 1
    clip = next((tmp_path / "work" / model.id).glob("ok-*.mp4"))
    assert probe(clip).width == 200


def _spec(**options: object) -> ModelSpec:
    base = {
        "submit_url": "https://api.example.org/v1/jobs",
        "status_url": "https://api.example.org/v1/jobs/{job_id}",
        "paths": {"job_id": "id", "status": "status", "result": "output[0]"},
        "done": ["done"],
    }
    base.update(options)
    return ModelSpec(id="m", name="m", provider="http-job", tracks=("text-to-video",), options=base)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status_url": None}, "give either status_url"),
        ({"status_url": "https://x.org/jobs"}, "status_url must contain {job_id}"),
        ({"submit_url": "ftp://x.org"}, "submit_url must be an http(s) URL"),
        ({"submit_url": "https://x.org/?key=${env:K}"}, "secrets go in headers only"),
        ({"body": {"text": "{prompt} {colour}"}}, "unknown placeholder {colour}"),
        ({"body": {"seed": "{seed}"}}, "must contain {prompt}"),
        ({"paths": {"job_id": "id", "status": "status"}}, "paths.result is required"),
        ({"paths": {"job_id": "a..b", "status": "s", "result": "r"}}, "JSON path"),
        ({"headers": {"Authorization": "Bearer ${MY_KEY}"}}, "write ${env:VARIABLE_NAME}"),
        ({"done": ["ok"], "failed": ["ok"]}, "'ok' is also in done"),
        ({"cost_per_clip": -1}, "cost_per_clip must be at least 0"),
        ({"colour": "red"}, "unknown option"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, object], message: str) -> None:
    clean = {k: v for k, v in options.items() if v is not None}
    spec = _spec(**clean)
    if options.get("status_url", "") is None:
        spec = ModelSpec(
            id="m",
            name="m",
            provider="http-job",
            tracks=("text-to-video",),
            options={k: v for k, v in spec.options.items() if k != "status_url"},
        )
    with pytest.raises(ConfigError, match="models\\[0\\] \\(m\\)") as info:
        HttpJobProvider().check(spec, config_file=Path("arena.toml"))
    assert message in str(info.value)


def test_an_image_track_needs_the_image_in_the_body() -> None:
    spec = ModelSpec(
        id="m",
        name="m",
        provider="http-job",
        tracks=("image-to-video",),
        options=dict(_spec().options),
    )
    with pytest.raises(ConfigError, match="must contain \\{image\\}"):
        HttpJobProvider().check(spec, config_file=Path("arena.toml"))


def test_body_template_types(tmp_path: Path) -> None:
    from arena.registry.http_job_options import fill as _fill

    body = {
        "input": {"prompt": "{prompt}", "seed": "{seed}", "audio": "{audio}"},
        "n": 1,
        "note": "{{literal}} for {model}",
        "tags": ["{track}"],
    }
    values = {
        "prompt": 'a "quoted" ball',
        "seed": 42,
        "audio": True,
        "model": "m",
        "track": "text-to-video",
    }
    assert _fill(body, values) == {
        "input": {"prompt": 'a "quoted" ball', "seed": 42, "audio": True},
        "n": 1,
        "note": "{literal} for m",
        "tags": ["text-to-video"],
    }


def test_a_redirect_to_another_host_does_not_carry_the_key() -> None:
    seen: list[tuple[str, str | None]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append((self.headers["Host"].split(":")[0], self.headers.get("Authorization")))
            port = self.server.server_address[1]
            if self.path == "/same":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{port}/other")
            elif self.path == "/other":
                self.send_response(302)
                self.send_header("Location", f"http://localhost:{port}/end")
            else:
                self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = Client(
            headers={"Authorization": f"Bearer {PRED_KEY}"},
            secrets=Secrets([PRED_KEY]),
            secret_headers=frozenset({"authorization"}),
        )
        url = f"http://127.0.0.1:{server.server_address[1]}/same"
        assert client.call("GET", url, deadline=time.monotonic() + 5, what="t") == {}
    finally:
        server.shutdown()
        server.server_close()
    # Same host: the key goes along; another host (localhost): it does not.
    assert seen == [
        ("127.0.0.1", f"Bearer {PRED_KEY}"),
        ("127.0.0.1", f"Bearer {PRED_KEY}"),
        ("localhost", None),
    ]


def test_json_paths() -> None:
    doc = {"a": {"b": [{"c": "x"}, {"c": "y"}]}, "urls": {"get": "u"}}
    assert json_path(doc, "a.b[1].c") == "y"
    assert json_path(doc, "$.urls.get") == "u"
    assert json_path(doc, "a.b[-1].c") == "y"
    assert json_path(doc, "a.b[5].c") is None
    assert json_path(doc, "a.missing") is None
    assert json_path("not an object", "a") is None


def test_an_interrupted_sync_stops_at_once_and_keeps_its_jobs(
    tmp_path: Path, service: FakeJobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_TEST_PRED_KEY", PRED_KEY)
    config = load_config(write_config(tmp_path, service.base, timeout=60))
    model = next(m for m in config.models if m.id == "predictions-model")
    prompts = [p for p in config.prompts if p.id in ("ok", "hangs")]
    work = tmp_path / "work"
    clips = HttpJobProvider().clips(model, prompts, workdir=work)
    first = next(clips)
    assert first.prompt_id == "ok" and first.path is not None
    started = time.monotonic()
    clips.close()  # what a Ctrl-C in the sync does to the generator
    assert time.monotonic() - started < 2  # not the 60 s timeout
    jobs = json.loads((work / model.id / "jobs.json").read_text())
    assert [job["prompt_id"] for job in jobs.values()] == ["hangs"]

    service.release("hangs")
    again = {s.prompt_id: s for s in HttpJobProvider().clips(model, prompts, workdir=work)}
    assert again["hangs"].path is not None and again["ok"].path == first.path
    assert service.submits[("predictions", "hangs a cat")] == 1
    assert json.loads((work / model.id / "jobs.json").read_text()) == {}


def test_answers_that_do_not_match_the_paths(
    tmp_path: Path, service: FakeJobService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_TEST_PRED_KEY", PRED_KEY)
    config = load_config(write_config(tmp_path, service.base))
    model = next(m for m in config.models if m.id == "predictions-model")
    prompts = [p for p in config.prompts if p.id == "ok"]
    work = tmp_path / "work"

    def with_paths(**paths: str) -> ModelSpec:
        options = dict(model.options)
        options["paths"] = {**model.options["paths"], **paths}
        return ModelSpec(**{**model.__dict__, "options": options})

    [no_id] = HttpJobProvider().clips(with_paths(job_id="uuid"), prompts, workdir=work)
    assert no_id.error is not None
    assert "submit: malformed answer, no job id at paths.job_id 'uuid'" in no_id.error

    [no_status] = HttpJobProvider().clips(with_paths(status="state"), prompts, workdir=work)
    assert no_status.error is not None
    assert "no status at paths.status 'state'" in no_status.error
    assert "the job is kept" in no_status.error
    # Fixed: the kept job is polled, not submitted a third time.
    [fixed] = HttpJobProvider().clips(model, prompts, workdir=work)
    assert fixed.path is not None
    assert service.submits[("predictions", "ok a red ball")] == 2
    assert HttpJobProvider().usage(model, workdir=work) == {
        "submitted": 2,
        "succeeded": 1,
        "failed": 1,  # the job whose id could not be read
        "running": 0,
        "seconds": pytest.approx(HttpJobProvider().usage(model, workdir=work)["seconds"]),
        "cost": 0,
        "currency": "",
    }


def test_a_redirect_from_https_to_plain_http_on_the_same_host_drops_the_key() -> None:
    import io
    import urllib.request

    from arena.registry.http_client import _Redirects

    handler = _Redirects(frozenset({"authorization"}))
    for start, to, kept in (
        ("https://api.example/jobs/1", "https://api.example/jobs/1/result", True),
        ("https://api.example/jobs/1", "http://api.example/jobs/1/result", False),
        ("https://api.example/jobs/1", "https://cdn.example/out.mp4", False),
    ):
        request = urllib.request.Request(start, headers={"Authorization": "Bearer k"})
        new = handler.redirect_request(request, io.BytesIO(), 302, "Found", {}, to)
        assert new is not None
        assert ("Authorization" in new.headers) is kept, (start, to)
