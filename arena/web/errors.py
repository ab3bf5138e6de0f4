"""Translate domain errors to HTTP in one place: JSON for the API, a page for browsers."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from arena.core.errors import ArenaError, Unauthorized
from arena.services.database import UNAVAILABLE, DatabaseError, OutOfRange


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(
        ("/api", "/battles/", "/images")
    ) and "text/html" in request.headers.get("accept", "")


def _respond(request: Request, status: int, message: str) -> Response:
    if _wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )
    return JSONResponse({"detail": message}, status_code=status)


def _safe(value: Any) -> Any:
    """A validation error's input as JSON can carry it: no NaN or infinity, nothing huge."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) else value[:200]
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")}
            | ({"input": _safe(e["input"])} if "input" in e else {})
            for e in exc.errors()
        ]
        if _wants_html(request):
            message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
            return _respond(request, 422, message)
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(ArenaError)
    async def _arena_error(request: Request, exc: ArenaError) -> Response:
        response = _respond(request, exc.status, str(exc))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # RateLimited, WriteTimeout
            response.headers["Retry-After"] = str(retry_after)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="arena-admin"'
        return response

    async def _database_down(request: Request, exc: Exception) -> Response:
        response = _respond(request, 503, "the database is unavailable; try again shortly")
        response.headers["Retry-After"] = "2"
        return response

    # A lost connection (server restarted, network cut) or an exhausted pool is a 503 the
    # client may retry, never a 500: the transaction was rolled back, nothing half-written.
    for error in UNAVAILABLE:
        app.add_exception_handler(error, _database_down)

    @app.exception_handler(OutOfRange)
    async def _out_of_range(request: Request, exc: OutOfRange) -> Response:
        # A value the route let through but the database cannot hold (a 64-bit id on a
        # 32-bit column): the client's mistake, and nothing was written.
        return _respond(request, 422, "a value in the request is out of range")

    @app.exception_handler(DatabaseError)
    async def _database_error(request: Request, exc: DatabaseError) -> Response:
        if exc.connection_invalidated:
            return await _database_down(request, exc)
        raise exc


__all__ = ["HTMLResponse", "install_error_handlers"]
