"""An organisation's members: inviting colleagues (new users by e-mail, existing users by a
role offer they confirm), removing them, and the invitation e-mails.

- An administrator manages only their *own* organisation: the organisation always comes from
  the acting membership, never from what a form says.
- A role must fit the kind of organisation (:data:`~matching.models.ROLES_BY_ORG_KIND`).
- An organisation keeps at least one administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from matching.accounts.signup import (
    NAME_MAX_CHARS,
    _collect,
    _flush_or_taken,
    _record_membership,
    _required_text,
    _user_by_email,
    normalise_email,
)
from matching.accounts.tokens import (
    INVITATION,
    MEMBERSHIP,
    TOKEN_INVALID_MESSAGE,
    _serializer,
    token_payload,
)
from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.core.mail import Message
from matching.core.security import hash_password
from matching.models import (
    ROLES_BY_ORG_KIND,
    AuditAction,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)


def make_membership_token(secret_key: str, invitation: Invitation) -> str:
    """A signed link for an existing user to confirm ``invitation``'s role (7 days).

    It stops working once the user has the membership.
    """
    assert invitation.user is not None
    payload = [invitation.user.id, invitation.organisation.id, invitation.role.value]
    return _serializer(secret_key, MEMBERSHIP).dumps(payload)


def membership_token_user_id(secret_key: str, token: str) -> int:
    """The id of the user a membership link was sent to, or ValidationError (key ``token``).

    Checks only the signature and age; :func:`membership_offer` checks the rest.
    """
    return _membership_payload(secret_key, token)[0]


def _membership_payload(secret_key: str, token: str) -> tuple[int, int, str]:
    payload = token_payload(
        secret_key,
        MEMBERSHIP,
        token,
        max_age=MEMBERSHIP.max_age_seconds,
        expired_message=MEMBERSHIP_EXPIRED_MESSAGE,
    )
    if not (
        isinstance(payload, list)
        and len(payload) == 3
        and all(isinstance(value, int) and not isinstance(value, bool) for value in payload[:2])
        and isinstance(payload[2], str)
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    return payload[0], payload[1], payload[2]


def organisation_member_count(session: Session, actor: Actor) -> int:
    """Number of distinct users with a role in the actor's organisation."""
    if actor.organisation_id is None:
        raise PermissionDenied("no organisation")
    return (
        session.scalar(
            select(func.count(func.distinct(Membership.user_id))).where(
                Membership.organisation_id == actor.organisation_id
            )
        )
        or 0
    )


LAST_ADMIN_MESSAGE = (
    "Organisationen skal have mindst én administrator. Giv en kollega rollen som "
    "administrator, før du fjerner denne."
)


MEMBERSHIP_EXPIRED_MESSAGE = (
    "Invitationen er udløbet. Bed den administrator, der inviterede dig, om en ny invitation."
)


MEMBERSHIP_USED_MESSAGE = "Invitationen er allerede bekræftet: du har rollen i organisationen."


# Refusing a role the e-mail already has is only done for members the administrator can see
# on their own members page anyway; the wording reveals nothing beyond that list.
ALREADY_LISTED_MESSAGE = "Denne e-mail står allerede på listen over brugere med den valgte rolle."


@dataclass(frozen=True)
class Invitation:
    """The outcome of :func:`invite_member`.

    ``new_user``: a user was created with the membership; they get a link to choose a password.
    Otherwise ``membership`` is None: an existing, active ``user`` gets a link to confirm the
    role (:func:`make_membership_token`), and for a deactivated one ``user`` is None and
    nothing is sent. ``name`` is what the administrator typed; the stored name of an existing
    user is never shown to them.
    """

    email: str
    name: str
    organisation: Organisation
    role: Role
    user: User | None
    membership: Membership | None
    new_user: bool


@dataclass(frozen=True)
class MembershipOffer:
    """A checked membership link: ``user`` may confirm ``role`` in ``organisation``."""

    user: User
    organisation: Organisation
    role: Role


def _admin_actor(actor_membership: Membership, ip_address: str | None) -> Actor:
    if actor_membership.role is not Role.ADMIN or not actor_membership.organisation.active:
        raise PermissionDenied("only an administrator of an active organisation manages users")
    return Actor.member(actor_membership, ip_address)


def _holds(session: Session, user_id: int, organisation_id: int, role: Role) -> bool:
    """Whether the user already has ``role`` in the organisation."""
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id,
                Membership.organisation_id == organisation_id,
                Membership.role == role,
            )
        )
        is not None
    )


def roles_for(kind: OrgKind) -> list[Role]:
    """Roles that may be given in an organisation of ``kind``, in a stable order."""
    allowed = ROLES_BY_ORG_KIND[kind]
    return [role for role in Role if role in allowed]


def invite_member(
    session: Session,
    actor_membership: Membership,
    email: str,
    name: str,
    role: Role | str,
    *,
    ip_address: str | None = None,
) -> Invitation:
    """Invite ``email`` to the ``role`` in the acting administrator's organisation.

    An unknown e-mail becomes a new user with the membership, whose password nobody knows (the
    hash of a random secret) until they follow the invitation link. A known e-mail gets no
    membership now: the user must confirm it (:func:`accept_membership`), and their name and
    password are left alone, since an administrator of one organisation must not change a user
    who also works elsewhere. The administrator learns neither whether the e-mail was known nor
    the stored name; only a role that their own members page already lists is refused.
    """
    actor = _admin_actor(actor_membership, ip_address)
    organisation = actor_membership.organisation
    errors: dict[str, str] = {}
    address = _collect(errors, "email", normalise_email, email)
    person = _required_text(errors, "name", name, NAME_MAX_CHARS, "Indtast kollegaens navn.")
    chosen = permissions.parse_role(role)
    if chosen is None or chosen not in ROLES_BY_ORG_KIND[organisation.kind]:
        errors["role"] = "Vælg en af rollerne på listen."
    if errors:
        raise ValidationError(errors)
    assert address is not None and chosen is not None

    # Hashed whether or not it is needed, so the answer takes as long for a known e-mail.
    placeholder_hash = hash_password(secrets.token_urlsafe(32))
    user = _user_by_email(session, address)
    if user is not None and _holds(session, user.id, organisation.id, chosen):
        raise ValidationError({"email": ALREADY_LISTED_MESSAGE})

    if user is None:
        user = User(email=address, name=person, password_hash=placeholder_hash, active=True)
        membership = Membership(user=user, organisation=organisation, role=chosen)
        session.add_all([user, membership])
        _flush_or_taken(session)
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            "user",
            user.id,
            details={"event": "invited", "email": address},
        )
        _record_membership(session, actor, AuditAction.CREATE, membership)
        return Invitation(address, person, organisation, chosen, user, membership, new_user=True)

    invited = user if user.active else None
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "membership_invitation",
        None,
        details={
            "user_id": user.id,
            "organisation_id": organisation.id,
            "role": chosen.value,
            "email": address,
            "sent": invited is not None,
        },
    )
    session.flush()
    return Invitation(address, person, organisation, chosen, invited, None, new_user=False)


def organisation_members(session: Session, organisation_id: int) -> list[Membership]:
    """The organisation's memberships with their users (one query), by name then role."""
    return list(
        session.scalars(
            select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user))
            .where(Membership.organisation_id == organisation_id)
            .order_by(func.lower(User.name), User.id, Membership.role)
        )
    )


def remove_member(
    session: Session,
    actor_membership: Membership,
    membership_id: int,
    *,
    ip_address: str | None = None,
) -> Membership:
    """Remove a membership of the acting administrator's organisation (the user is kept: they
    may work elsewhere too). Refuses to remove the organisation's last administrator."""
    actor = _admin_actor(actor_membership, ip_address)
    organisation_id = actor_membership.organisation_id
    # Lock the organisation so that two administrators removing each other cannot both win
    # (PostgreSQL; SQLite serialises writers anyway).
    session.execute(
        select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
    )
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation_id:
        raise OutOfScope("membership", membership_id, exists=membership is not None)
    if membership.role is Role.ADMIN:
        other_admins = session.scalar(
            select(func.count(Membership.id))
            .join(Membership.user)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.ADMIN,
                Membership.id != membership.id,
                User.active.is_(True),
            )
        )
        if not other_admins:
            raise ValidationError(LAST_ADMIN_MESSAGE)
    _record_membership(session, actor, AuditAction.DELETE, membership)
    session.delete(membership)
    session.flush()
    return membership


def membership_offer(
    session: Session, secret_key: str, token: str, user: User, *, for_update: bool = False
) -> MembershipOffer:
    """What a membership link offers the logged-in ``user``, or ValidationError (key ``token``:
    invalid, expired or already used). A link sent to someone else is PermissionDenied."""
    user_id, organisation_id, role_value = _membership_payload(secret_key, token)
    if user_id != user.id:
        raise PermissionDenied("membership link of another user")
    # FOR UPDATE when about to use the link: two requests with one link must not both pass.
    locked = session.get(User, user.id, with_for_update=for_update or None)
    organisation = session.get(Organisation, organisation_id)
    role = permissions.parse_role(role_value)
    if (
        locked is None
        or not locked.active
        or organisation is None
        or not organisation.active
        or role is None
        or role not in ROLES_BY_ORG_KIND[organisation.kind]
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if _holds(session, locked.id, organisation.id, role):
        raise ValidationError({"token": MEMBERSHIP_USED_MESSAGE})
    return MembershipOffer(locked, organisation, role)


def accept_membership(
    session: Session,
    secret_key: str,
    token: str,
    user: User,
    *,
    ip_address: str | None = None,
) -> Membership:
    """The logged-in ``user`` confirms a membership link: the membership is created (once)."""
    offer = membership_offer(session, secret_key, token, user, for_update=True)
    membership = Membership(user=offer.user, organisation=offer.organisation, role=offer.role)
    session.add(membership)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same link confirmed twice at once
        raise ValidationError({"token": MEMBERSHIP_USED_MESSAGE}) from None
    actor = Actor.member(membership, ip_address)
    _record_membership(session, actor, AuditAction.CREATE, membership, event=MEMBERSHIP.audit_event)
    session.flush()
    return membership


def invitation_message(invitation: Invitation, link: str, *, invited_by: str) -> Message:
    """The e-mail with the link that lets a new user choose a password."""
    days = INVITATION.max_age_seconds // 86400
    body = (
        f"Hej {invitation.name}\n\n"
        f"{invited_by} har inviteret dig til Jobbro som {invitation.role.label_da.lower()} "
        f"i {invitation.organisation.name}.\n\n"
        f"Vælg din adgangskode her. Linket virker i {days} dage og kan kun bruges én gang:\n"
        f"{link}\n\n"
        "Kender du ikke til invitationen, kan du se bort fra denne e-mail.\n\n"
        "Venlig hilsen\nJobbro\n"
    )
    return Message(
        to=invitation.email,
        subject=f"Invitation til Jobbro fra {invitation.organisation.name}",
        body=body,
    )


def membership_invitation_message(
    invitation: Invitation, link: str, forgot_password_link: str, *, invited_by: str
) -> Message:
    """The e-mail asking an existing user to confirm a new role.

    A user who has never logged in may have no password of their own yet (an earlier
    invitation not yet accepted), and is told how to choose one first.
    """
    user = invitation.user
    assert user is not None
    days = MEMBERSHIP.max_age_seconds // 86400
    if user.last_login_at is None:
        how = (
            "Har du ikke valgt en adgangskode til Jobbro endnu, så vælg en her først:\n"
            f"{forgot_password_link}\n\n"
            f"Åbn derefter dette link, og bekræft invitationen. Linket virker i {days} dage:\n"
        )
    else:
        how = f"Log ind, og bekræft invitationen her. Linket virker i {days} dage:\n"
    body = (
        f"Hej {user.name}\n\n"
        f"{invited_by} har inviteret dig til at få rollen "
        f"{invitation.role.label_da.lower()} i {invitation.organisation.name} i Jobbro. "
        "Du får først rollen, når du har bekræftet invitationen.\n\n"
        f"{how}{link}\n\n"
        "Kender du ikke til invitationen, kan du se bort fra denne e-mail.\n\n"
        "Venlig hilsen\nJobbro\n"
    )
    return Message(
        to=user.email,
        subject=f"Invitation til {invitation.organisation.name} i Jobbro",
        body=body,
    )
