"""The client's address: the socket peer, or X-Forwarded-For from a configured trusted proxy.

Only when the peer is one of ``ARENA_TRUSTED_PROXIES`` is X-Forwarded-For read, right to
left, skipping trusted hops: the first untrusted hop is the address the proxy saw, which a
client cannot forge (anything it sends itself sits further left). Addresses are stored only
as a keyed hash (:func:`address_hash`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from starlette.requests import Request

from arena.integrity.policy import Network


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request, trusted: tuple[Network, ...]) -> str:
    """The address rate limits apply to (``""`` if the server cannot tell)."""
    peer = request.client.host if request.client else ""
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def address_hash(address: str, secret: bytes) -> str | None:
    """A keyed hash of an address (32 hex digits): groups votes without storing the address."""
    if not address:
        return None
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
