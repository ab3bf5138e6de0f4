"""Conditional responses for the read-only pages and API: ETag, 304, caching, gzip.

The ETag comes from the data's version key (a few indexed lookups, see
:func:`arena.services.leaderboard.data_version`), the route, the query and the app version, and
is checked before anything is built: a matching ``If-None-Match`` gets a bodiless 304.
``Cache-Control: private, no-cache``: browsers keep a copy and revalidate it; a first visit's
response carries the voter cookie, so shared caches must not store it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from arena import __version__
from arena.core.clock import utcnow
from arena.services.leaderboard import data_version
from arena.web.deps import SessionDep

CACHE = "private, no-cache"


def etag(session: SessionDep, request: Request, track: str | None) -> str:
    """The view's ETag: the data's version key, the route, the query, the app version."""
    version = data_version(session, track, today=utcnow().date())
    key = f"{__version__}|{version}|{request.url.path}|{sorted(request.query_params.items())}"
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:24]}"'


def not_modified(request: Request, tag: str) -> Response | None:
    """A 304 if ``If-None-Match`` names ``tag`` (weak comparison), else None."""
    header = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    if "*" in tags or tag.removeprefix("W/") in tags:
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": CACHE})
    return None


def conditional(
    request: Request, session: SessionDep, track: str | None, produce: Callable[[str], Response]
) -> Response:
    """A 304 if the client's copy is current, else ``produce(etag)``: nothing is built first."""
    tag = etag(session, request, track)
    return not_modified(request, tag) or produce(tag)


def send(
    request: Request, body: str | bytes, media_type: str, tag: str, **headers: str
) -> Response:
    """The body with its ETag and caching headers, gzipped when the client accepts it (a page
    with its plots shrinks about tenfold)."""
    data = body.encode() if isinstance(body, str) else body
    headers = {"ETag": tag, "Cache-Control": CACHE, "Vary": "Accept-Encoding", **headers}
    if len(data) > 1024 and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=media_type, headers=headers)


def send_json(request: Request, model: Any, tag: str) -> Response:
    return send(request, model.model_dump_json(), "application/json", tag)


def send_page(request: Request, template: str, context: dict[str, Any], tag: str) -> Response:
    page = request.app.state.templates.TemplateResponse(request, template, context)
    return send(request, page.body, "text/html; charset=utf-8", tag)
