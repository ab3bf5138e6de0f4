"""Voter identity: a random id in a signed, HttpOnly, SameSite cookie; no login.

The cookie is ``Secure`` whenever the request came over HTTPS, to this server or to a trusted
proxy that says so (:func:`arena.web.client.over_https`), so a browser never sends it back
over plain HTTP.

A pure ASGI middleware (no per-request task or body buffering) reads the cookie, puts the
voter id on ``request.state.voter_id``, and sets the cookie on the response when the voter is
new or the cookie was tampered with. Clip and static responses are left alone so they stay
cacheable and carry nothing per-voter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arena.core.integrity.policy import Network
from arena.web.client import over_https

COOKIE = "arena_voter"
MAX_AGE = 365 * 24 * 3600
_SKIP = ("/images/", "/static/", "/api/v1/admin/")


def sign(voter_id: str, secret: bytes) -> str:
    mac = hmac.new(secret, voter_id.encode(), hashlib.sha256).digest()
    return f"{voter_id}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def verify(value: str, secret: bytes) -> str | None:
    """The voter id if ``value`` carries a valid signature, else None."""
    voter_id, _, _mac = value.partition(".")
    if voter_id and hmac.compare_digest(sign(voter_id, secret), value):
        return voter_id
    return None


class VoterMiddleware:
    def __init__(
        self, app: ASGIApp, *, secret: str, trusted_proxies: tuple[Network, ...] = ()
    ) -> None:
        self.app = app
        self.secret = secret.encode()
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await self.app(scope, receive, send)
            return
        voter_id = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is treated as no cookie
                    continue
                if COOKIE in jar:
                    voter_id = verify(jar[COOKIE].value, self.secret)
        fresh = voter_id is None
        if voter_id is None:
            voter_id = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["voter_id"] = voter_id
        if not fresh:
            await self.app(scope, receive, send)
            return
        secure = over_https(scope, self.trusted_proxies)
        cookie = (
            f"{COOKIE}={sign(voter_id, self.secret)}; Path=/; Max-Age={MAX_AGE}; HttpOnly; "
            f"SameSite=Lax{'; Secure' if secure else ''}"
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
