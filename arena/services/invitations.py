"""Invitations, the voter identities an admin hands out as links: make, list, revoke; check
and open a link. Each write is one store transaction, run by the caller's writer."""

from __future__ import annotations

from arena.store.invitations import (
    check_invitation,
    create_invitation,
    list_invitations,
    open_invitation,
    revoke_invitation,
)
from arena.store.tables import Invitation

__all__ = [
    "Invitation",
    "check_invitation",
    "create_invitation",
    "list_invitations",
    "open_invitation",
    "revoke_invitation",
]
