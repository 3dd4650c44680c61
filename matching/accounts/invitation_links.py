"""Invitation links as records: a link carries only a random nonce; the record
(:class:`~matching.models.MemberInvitation`) holds its SHA-256, what it offers, and whether it
was used, withdrawn or has expired. :mod:`matching.accounts.members` issues and accepts them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.accounts.tokens import MEMBERSHIP, TOKEN_INVALID_MESSAGE, TOKEN_MAX_CHARS
from matching.core.audit import Actor
from matching.core.dates import aware
from matching.core.errors import ValidationError
from matching.models import MemberInvitation, Organisation, Role, User

MEMBERSHIP_EXPIRED_MESSAGE = (
    "Invitationen er udløbet. Bed den administrator, der inviterede dig, om en ny invitation."
)
INVITATION_WITHDRAWN_MESSAGE = (
    "Invitationen er trukket tilbage. Bed en administrator i organisationen om en ny invitation."
)

INVITATION_NONCE_BYTES = 32  # the link's secret: 43 URL-safe characters


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(
    session: Session,
    actor: Actor,
    user: User,
    organisation: Organisation,
    role: Role,
    email: str,
    name: str,
    *,
    now: datetime,
    new_user: bool = False,
) -> tuple[MemberInvitation, str]:
    """A new invitation record and the nonce for its link (only its hash is stored). An
    earlier pending invitation of the same user to the same role is withdrawn: only the newest
    link works."""
    revoke_pending(session, user.id, organisation.id, role, now=now)
    nonce = secrets.token_urlsafe(INVITATION_NONCE_BYTES)
    record = MemberInvitation(
        nonce_hash=nonce_hash(nonce),
        organisation=organisation,
        user=user,
        role=role,
        email=email,
        name=name,
        issued_by_id=actor.user_id,
        expires_at=now + timedelta(seconds=MEMBERSHIP.max_age_seconds),
        new_user=new_user,
    )
    session.add(record)
    session.flush()
    return record, nonce


def revoke_pending(
    session: Session, user_id: int, organisation_id: int, role: Role, *, now: datetime
) -> int:
    """Withdraw every unused invitation of the user to ``role`` in the organisation."""
    result = session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.user_id == user_id,
            MemberInvitation.organisation_id == organisation_id,
            MemberInvitation.role == role,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def record_for_link(session: Session, nonce: str) -> MemberInvitation:
    """The invitation a link points at, whatever its state; ValidationError (key ``token``)
    for a link that points at none."""
    if not nonce or len(nonce) > TOKEN_MAX_CHARS:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    record = session.scalar(
        select(MemberInvitation).where(MemberInvitation.nonce_hash == nonce_hash(nonce))
    )
    if record is None:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    return record


def check_pending(record: MemberInvitation, *, used_message: str, now: datetime) -> None:
    """ValidationError (key ``token``) unless the invitation can still be used."""
    if record.revoked_at is not None:
        raise ValidationError({"token": INVITATION_WITHDRAWN_MESSAGE})
    if record.used_at is not None:
        raise ValidationError({"token": used_message})
    if aware(record.expires_at) <= now:
        raise ValidationError({"token": MEMBERSHIP_EXPIRED_MESSAGE})
    if not record.user.active or not record.organisation.active:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})


def use_once(
    session: Session, record: MemberInvitation, *, used_message: str, now: datetime
) -> None:
    """Mark the invitation used, if nobody did first: the conditional UPDATE lets exactly one
    of two requests with the same link through (the other waits for the row and then sees it
    used, or was withdrawn meanwhile)."""
    result = session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.id == record.id,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
            MemberInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(record)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(record)
        check_pending(record, used_message=used_message, now=now)
        raise ValidationError({"token": used_message})


def membership_link_user_id(session: Session, nonce: str) -> int:
    """The id of the user a role invitation link was sent to, or ValidationError (key
    ``token``) if it points at no role invitation. :func:`membership_offer` checks the rest."""
    record = record_for_link(session, nonce)
    if record.new_user:  # a new user's link sets a password; it confirms no role
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    return record.user_id
