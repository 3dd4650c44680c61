"""An organisation's members: inviting colleagues (new users by e-mail, existing users by a
role offer they confirm), removing them, and the invitation e-mails.

- An administrator manages only their *own* organisation: the organisation always comes from
  the acting membership, never from what a form says.
- A role must fit the kind of organisation (:data:`~matching.models.ROLES_BY_ORG_KIND`).
- An organisation keeps at least one administrator.
- An invitation is a record (:class:`~matching.models.MemberInvitation`); its e-mailed link
  carries only a random nonce, stored as its SHA-256. A link works once, until it expires, and
  not after the administrator withdrew it or removed the role it offers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from matching.accounts import invitation_links as links
from matching.accounts.invitation_links import (  # re-exported: callers read them here
    INVITATION_WITHDRAWN_MESSAGE as INVITATION_WITHDRAWN_MESSAGE,
)
from matching.accounts.invitation_links import (
    MEMBERSHIP_EXPIRED_MESSAGE as MEMBERSHIP_EXPIRED_MESSAGE,
)
from matching.accounts.invitation_links import membership_link_user_id as membership_link_user_id
from matching.accounts.signup import (
    NAME_MAX_CHARS,
    _collect,
    _flush_or_taken,
    _record_membership,
    _required_text,
    _user_by_email,
    normalise_email,
    password_problem,
)
from matching.accounts.tokens import (
    INVITATION,
    MEMBERSHIP,
    TOKEN_INVALID_MESSAGE,
    TOKEN_USED_MESSAGE,
)
from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.core.mail import Message
from matching.core.security import hash_password
from matching.models import (
    ROLES_BY_ORG_KIND,
    AuditAction,
    MemberInvitation,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    utcnow,
)


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


MEMBERSHIP_USED_MESSAGE = "Invitationen er allerede bekræftet: du har rollen i organisationen."


INVITATION_USED_MESSAGE = (
    "Invitationen er allerede brugt. Bed en administrator i organisationen om en ny invitation."
)


WITHDRAWN_ALREADY_MESSAGE = "Invitationen er allerede brugt eller trukket tilbage."


# Refusing a role the e-mail already has is only done for members the administrator can see
# on their own members page anyway; the wording reveals nothing beyond that list.
ALREADY_LISTED_MESSAGE = "Denne e-mail står allerede på listen over brugere med den valgte rolle."


@dataclass(frozen=True)
class Invitation:
    """The outcome of :func:`invite_member`.

    ``new_user``: a user was created with the membership; they get a link to choose a password.
    Otherwise ``membership`` is None: an existing, active ``user`` gets a link to confirm the
    role, and for a deactivated one ``user`` is None and nothing is sent. ``name`` is what the
    administrator typed; the stored name of an existing user is never shown to them.
    ``nonce`` is the secret of the link (``record`` stores only its SHA-256); it goes into the
    e-mail and nowhere else.
    """

    email: str
    name: str
    organisation: Organisation
    role: Role
    user: User | None
    membership: Membership | None
    new_user: bool
    record: MemberInvitation
    nonce: str


@dataclass(frozen=True)
class MembershipOffer:
    """A checked membership link: ``user`` may confirm ``role`` in ``organisation``."""

    user: User
    organisation: Organisation
    role: Role
    record: MemberInvitation


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
    now = utcnow()
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
        record, nonce = links.issue(
            session, actor, user, organisation, chosen, address, person, now=now, new_user=True
        )
        return Invitation(
            address, person, organisation, chosen, user, membership, True, record, nonce
        )

    # A deactivated user gets a record too (never sent, and refused if used), so the list of
    # pending invitations does not tell the administrator who is deactivated.
    invited = user if user.active else None
    record, nonce = links.issue(
        session, actor, user, organisation, chosen, address, person, now=now
    )
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "membership_invitation",
        record.id,
        details={
            "user_id": user.id,
            "organisation_id": organisation.id,
            "role": chosen.value,
            "email": address,
            "sent": invited is not None,
        },
    )
    session.flush()
    return Invitation(address, person, organisation, chosen, invited, None, False, record, nonce)


def pending_invitations(session: Session, organisation_id: int) -> list[MemberInvitation]:
    """The organisation's invitations that are neither used, withdrawn nor expired, newest
    first."""
    return list(
        session.scalars(
            select(MemberInvitation)
            .where(
                MemberInvitation.organisation_id == organisation_id,
                MemberInvitation.used_at.is_(None),
                MemberInvitation.revoked_at.is_(None),
                MemberInvitation.expires_at > utcnow(),
            )
            .order_by(MemberInvitation.created_at.desc(), MemberInvitation.id.desc())
        )
    )


def withdraw_invitation(
    session: Session,
    actor_membership: Membership,
    invitation_id: int,
    *,
    ip_address: str | None = None,
) -> MemberInvitation:
    """Withdraw a pending invitation of the acting administrator's organisation: its link stops
    working. The role a new user was created with goes with it (that user has never chosen a
    password, so the role was only ever reachable through the link)."""
    actor = _admin_actor(actor_membership, ip_address)
    organisation_id = actor_membership.organisation_id
    record = session.get(MemberInvitation, invitation_id)
    if record is None or record.organisation_id != organisation_id:
        raise OutOfScope("membership_invitation", invitation_id, exists=record is not None)
    now = utcnow()
    result = session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.id == record.id,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(record)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError(WITHDRAWN_ALREADY_MESSAGE)
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        "membership_invitation",
        record.id,
        details={
            "event": "invitation_withdrawn",
            "user_id": record.user_id,
            "organisation_id": organisation_id,
            "role": record.role.value,
        },
    )
    if record.new_user:
        membership = session.scalar(
            select(Membership).where(
                Membership.user_id == record.user_id,
                Membership.organisation_id == organisation_id,
                Membership.role == record.role,
            )
        )
        if membership is not None:
            _record_membership(session, actor, AuditAction.DELETE, membership)
            session.delete(membership)
    session.flush()
    return record


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
    # A link still waiting for this role (a new user's, or a second invitation) dies with it.
    links.revoke_pending(
        session, membership.user_id, organisation_id, membership.role, now=utcnow()
    )
    session.flush()
    remaining = session.scalar(
        select(func.count(Membership.id)).where(Membership.user_id == membership.user_id)
    )
    if not remaining:  # the last role gone: every portal session of the user ends
        membership.user.session_version += 1
        session.flush()
    return membership


def membership_offer(session: Session, nonce: str, user: User) -> MembershipOffer:
    """What a role invitation link offers the logged-in ``user``, or ValidationError (key
    ``token``: unknown, expired, withdrawn or already used). A link sent to someone else is
    PermissionDenied."""
    record = links.record_for_link(session, nonce)
    if record.new_user:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if record.user_id != user.id:
        raise PermissionDenied("membership link of another user")
    now = utcnow()
    holds = _holds(session, record.user_id, record.organisation_id, record.role)
    used = MEMBERSHIP_USED_MESSAGE if holds else INVITATION_USED_MESSAGE
    links.check_pending(record, used_message=used, now=now)
    if record.role not in ROLES_BY_ORG_KIND[record.organisation.kind]:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if holds:
        raise ValidationError({"token": MEMBERSHIP_USED_MESSAGE})
    return MembershipOffer(record.user, record.organisation, record.role, record)


def accept_membership(
    session: Session, nonce: str, user: User, *, ip_address: str | None = None
) -> Membership:
    """The logged-in ``user`` confirms a role invitation link: the invitation is marked used
    (a conditional UPDATE: of two requests with one link exactly one gets through) and the
    membership is created."""
    offer = membership_offer(session, nonce, user)
    links.use_once(session, offer.record, used_message=MEMBERSHIP_USED_MESSAGE, now=utcnow())
    membership = Membership(user=offer.user, organisation=offer.organisation, role=offer.role)
    session.add(membership)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the role was given some other way at the same moment
        raise ValidationError({"token": MEMBERSHIP_USED_MESSAGE}) from None
    actor = Actor.member(membership, ip_address)
    _record_membership(session, actor, AuditAction.CREATE, membership, event=MEMBERSHIP.audit_event)
    session.flush()
    return membership


def end_password_links(session: Session, user_id: int) -> None:
    """Withdraw the user's unused new-user invitation links: called when the password is set
    another way (a reset link), so an old invitation mail cannot set it again."""
    session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.user_id == user_id,
            MemberInvitation.new_user.is_(True),
            MemberInvitation.used_at.is_(None),
            MemberInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def new_user_invitation(session: Session, nonce: str) -> User:
    """The new user a password link from an invitation is for, or ValidationError (key
    ``token``) if it is unknown, expired, withdrawn or used."""
    record = links.record_for_link(session, nonce)
    if not record.new_user:  # a role invitation sets no password
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    links.check_pending(record, used_message=TOKEN_USED_MESSAGE, now=utcnow())
    return record.user


def accept_new_user_invitation(
    session: Session,
    nonce: str,
    password: str,
    *,
    name: str,
    ip_address: str | None = None,
) -> User:
    """A new user sets name and password from their invitation link, which is then used up.
    A refused password leaves the link working."""
    user = new_user_invitation(session, nonce)
    record = links.record_for_link(session, nonce)
    errors: dict[str, str] = {}
    person = _required_text(errors, "name", name, NAME_MAX_CHARS, "Indtast dit navn.")
    problem = password_problem(password, user.email)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    links.use_once(session, record, used_message=TOKEN_USED_MESSAGE, now=utcnow())
    user.password_hash = hash_password(password)
    user.session_version += 1
    if person:
        user.name = person
    audit.record(
        session,
        Actor(user_id=user.id, organisation_id=None, ip_address=ip_address),
        AuditAction.UPDATE,
        "user",
        user.id,
        details={"event": INVITATION.audit_event, "invitation_id": record.id},
    )
    session.flush()
    return user


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
