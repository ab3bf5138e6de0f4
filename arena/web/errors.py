"""Translate domain errors to HTTP in one place: JSON for the API, a page for browsers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError

from arena.errors import ArenaError


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(
        ("/api", "/clips", "/images")
    ) and "text/html" in request.headers.get("accept", "")


def _respond(request: Request, status: int, message: str) -> Response:
    if _wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )
    return JSONResponse({"detail": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ArenaError)
    async def _arena_error(request: Request, exc: ArenaError) -> Response:
        return _respond(request, exc.status, str(exc))

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        response = _respond(request, 503, "the database is unavailable; try again shortly")
        response.headers["Retry-After"] = "2"
        return response


__all__ = ["HTMLResponse", "install_error_handlers"]
