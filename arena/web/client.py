"""The client's address: the socket peer, or X-Forwarded-For from a configured trusted proxy.

Only when the peer is one of ``ARENA_TRUSTED_PROXIES`` is X-Forwarded-For read, right to
left, skipping trusted hops: the first untrusted hop is the address the proxy saw, which a
client cannot forge (anything it sends itself sits further left). Addresses are stored only
as a keyed hash (:func:`address_hash`). The same trust decides whether a request came over
HTTPS (:func:`over_https`: the voter cookie is then ``Secure``), and :class:`ProxyWatch`
notices forwarding headers (and the sign-in header of ``ARENA_IDENTITY=header``) from a peer
that is not trusted: a proxy in front that ``ARENA_TRUSTED_PROXIES`` does not name, so that
per-address limits see only the proxy, and nobody is signed in.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from arena.core.clock import utcnow
from arena.core.integrity.policy import Network

log = logging.getLogger(__name__)

FORWARDING = (b"x-forwarded-for", b"x-forwarded-proto", b"forwarded")
"""Headers a proxy adds to say whom and how it forwards."""


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request, trusted: tuple[Network, ...]) -> str:
    """The address rate limits apply to (``""`` if the server cannot tell)."""
    peer = request.client.host if request.client else ""
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def address_hash(address: str, secret: bytes) -> str | None:
    """A keyed hash of an address (32 hex digits): groups votes without storing the address."""
    if not address:
        return None
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def over_https(scope: Scope, trusted: tuple[Network, ...]) -> bool:
    """Whether the request came over HTTPS: to this server directly, or to a trusted proxy
    that says so in ``X-Forwarded-Proto`` (its last value: the one the proxy set)."""
    if scope.get("scheme") == "https":
        return True
    if not trusted or not is_trusted(_peer(scope), trusted):
        return False
    proto = ""
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            proto = value.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
    return proto == "https"


@dataclass
class ProxyWatch:
    """The first request, since start-up, that carried a forwarding header from a peer not in
    ``ARENA_TRUSTED_PROXIES`` (the admin's health view shows it)."""

    trusted: tuple[Network, ...]
    sign_in: bytes = b""
    """With ARENA_IDENTITY=header, the sign-in header (lower case): ignored from such a peer."""
    peer: str | None = None
    header: str | None = None
    seen_at: datetime | None = None

    def check(self, scope: Scope) -> None:
        for name, _value in scope["headers"]:
            if name in FORWARDING or (self.sign_in and name == self.sign_in):
                peer = _peer(scope)
                if not is_trusted(peer, self.trusted):
                    self.peer, self.header, self.seen_at = peer, name.decode(), utcnow()
                    log.warning("%s", self.warning())
                return

    def warning(self) -> str | None:
        if self.peer is None:
            return None
        consequence = (
            "its sign-in header was ignored and no voter was signed in"
            if self.header == self.sign_in.decode()
            else "per-address limits see only the proxy's address"
        )
        return (
            f"a request with {self.header} came from {self.peer or 'an unknown peer'}, which "
            f"ARENA_TRUSTED_PROXIES does not name: if a proxy is in front of this server, "
            f"{consequence} (add it to ARENA_TRUSTED_PROXIES)"
        )


class ProxyWatchMiddleware:
    """Checks requests with :meth:`ProxyWatch.check` until one is seen (then costs nothing)."""

    def __init__(self, app: ASGIApp, *, watch: ProxyWatch) -> None:
        self.app = app
        self.watch = watch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.watch.peer is None:
            self.watch.check(scope)
        await self.app(scope, receive, send)
