"""Domain errors. The web edge maps each to an HTTP status in one handler (arena.web.errors)."""

from __future__ import annotations


class ArenaError(Exception):
    """Base of the errors a user can cause; the message says what was wrong."""

    status = 400


class NotFound(ArenaError):
    status = 404


class Forbidden(ArenaError):
    status = 403


class Conflict(ArenaError):
    status = 409


class Gone(ArenaError):
    status = 410


class Invalid(ArenaError):
    status = 422


class Unavailable(ArenaError):
    status = 503


class RateLimited(ArenaError):
    """Too many requests: ``retry_after`` seconds until the next one is allowed."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthorized(ArenaError):
    status = 401
