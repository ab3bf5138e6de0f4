# Long because retries, downloads and secret redaction share one client and its errors.
"""HTTP for the ``http-job`` provider: JSON calls with retries, downloads, secrets kept out.

Built on the standard library (``urllib``): a job API needs a request with headers, a
timeout, the status code and ``Retry-After``, which ``urllib`` gives, so the provider adds no
run-time dependency. Two things ``urllib`` would get wrong are handled here: it forwards every
header on a redirect to another host (so :class:`_Redirects` drops the configured secret-bearing
headers when the host changes), and its timeout bounds each socket read, not a whole download
(so :func:`download` checks a deadline between reads).

Every message this module produces (exceptions, log lines) goes through :meth:`Secrets.redact`,
so a service that echoes the ``Authorization`` header into an error body cannot make the key
appear in a report, a log or the database.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("arena.registry.http_job")

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
"""``${env:NAME}`` in a header value: the variable's value, read at sync time."""

_PATH_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(-?\d+)\]")
_BODY_LIMIT = 300


class Secrets:
    """The values of the environment variables a model's headers use; masks them in text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        # Longest first, so a value containing another is masked whole.
        self.values = sorted({v for v in values if v}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, "[secret]")
        return text


def expand_env(template: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """``template`` with each ``${env:NAME}`` replaced; (value, the secrets it used).

    Raises ``KeyError(NAME)`` for an unset variable (the caller names the option)."""
    used: list[str] = []

    def one(match: re.Match[str]) -> str:
        value = env[match.group(1)]
        used.append(value)
        return value

    return ENV_REF.sub(one, template), used


def json_path(data: Any, path: str) -> Any:
    """The value at ``path`` (``a.b[0].c``, an optional leading ``$.``); None if absent."""
    rest = path[1:] if path.startswith("$") else path
    pos = 0
    value = data
    while pos < len(rest):
        match = _PATH_TOKEN.match(rest, pos)
        if match is None:
            return None
        pos = match.end()
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        else:
            if not isinstance(value, list):
                return None
            i = int(index)
            if not -len(value) <= i < len(value):
                return None
            value = value[i]
    return value


def valid_path(path: str) -> bool:
    rest = path[1:] if path.startswith("$") else path
    pos = 0
    while pos < len(rest):
        match = _PATH_TOKEN.match(rest, pos)
        if match is None:
            return False
        pos = match.end()
    return bool(rest)


class CallError(Exception):
    """An HTTP call failed for good (after any retries); the message is already redacted.

    ``status`` is the HTTP status (0 when no answer came); ``payload`` the decoded JSON body,
    when there was one (an error answer's body carries the service's reason)."""

    def __init__(self, message: str, *, status: int = 0, payload: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload = payload


class OutOfTime(CallError):
    """The prompt's deadline came before an answer (including while waiting to retry)."""


@dataclass
class Client:
    """JSON calls to one service: headers, retries with backoff, a deadline per prompt."""

    headers: Mapping[str, str]
    secrets: Secrets
    secret_headers: frozenset[str]
    """Header names (lower case) whose value holds a secret: never sent to another host."""
    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    request_timeout: float = 30.0
    stop: threading.Event = field(default_factory=threading.Event)
    """Set when the sync is interrupted: waits end and no new call starts."""
    _opener: urllib.request.OpenerDirector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_Redirects(self.secret_headers))

    def call(self, method: str, url: str, *, body: Any = None, deadline: float, what: str) -> Any:
        """The JSON answer of ``method url``; retried on 429, 5xx and network errors.

        The wait before retry ``n`` is ``backoff * 2**n`` (capped at ``max_backoff``, with
        jitter), or the answer's ``Retry-After`` when it gives one. Raises :class:`CallError`
        (or :class:`OutOfTime`) with a redacted message naming ``what`` failed."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", **self.headers}
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OutOfTime(f"{what}: out of time")
            if self.stop.is_set():
                raise OutOfTime(f"{what}: the sync was interrupted")
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            retry_after: float | None = None
            try:
                with self._opener.open(
                    request, timeout=min(self.request_timeout, remaining)
                ) as answer:
                    raw = answer.read()
                return self._decode(raw, what, status=200)
            except urllib.error.HTTPError as exc:
                status = exc.code
                raw = _read(exc)
                if status != 429 and status < 500:
                    payload = _maybe_json(raw)
                    raise CallError(
                        self.secrets.redact(f"{what}: HTTP {status}{_snippet(raw)}"),
                        status=status,
                        payload=payload,
                    ) from None
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                problem = f"HTTP {status}"
                last = CallError(
                    self.secrets.redact(f"{what}: HTTP {status}{_snippet(raw)}"),
                    status=status,
                    payload=_maybe_json(raw),
                )
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"no answer ({reason})"
                last = CallError(self.secrets.redact(f"{what}: {problem}"))
            if attempt >= self.retries:
                raise CallError(f"{last} (after {attempt + 1} attempts)", status=last.status)
            wait = retry_after
            if wait is None:
                wait = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.5, 1)
            if time.monotonic() + wait >= deadline:
                raise OutOfTime(
                    f"{last}; out of time before the retry (wait {wait:g} s)", status=last.status
                )
            log.info(
                "%s: %s; retry %d in %.2f s", what, self.secrets.redact(problem), attempt + 1, wait
            )
            self.stop.wait(wait)
            attempt += 1

    def _decode(self, raw: bytes, what: str, *, status: int) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise CallError(
                self.secrets.redact(f"{what}: the answer is not JSON{_snippet(raw)}"),
                status=status,
            ) from None


def download(
    url: str,
    dest: Path,
    *,
    headers: Mapping[str, str],
    secrets: Secrets,
    deadline: float,
    max_bytes: int,
    request_timeout: float,
) -> None:
    """Fetch ``url`` into ``dest`` (through a temporary file), within the deadline and size."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shown = _url_for_message(url)
    try:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutOfTime(f"download of {shown}: out of time")
        request = urllib.request.Request(url, headers=dict(headers))
        opener = urllib.request.build_opener(_Redirects(frozenset(h.lower() for h in headers)))
        with opener.open(request, timeout=min(request_timeout, remaining)) as answer:
            declared = answer.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise CallError(f"download of {shown}: {int(declared):,} bytes, over max_mb")
            copied = 0
            with tmp.open("wb") as out:
                while chunk := answer.read(1 << 16):
                    copied += len(chunk)
                    if copied > max_bytes:
                        raise CallError(f"download of {shown}: over max_mb ({max_bytes:,} bytes)")
                    if time.monotonic() > deadline:
                        raise OutOfTime(f"download of {shown}: out of time")
                    out.write(chunk)
        os.replace(tmp, dest)
    except urllib.error.HTTPError as exc:
        raise CallError(
            secrets.redact(f"download of {shown}: HTTP {exc.code}"), status=exc.code
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CallError(secrets.redact(f"download of {shown}: no answer ({reason})")) from None
    finally:
        tmp.unlink(missing_ok=True)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry secret-bearing headers to another host."""

    def __init__(self, secret_headers: frozenset[str]) -> None:
        self.secret_headers = secret_headers

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            old, to = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(new.full_url)
            # Another host, or the same one over plain HTTP: the keys stay behind.
            if (to.netloc, to.scheme) != (old.netloc, old.scheme):
                for name in list(new.headers):
                    if name.lower() in self.secret_headers:
                        del new.headers[name]
        return new


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except OSError:
        return b""


def _maybe_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _snippet(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return ""
    text = " ".join(text.split())
    return f": {text[:_BODY_LIMIT]}" + ("..." if len(text) > _BODY_LIMIT else "")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _url_for_message(url: str) -> str:
    """The URL without its query string (signed result URLs carry tokens there)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
