"""Voter ids beyond the anonymous cookie: invitations and proxy sign-in, as pure rules.

A voter id is one of three kinds, told apart by a prefix no random cookie id can carry
(those are URL-safe base64, without ``:``): ``inv:{n}``, invitation *n*'s one identity;
``h:{hash}``, a voter a trusted proxy signed in (a keyed hash of the header's value, so the
id never shows the e-mail); anything else, an anonymous cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

INVITED = "inv:"
SIGNED_IN = "h:"

TOKEN_BYTES = 24
"""An invitation token's randomness (192 bits): 32 URL-safe characters, never guessed."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token (SHA-256, hex): enough to find it, not to use it."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    """Whether ``token`` could be a token at all (a cut or mangled link is not)."""
    return _TOKEN.fullmatch(token) is not None


def invitation_voter(invitation_id: int) -> str:
    return f"{INVITED}{invitation_id}"


def invitation_of(voter_id: str) -> int | None:
    """The invitation whose identity ``voter_id`` is, or None."""
    if voter_id.startswith(INVITED) and voter_id[len(INVITED) :].isdigit():
        return int(voter_id[len(INVITED) :])
    return None


def header_voter(value: str, key: bytes) -> str:
    """The voter id of a signed-in user: ``h:`` and 32 hex digits of HMAC-SHA256(key, value).

    The value is trimmed and lower-cased first (``Ann@Example.org`` and ``ann@example.org``
    are one voter)."""
    digest = hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"{SIGNED_IN}{digest[:32]}"


def kind(voter_id: str) -> str:
    """``invitation``, ``header`` or ``cookie``."""
    if invitation_of(voter_id) is not None:
        return "invitation"
    return "header" if voter_id.startswith(SIGNED_IN) else "cookie"
