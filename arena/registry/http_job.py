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
import re
import time
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

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
    valid_path,
)
from arena.registry.job_state import JobState, usage
from arena.registry.options import Options
from arena.settings import track_has_audio, track_has_image

_KNOWN = {
    "submit_url",
    "method",
    "headers",
    "body",
    "status_url",
    "response_url",
    "paths",
    "done",
    "failed",
    "poll_interval",
    "timeout",
    "concurrency",
    "retries",
    "backoff",
    "max_backoff",
    "request_timeout",
    "max_mb",
    "download_headers",
    "cost_per_clip",
    "currency",
    "extension",
}
_PATHS = {"job_id", "status", "result", "error", "status_url", "response_url"}
BODY_PLACEHOLDERS = ("prompt", "prompt_id", "track", "model", "seed", "audio", "image")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class _Settings:
    submit_url: str
    method: str
    headers: Mapping[str, str]
    """Header templates, ``${env:NAME}`` not yet expanded."""
    body: Any
    status_url: str
    response_url: str
    paths: Mapping[str, str]
    done: frozenset[str]
    failed: frozenset[str]
    poll_interval: float
    timeout: float
    concurrency: int
    retries: int
    backoff: float
    max_backoff: float
    request_timeout: float
    max_bytes: int
    download_headers: bool
    cost_per_clip: float
    currency: str
    extension: str
    uses_image: bool


def _placeholders(value: Any) -> Iterator[str]:
    """Every ``{name}`` in the strings of a body template (tables and lists walked)."""
    if isinstance(value, str):
        for match in _FIELD.finditer(value):
            if match.group(1) is not None:
                yield match.group(1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders(item)


def _url(opts: Options, key: str, value: str, *, template: bool) -> str:
    scheme = urllib.parse.urlsplit(value.replace("{job_id}", "x")).scheme.lower()
    if scheme not in ("http", "https"):
        raise opts.error(key, f"must be an http(s) URL, got {value!r}")
    if ENV_REF.search(value):
        raise opts.error(key, "cannot hold ${env:...}: secrets go in headers only")
    names = {m.group(1) for m in _FIELD.finditer(value) if m.group(1) is not None}
    allowed = {"job_id"} if template else set()
    if names - allowed:
        raise opts.error(
            key,
            f"has an unknown placeholder {{{sorted(names - allowed)[0]}}}"
            + ("; known: {job_id}" if template else ""),
        )
    if template and "job_id" not in names:
        raise opts.error(key, "must contain {job_id}")
    return value


def _settings(model: ModelSpec) -> _Settings:
    opts = Options(model, known=_KNOWN)
    submit_url = _url(opts, "submit_url", opts.string("submit_url"), template=False)
    method = opts.string("method", "POST").upper()
    if method not in ("POST", "PUT"):
        raise opts.error("method", f"must be POST or PUT, got {method!r}")
    headers = opts.table("headers")
    for name, value in headers.items():
        if not isinstance(value, str):
            raise opts.error(f"headers.{name}", f"must be a string, got {value!r}")
        if "${" in ENV_REF.sub("", value):
            raise opts.error(
                f"headers.{name}", "has a malformed ${...}: write ${env:VARIABLE_NAME}"
            )
    body = opts.raw.get("body", {"prompt": "{prompt}"})
    if not isinstance(body, dict):
        raise opts.error("body", f"must be a table (the JSON body), got {body!r}")
    used = set(_placeholders(body))
    unknown = sorted(used - set(BODY_PLACEHOLDERS))
    if unknown:
        raise opts.error(
            "body",
            f"has an unknown placeholder {{{unknown[0]}}}; known: "
            + ", ".join(f"{{{p}}}" for p in BODY_PLACEHOLDERS),
        )
    if "prompt" not in used:
        raise opts.error("body", "must contain {prompt} somewhere")
    if any(track_has_image(t) for t in model.tracks) and "image" not in used:
        raise opts.error("body", "must contain {image} (the model has an image-to-video track)")
    paths = dict(opts.table("paths"))
    for key, value in paths.items():
        if key not in _PATHS:
            raise opts.error(
                f"paths.{key}", f"is not a known path; known: {', '.join(sorted(_PATHS))}"
            )
        if not isinstance(value, str) or not valid_path(value):
            raise opts.error(f"paths.{key}", f"must be a JSON path like 'a.b[0].c', got {value!r}")
    for key in ("job_id", "status", "result"):
        if key not in paths:
            raise opts.error(f"paths.{key}", "is required")
    status_url = ""
    if opts.has("status_url"):
        status_url = _url(opts, "status_url", opts.string("status_url"), template=True)
    if bool(status_url) == ("status_url" in paths):
        raise opts.error(
            "status_url",
            "give either status_url (a URL with {job_id}) or paths.status_url (where the "
            "submit answer holds it), exactly one",
        )
    response_url = ""
    if opts.has("response_url"):
        response_url = _url(opts, "response_url", opts.string("response_url"), template=True)
        if "response_url" in paths:
            raise opts.error("response_url", "give response_url or paths.response_url, not both")
    done = opts.strings("done")
    if not done:
        raise opts.error("done", "must list at least one status value")
    failed = opts.strings("failed", [])
    both = sorted(set(done) & set(failed))
    if both:
        raise opts.error("failed", f"{both[0]!r} is also in done")
    extension = opts.string("extension", ".mp4")
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", extension):
        raise opts.error("extension", f"must look like '.mp4', got {extension!r}")
    return _Settings(
        submit_url=submit_url,
        method=method,
        headers=dict(headers),
        body=body,
        status_url=status_url,
        response_url=response_url,
        paths=paths,
        done=frozenset(done),
        failed=frozenset(failed),
        poll_interval=opts.number("poll_interval", 5, minimum=0.001),
        timeout=opts.number("timeout", 900, minimum=0.001),
        concurrency=opts.integer("concurrency", 4, minimum=1),
        retries=opts.integer("retries", 5, minimum=0),
        backoff=opts.number("backoff", 1, minimum=0),
        max_backoff=opts.number("max_backoff", 60, minimum=0),
        request_timeout=opts.number("request_timeout", 30, minimum=0.001),
        max_bytes=int(opts.number("max_mb", 500, minimum=0.001) * 1_000_000),
        download_headers=opts.boolean("download_headers", False),
        cost_per_clip=opts.number("cost_per_clip", 0, minimum=0),
        currency=opts.string("currency", "USD"),
        extension=extension,
        uses_image="image" in used,
    )


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The body with placeholders filled. A string that is exactly one placeholder takes the
    value's JSON type (``"{seed}"`` becomes a number, ``"{audio}"`` true or false)."""
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if not isinstance(template, str):
        return template
    whole = _FIELD.fullmatch(template)
    if whole and whole.group(1) is not None:
        return values[whole.group(1)]

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        value = values[match.group(1)]
        return json.dumps(value) if isinstance(value, bool) else str(value)

    return _FIELD.sub(one, template)


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
    settings: _Settings
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
        _settings(model)

    def usage(self, model: ModelSpec, *, workdir: Path) -> dict[str, Any]:
        """Jobs submitted, succeeded, failed and running; seconds and cost (``models list``)."""
        return usage(workdir / model.id)

    def clips(
        self, model: ModelSpec, prompts: Sequence[PromptSpec], *, workdir: Path
    ) -> Iterator[ClipSource]:
        settings = _settings(model)
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
        with ThreadPoolExecutor(settings.concurrency) as pool:
            futures = [pool.submit(_one, run, *item) for item in todo]
            for future in as_completed(futures):
                yield future.result()


def _expand_headers(model: ModelSpec, settings: _Settings) -> tuple[dict[str, str], Secrets]:
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


def _digest(model: ModelSpec, settings: _Settings, prompt: PromptSpec) -> str:
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
            s.method, s.submit_url, body=_fill(s.body, values), deadline=deadline, what="submit"
        )
    except CallError as exc:
        raise _Failed(f"{exc}{_service_error(run, exc.payload)}", keep=False) from None
    job_id = json_path(answer, s.paths["job_id"])
    if not isinstance(job_id, str | int) or isinstance(job_id, bool) or job_id == "":
        raise _Failed(
            f"submit: malformed answer, no job id at paths.job_id {s.paths['job_id']!r}: "
            f"{_short(answer)}",
            keep=False,
        )
    job: dict[str, Any] = {"id": str(job_id), "prompt_id": prompt.id, "submitted_at": time.time()}
    job["status_url"] = _job_url(run, "status_url", answer, job["id"])
    job["response_url"] = _job_url(run, "response_url", answer, job["id"])
    if not job["status_url"]:
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
        time.sleep(s.poll_interval)
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
