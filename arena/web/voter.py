"""Voter identity: a random id in a signed, HttpOnly, SameSite cookie; no login.

Two other identities (:mod:`arena.core.integrity.identity`): an invitation's, which
``/invite/{token}`` puts in the same cookie (:func:`cookie_header`); and, with
``ARENA_IDENTITY=header``, the user an authenticating proxy names in
``ARENA_IDENTITY_HEADER``. That header is believed only from ``ARENA_TRUSTED_PROXIES`` (from
any other peer it is ignored, and the cookie decides); its voter id is a keyed hash of the
value, and no cookie is set for it: the proxy names the voter on every request.

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

from arena.core.integrity.identity import header_voter
from arena.core.integrity.policy import Network
from arena.web.client import is_trusted, over_https

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


def cookie_header(voter_id: str, secret: bytes, *, secure: bool) -> str:
    """The ``Set-Cookie`` value that makes ``voter_id`` the browser's voter."""
    return (
        f"{COOKIE}={sign(voter_id, secret)}; Path=/; Max-Age={MAX_AGE}; HttpOnly; "
        f"SameSite=Lax{'; Secure' if secure else ''}"
    )


def identity_key(secret: str) -> bytes:
    """The key of :func:`arena.core.integrity.identity.header_voter` (not the cookies' own)."""
    return f"identity:{secret}".encode()


class VoterMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        trusted_proxies: tuple[Network, ...] = (),
        identity_header: str = "",
    ) -> None:
        self.app = app
        self.secret = secret.encode()
        self.trusted_proxies = trusted_proxies
        self.header = identity_header.lower().encode()
        self.header_key = identity_key(secret)

    def _signed_in(self, scope: Scope) -> str | None:
        """The voter the trusted proxy names, if one does."""
        client = scope.get("client")
        if not is_trusted(str(client[0]) if client else "", self.trusted_proxies):
            return None
        for name, value in scope["headers"]:
            if name == self.header and value.strip():
                return header_voter(value.decode("latin-1"), self.header_key)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await self.app(scope, receive, send)
            return
        signed_in = self._signed_in(scope) if self.header else None
        if signed_in is not None:
            scope.setdefault("state", {})["voter_id"] = signed_in
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
        cookie = cookie_header(voter_id, self.secret, secure=secure).encode()
        mine = f"{COOKIE}=".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                # A route that set the voter cookie itself (an invitation opened) wins.
                if not any(k == b"set-cookie" and v.startswith(mine) for k, v in headers):
                    headers.append((b"set-cookie", cookie))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
