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


class RankingError(ValueError):
    """Bad input or options given to the rating engine; the message names the bad value.

    A ValueError, not an :class:`ArenaError`: the engine is a library of its own; the
    recompute and the import say which user input it came from."""


class BattleFileError(RankingError):
    """A battle file that cannot be read; the message names the line and the field."""
