# Long because one provider's job lifecycle (submit, poll, fetch, resume) reads best whole.
"""The ``http-job`` provider: models behind a hosted API that takes a job and answers later.

The shape it covers: submit a job with the prompt (and the image, on image-to-video tracks),
poll its status until it is done or failed, read the result's URL (from the status, or from
one more call) and download the clip. Everything is configured in ``arena.toml``; the options
are listed in the README ("Models from hosted services") and worked examples for real
services are in ``docs/hosted-providers.md``.

Secrets come from environment variables named in header values (``"Bearer ${env:MY_KEY}"``),
are read at sync time only, and are masked in every message (see
:mod:`arena.registry.http_client`). Jobs are resumable: each submitted job is written to the
model's work folder before it is polled, so a sync that times out or is interrupted leaves it
there and the next sync polls it instead of submitting (and paying for) it again. Results are
cached by a digest of the inputs, so a third sync asks the service nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import time
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from arena.core.vocabulary import track_has_audio
from arena.media.probe import ProbeError, probe
from arena.registry.base import ClipSource, ConfigError, ModelSpec, PromptSpec
from arena.registry.files import content_digest
from arena.registry.http_client import (
    ENV_REF,
    CallError,
    Client,
    OutOfTime,
    Secrets,
    download,
    expand_env,
    json_path,
    log,
)
from arena.registry.http_job_options import Settings, fill, read_settings
from arena.registry.job_state import JobState, usage


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


class _Failed(Exception):
    """One prompt failed; ``keep`` says whether its job stays for the next sync."""

    def __init__(self, message: str, *, keep: bool) -> None:
        super().__init__(message)
        self.keep = keep


@dataclass
class _Run:
    """One model's sync: its settings, client, state and the secrets to mask."""

    model: ModelSpec
    settings: Settings
    client: Client
    state: JobState
    secrets: Secrets
    headers: Mapping[str, str]
    folder: Path


class HttpJobProvider:
    """Clips from a hosted generation API with asynchronous jobs (submit, poll, download)."""

    name: ClassVar[str] = "http-job"

    def check(self, model: ModelSpec, *, config_file: Path) -> None:
        # Only the form: the secrets themselves are read at sync time, so a server (which
        # never generates) does not need the keys in its environment.
        read_settings(model)

    def usage(self, model: ModelSpec, *, workdir: Path) -> dict[str, Any]:
        """Jobs submitted, succeeded, failed and running; seconds and cost (``models list``)."""
        return usage(workdir / model.id)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        settings = read_settings(model)
        headers, secrets = _expand_headers(model, settings)
        folder = workdir / model.id
        folder.mkdir(parents=True, exist_ok=True)
        run = _Run(
            model=model,
            settings=settings,
            client=Client(
                headers=headers,
                secrets=secrets,
                secret_headers=frozenset(
                    n.lower() for n, v in settings.headers.items() if ENV_REF.search(v)
                ),
                retries=settings.retries,
                backoff=settings.backoff,
                max_backoff=settings.max_backoff,
                request_timeout=settings.request_timeout,
            ),
            state=JobState(folder),
            secrets=secrets,
            headers=headers,
            folder=folder,
        )
        todo: list[tuple[PromptSpec, str, Path]] = []
        for prompt in prompts:
            key = _digest(model, settings, prompt)
            output = folder / f"{prompt.id}-{key[:16]}{settings.extension}"
            if output.is_file() and output.stat().st_size > 0:
                yield ClipSource(prompt.id, path=output, digest=key)
            else:
                todo.append((prompt, key, output))
        pool = ThreadPoolExecutor(settings.concurrency)
        try:
            futures = [pool.submit(_one, run, *item) for item in todo]
            for future in as_completed(futures):
                yield future.result()
        finally:
            # Interrupted (the sync stopped reading, or Ctrl-C): the threads stop polling at
            # once instead of running out their timeouts; their jobs stay for the next sync.
            run.client.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)


def _expand_headers(model: ModelSpec, settings: Settings) -> tuple[dict[str, str], Secrets]:
    headers: dict[str, str] = {}
    secret_values: list[str] = []
    for name, template in settings.headers.items():
        try:
            value, used = expand_env(template, os.environ)
        except KeyError as exc:
            raise ConfigError(
                f"{model.where(f'headers.{name}')}: environment variable {exc.args[0]} is not "
                "set (it holds a secret, read at sync time)"
            ) from None
        headers[name] = value
        secret_values.extend(used)
    return headers, Secrets(secret_values)


def _digest(model: ModelSpec, settings: Settings, prompt: PromptSpec) -> str:
    """Everything that shapes the clip (not the headers: a new key makes no new clip)."""
    image = content_digest(prompt.image) if prompt.image and settings.uses_image else ""
    return hashlib.sha256(
        json.dumps(
            [
                settings.submit_url,
                settings.method,
                settings.body,
                model.id,
                prompt.id,
                prompt.track,
                prompt.text,
                image,
            ],
            sort_keys=True,
        ).encode()
    ).hexdigest()


def _one(run: _Run, prompt: PromptSpec, key: str, output: Path) -> ClipSource:
    """Submit (or resume), poll, download one prompt's clip; every failure becomes an error."""
    deadline = time.monotonic() + run.settings.timeout
    job = run.state.running(key)
    try:
        if job is None:
            job = _submit(run, prompt, key, deadline)
        else:
            log.info("%s / %s: resuming job %s", run.model.id, prompt.id, job["id"])
        try:
            url = _wait(run, job, deadline)
            _fetch(run, url, output, deadline)
        except _Failed as exc:
            if not exc.keep:
                run.state.finished(key, ok=False, seconds=time.time() - job["submitted_at"])
            raise
    except _Failed as exc:
        message = run.secrets.redact(str(exc))
        log.info("%s / %s: %s", run.model.id, prompt.id, message)
        return ClipSource(prompt.id, error=f"http-job: {message}")
    run.state.finished(
        key,
        ok=True,
        seconds=time.time() - job["submitted_at"],
        cost=run.settings.cost_per_clip,
        currency=run.settings.currency,
    )
    return ClipSource(prompt.id, path=output, digest=key)


def _submit(run: _Run, prompt: PromptSpec, key: str, deadline: float) -> dict[str, Any]:
    s = run.settings
    values: dict[str, Any] = {
        "prompt": prompt.text,
        "prompt_id": prompt.id,
        "track": prompt.track,
        "model": run.model.id,
        "seed": zlib.crc32(f"{run.model.id}\x1f{prompt.id}".encode()),
        "audio": track_has_audio(prompt.track),
        "image": _data_uri(prompt.image) if prompt.image and s.uses_image else "",
    }
    try:
        answer = run.client.call(
            s.method, s.submit_url, body=fill(s.body, values), deadline=deadline, what="submit"
        )
    except CallError as exc:
        raise _Failed(f"{exc}{_service_error(run, exc.payload)}", keep=False) from None
    job_id = json_path(answer, s.paths["job_id"])
    if not isinstance(job_id, str | int) or isinstance(job_id, bool) or job_id == "":
        run.state.untracked()
        raise _Failed(
            f"submit: malformed answer, no job id at paths.job_id {s.paths['job_id']!r}: "
            f"{_short(answer)}",
            keep=False,
        )
    job: dict[str, Any] = {"id": str(job_id), "prompt_id": prompt.id, "submitted_at": time.time()}
    job["status_url"] = _job_url(run, "status_url", answer, job["id"])
    job["response_url"] = _job_url(run, "response_url", answer, job["id"])
    if not job["status_url"]:
        run.state.untracked()
        raise _Failed(
            f"submit: malformed answer, no URL at paths.status_url "
            f"{s.paths['status_url']!r}: {_short(answer)}",
            keep=False,
        )
    run.state.submitted(key, job)
    log.info("%s / %s: submitted job %s", run.model.id, prompt.id, job["id"])
    return job


def _job_url(run: _Run, which: str, answer: Any, job_id: str) -> str:
    template = getattr(run.settings, which)
    if template:
        return str(template.replace("{job_id}", urllib.parse.quote(job_id, safe="")))
    path = run.settings.paths.get(which)
    value = json_path(answer, path) if path else None
    if isinstance(value, str) and urllib.parse.urlsplit(value).scheme in ("http", "https"):
        return value
    return ""


def _wait(run: _Run, job: dict[str, Any], deadline: float) -> str:
    """Poll until the job is done; the result's URL. Raises :class:`_Failed`."""
    s = run.settings
    what = f"status of job {job['id']}"
    kept = "; the job is kept and the next sync polls it again"
    while True:
        try:
            answer = run.client.call("GET", job["status_url"], deadline=deadline, what=what)
        except OutOfTime:
            raise _Failed(
                f"job {job['id']} still running after {s.timeout:g} s{kept}", keep=True
            ) from None
        except CallError as exc:
            # 404 or 410: the service forgot the job; 401 or 403: a key problem, keep it.
            gone = 400 <= exc.status < 500 and exc.status not in (401, 403)
            raise _Failed(f"{exc}" + ("" if gone else kept), keep=not gone) from None
        status = json_path(answer, s.paths["status"])
        if not isinstance(status, str | int) or isinstance(status, bool):
            raise _Failed(
                f"{what}: malformed answer, no status at paths.status {s.paths['status']!r}: "
                f"{_short(answer)}{kept}",
                keep=True,
            )
        status = str(status)
        if status in s.failed:
            raise _Failed(
                f"the service reports job {job['id']} {status}{_service_error(run, answer)}",
                keep=False,
            )
        if status in s.done:
            # Some queues end a failed job with the done status and an error beside it.
            reason = _service_error(run, answer)
            if reason:
                raise _Failed(
                    f"the service reports job {job['id']} {status} with an error{reason}",
                    keep=False,
                )
            break
        if time.monotonic() + s.poll_interval >= deadline:
            raise _Failed(
                f"job {job['id']} still running after {s.timeout:g} s (status {status!r}){kept}",
                keep=True,
            )
        if run.client.stop.wait(s.poll_interval):
            raise _Failed(f"job {job['id']}: the sync was interrupted{kept}", keep=True)
    if job.get("response_url"):
        try:
            answer = run.client.call(
                "GET", job["response_url"], deadline=deadline, what=f"result of job {job['id']}"
            )
        except OutOfTime as exc:
            raise _Failed(f"{exc}{kept}", keep=True) from None
        except CallError as exc:
            # A job that ended badly answers its result with an error (fal's queue does).
            final = 400 <= exc.status < 500
            raise _Failed(
                f"{exc}{_service_error(run, exc.payload)}" + ("" if final else kept),
                keep=not final,
            ) from None
    url = json_path(answer, s.paths["result"])
    if isinstance(url, list) and url:
        url = url[0]
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise _Failed(
            f"job {job['id']} is done but its answer has no http(s) URL at paths.result "
            f"{s.paths['result']!r}: {_short(answer)}{kept}",
            keep=True,
        )
    return url


def _fetch(run: _Run, url: str, output: Path, deadline: float) -> None:
    s = run.settings
    partial = output.with_name(f".{output.stem}.download{output.suffix}")
    try:
        download(
            url,
            partial,
            headers=run.headers if s.download_headers else {},
            secrets=run.secrets,
            deadline=deadline,
            max_bytes=s.max_bytes,
            request_timeout=s.request_timeout,
        )
    except OutOfTime as exc:
        raise _Failed(f"{exc}; the job is kept and the next sync downloads it", keep=True) from None
    except CallError as exc:
        raise _Failed(str(exc), keep=False) from None
    try:
        probe(partial)
    except ProbeError as exc:
        partial.unlink(missing_ok=True)
        reason = str(exc).replace(str(partial), "the result")
        raise _Failed(
            f"the result of {url.split('?')[0]} is not a usable video ({reason})", keep=False
        ) from None
    os.replace(partial, output)


def _service_error(run: _Run, answer: Any) -> str:
    path = run.settings.paths.get("error")
    if not path or answer is None:
        return ""
    reason = _text(json_path(answer, path))
    return f": {reason[:300]}" if reason else ""


def _short(answer: Any) -> str:
    text = json.dumps(answer)
    return text[:200] + ("..." if len(text) > 200 else "")
