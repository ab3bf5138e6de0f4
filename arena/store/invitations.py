"""Invitations: make, list, revoke (admins); open one (voters); is a voter's still live.

Opening is one conditional UPDATE (``uses < max_uses``, not revoked, not expired), so two
browsers opening a single-use link at once cannot both get it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from arena.core.clock import utcnow
from arena.core.errors import Conflict, Gone, NotFound
from arena.core.integrity.identity import (
    invitation_of,
    invitation_voter,
    new_token,
    token_hash,
    well_formed,
)
from arena.store.driver import Sql, Tx
from arena.store.tables import Invitation

_OPEN = Sql(
    'UPDATE invitation SET "uses" = "uses" + 1 WHERE "id" = :id AND "uses" < "max_uses" '
    'AND "revoked_at" IS NULL AND ("expires_at" IS NULL OR "expires_at" > :now)'
)
_LIVE = Sql('SELECT 1 FROM invitation WHERE "id" = :id AND "revoked_at" IS NULL')


def create_invitation(
    session: Session,
    *,
    label: str,
    max_uses: int,
    expires_at: datetime | None,
    actor: str,
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token (shown this once: only its hash is stored)."""
    token = new_token()
    invitation = Invitation(
        token_hash=token_hash(token),
        label=label,
        max_uses=max_uses,
        actor=actor,
        created_at=now or utcnow(),
        expires_at=expires_at,
    )
    session.add(invitation)
    session.commit()
    session.refresh(invitation)
    return invitation, token


def list_invitations(
    session: Session, *, revoked: bool, limit: int, offset: int
) -> list[Invitation]:
    """Invitations, newest first; revoked ones only with ``revoked``."""
    query = select(Invitation).order_by(col(Invitation.id).desc()).limit(limit).offset(offset)
    if not revoked:
        query = query.where(col(Invitation.revoked_at).is_(None))
    return list(session.exec(query).all())


def revoke_invitation(
    session: Session,
    *,
    invitation_id: int,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> Invitation:
    """The link stops opening; where an identity is required, its voter's votes stop counting
    (votes already counted stay: flag the voter ``inv:{id}`` to exclude those too)."""
    invitation = session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None:
        raise NotFound(f"no invitation {invitation_id}")
    if invitation.revoked_at is not None:
        raise Conflict(f"invitation {invitation_id} is already revoked")
    invitation.revoked_at, invitation.revoked_by = now or utcnow(), actor
    invitation.revoke_reason = reason
    session.add(invitation)
    session.commit()
    session.refresh(invitation)
    return invitation


def check_invitation(
    session: Session, *, token: str, voter_id: str = "", now: datetime | None = None
) -> Invitation:
    """The invitation ``token`` opens; :class:`NotFound` or :class:`Gone` saying why not.

    For ``voter_id`` already holding it, only a revoked invitation is refused (opening it
    again uses nothing: :func:`open_invitation`)."""
    invitation = _find(session, token)
    assert invitation.id is not None
    if voter_id == invitation_voter(invitation.id):
        if invitation.revoked_at is not None:
            _refuse_if_closed(invitation, now or utcnow())
        return invitation
    _refuse_if_closed(invitation, now or utcnow())
    return invitation


def open_invitation(
    session: Session, *, token: str, voter_id: str, now: datetime | None = None
) -> str:
    """Use up one opening of the invitation; the voter id it binds the voter to.

    A voter who already holds this invitation's identity uses nothing (the same browser
    opening the link again). Raises :class:`NotFound` or :class:`Gone` saying what is wrong.
    """
    now = now or utcnow()
    invitation = _find(session, token)
    assert invitation.id is not None
    identity = invitation_voter(invitation.id)
    if voter_id == identity:
        check_invitation(session, token=token, voter_id=voter_id, now=now)
        return identity
    tx = Tx(session)
    opened = tx.connection.exec_driver_sql(
        _OPEN.text if tx.sqlite else _OPEN.postgresql, {"id": invitation.id, "now": tx.time(now)}
    ).rowcount
    if opened != 1:
        tx.rollback()
        session.refresh(invitation)
        _refuse_if_closed(invitation, now)
        raise Gone(f"invitation {invitation.id} cannot be opened now")  # pragma: no cover
    tx.commit()
    return identity


def holds_live_invitation(tx: Tx, voter_id: str) -> bool:
    """Whether ``voter_id`` is the identity of an invitation that is not revoked."""
    invitation_id = invitation_of(voter_id)
    if invitation_id is None:
        return False
    return tx.row(_LIVE, {"id": invitation_id}) is not None


def _find(session: Session, token: str) -> Invitation:
    invitation = None
    if well_formed(token):
        invitation = session.exec(
            select(Invitation).where(Invitation.token_hash == token_hash(token))
        ).first()
    if invitation is None:
        raise NotFound(
            "no invitation matches this link: check that it was copied whole, or ask for a new one"
        )
    return invitation


def _refuse_if_closed(invitation: Invitation, now: datetime) -> None:
    if invitation.revoked_at is not None:
        raise Gone(f"this invitation was revoked on {invitation.revoked_at:%Y-%m-%d}")
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise Gone(
            f"this invitation expired on {invitation.expires_at.isoformat(timespec='minutes')}"
        )
    if invitation.uses >= invitation.max_uses:
        times = "once" if invitation.max_uses == 1 else f"{invitation.max_uses} times"
        raise Gone(f"this invitation is used up: it could be opened {times}")
