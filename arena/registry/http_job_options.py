"""The ``http-job`` provider's options: read and checked at start-up, naming the key.

See :mod:`arena.registry.http_job` for what the provider does with them, and the README
("Models from hosted services") for each option's meaning.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from arena.core.vocabulary import track_has_image
from arena.registry.base import ModelSpec
from arena.registry.http_client import ENV_REF, valid_path
from arena.registry.options import Options

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
class Settings:
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


def read_settings(model: ModelSpec) -> Settings:
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
    return Settings(
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


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The body with placeholders filled. A string that is exactly one placeholder takes the
    value's JSON type (``"{seed}"`` becomes a number, ``"{audio}"`` true or false)."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
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
