"""A small real job service on 127.0.0.1 for the ``http-job`` tests, failures included.

It speaks two dialects at once, shaped like the two services ``docs/hosted-providers.md``
configures: a queue (``POST /queue/<app>`` answers ``request_id``, ``status_url`` and
``response_url``; the status is ``IN_QUEUE``, ``IN_PROGRESS``, ``COMPLETED`` or ``FAILED``;
the result JSON holds ``video.url``) and predictions (``POST /v1/predictions`` answers
``id`` and ``urls.get``; the status is ``starting``, ``processing``, ``succeeded`` or
``failed``; ``output`` is the URL). Each needs its own ``Authorization`` value.

What a job does is chosen by the first word of its prompt:

- ``ok``: done after two polls; ``ratelimit``: the first submit gets 429 with
  ``Retry-After: 1``; ``flaky``: its first two status polls get 500;
- ``fails``: the service reports it failed (with an error text echoing the key it was sent,
  as a careless service might): ``failed`` on predictions, ``COMPLETED`` with an ``error``
  on the queue; ``hangs``: never finishes until :meth:`release` is called;
- ``gone``: done, but the result URL answers 404; ``garbage``: the status answer is not JSON
  (and echoes the key).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any


class FakeJobService:
    def __init__(self, video: Path, *, queue_key: str, predictions_key: str) -> None:
        self.video = video.read_bytes()
        self.auth = {"queue": f"Key {queue_key}", "predictions": f"Bearer {predictions_key}"}
        self.lock = threading.Lock()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.submits: Counter[tuple[str, str]] = Counter()
        self.submit_times: dict[tuple[str, str], list[float]] = {}
        self.released: set[str] = set()
        self.bodies: list[dict[str, Any]] = []
        self.download_auth: list[str | None] = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                service.post(self)

            def do_GET(self) -> None:
                service.get(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeJobService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def release(self, word: str) -> None:
        with self.lock:
            self.released.add(word)

    # --- the API ---------------------------------------------------------------------------

    def post(self, h: http.server.BaseHTTPRequestHandler) -> None:
        dialect = "queue" if h.path.startswith("/queue/") else "predictions"
        if dialect == "predictions" and h.path != "/v1/predictions":
            return _send(h, 404, {"detail": "not found"})
        sent = h.headers.get("Authorization")
        if sent != self.auth[dialect]:
            return _send(h, 401, {"detail": "bad key"})
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length", 0))))
        fields = body if dialect == "queue" else body.get("input", {})
        text = str(fields.get("prompt", ""))
        word = text.split()[0] if text.split() else ""
        with self.lock:
            self.bodies.append(body)
            times = self.submit_times.setdefault((dialect, text), [])
            times.append(time.monotonic())
            if word == "ratelimit" and len(times) == 1:
                return _send(h, 429, {"detail": "slow down"}, {"Retry-After": "1"})
            self.submits[(dialect, text)] += 1
            job_id = f"job{len(self.jobs) + 1}"
            self.jobs[job_id] = {"word": word, "polls": 0, "dialect": dialect, "auth": sent}
        if dialect == "queue":
            app = h.path.removeprefix("/queue/")
            root = f"{self.base}/queue/{app}/requests/{job_id}"
            return _send(
                h,
                200,
                {"request_id": job_id, "status_url": f"{root}/status", "response_url": root},
            )
        return _send(
            h,
            201,
            {
                "id": job_id,
                "status": "starting",
                "urls": {"get": f"{self.base}/v1/predictions/{job_id}"},
                "output": None,
                "error": None,
            },
        )

    def get(self, h: http.server.BaseHTTPRequestHandler) -> None:
        parts = h.path.strip("/").split("/")
        if parts[0] == "files":
            return self.file(h, parts[-1])
        dialect = "queue" if parts[0] == "queue" else "predictions"
        if h.headers.get("Authorization") != self.auth[dialect]:
            return _send(h, 401, {"detail": "bad key"})
        if dialect == "queue":
            job_id = parts[-2] if parts[-1] == "status" else parts[-1]
        else:
            job_id = parts[-1]
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return _send(h, 404, {"detail": f"no job {job_id}"})
            if dialect == "queue" and parts[-1] != "status":
                return self.queue_result(h, job_id, job)
            job["polls"] += 1
            state = self.state(job)
        if job["word"] == "flaky" and job["polls"] <= 2:
            return _send(h, 500, {"detail": f"internal error for {job['auth']}"})
        if job["word"] == "garbage":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            page = f"<html>proxy error; you sent {job['auth']}</html>".encode()
            h.send_header("Content-Length", str(len(page)))
            h.end_headers()
            h.wfile.write(page)
            return None
        error = f"content policy violation (request signed {job['auth']})"
        if dialect == "queue":
            # A failed queue job ends COMPLETED, with the error beside the status.
            status = {"running": "IN_PROGRESS", "done": "COMPLETED", "failed": "COMPLETED"}[state]
            if job["polls"] == 1 and state == "running":
                status = "IN_QUEUE"
            answer: dict[str, Any] = {"status": status}
            if state == "failed":
                answer["error"] = error
            return _send(h, 200, answer)
        status = {"running": "processing", "done": "succeeded", "failed": "failed"}[state]
        return _send(
            h,
            200,
            {
                "id": job_id,
                "status": status,
                "output": self.file_url(job_id, job) if state == "done" else None,
                "error": error if state == "failed" else None,
            },
        )

    def state(self, job: dict[str, Any]) -> str:
        if job["word"] == "fails":
            return "failed"
        if job["word"] == "hangs" and "hangs" not in self.released:
            return "running"
        return "done" if job["polls"] >= 2 else "running"

    def queue_result(
        self, h: http.server.BaseHTTPRequestHandler, job_id: str, job: dict[str, Any]
    ) -> None:
        if self.state(job) == "failed":
            return _send(h, 422, {"detail": "content policy violation"})
        if self.state(job) != "done":
            return _send(h, 400, {"detail": "request is still in progress"})
        return _send(h, 200, {"video": {"url": self.file_url(job_id, job)}})

    def file_url(self, job_id: str, job: dict[str, Any]) -> str:
        name = "missing" if job["word"] == "gone" else job_id
        return f"{self.base}/files/{name}.mp4?token=signed"

    def file(self, h: http.server.BaseHTTPRequestHandler, name: str) -> None:
        self.download_auth.append(h.headers.get("Authorization"))
        if name.startswith("missing"):
            return _send(h, 404, {"detail": "gone"})
        h.send_response(200)
        h.send_header("Content-Type", "video/mp4")
        h.send_header("Content-Length", str(len(self.video)))
        h.end_headers()
        h.wfile.write(self.video)
        return None


def _send(
    h: http.server.BaseHTTPRequestHandler,
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> None:
    data = json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.end_headers()
    h.wfile.write(data)
