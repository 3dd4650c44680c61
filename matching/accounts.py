"""Accounts: employer sign-up, inviting and removing colleagues, and password links.

Rules kept here rather than in the portal, so every way in (web, CLI, tests) obeys them:

- An administrator manages only their *own* organisation: the organisation always comes from
  the acting membership, never from what a form says.
- A role must fit the kind of organisation (:data:`~matching.models.ROLES_BY_ORG_KIND`).
- An organisation keeps at least one administrator.
- Invitation and password-reset links are signed tokens (``itsdangerous``) carrying the user id
  and a fingerprint of the current password hash. Setting a password changes the hash, so a
  link works once; a separate salt per purpose stops an invitation link from resetting a
  password and vice versa. The same fingerprint is kept in the portal's login session, so a
  new password also ends every other session of the user.
- A user who already exists is never added to an organisation without consent: inviting their
  e-mail sends a link (user, organisation, role; 7 days) that the user confirms while logged
  in, and the administrator gets the same answer as for a new e-mail without learning the
  stored name or whether the e-mail was known.

Functions flush; callers commit. Every change is written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from matching import audit
from matching.access import OutOfScope
from matching.audit import Actor
from matching.errors import PermissionDenied, ValidationError
from matching.mail import Message
from matching.models import (
    ROLES_BY_ORG_KIND,
    AuditAction,
    AuditEntry,
    Membership,
    Organisation,
    OrgKind,
    PNumber,
    Role,
    User,
    utcnow,
)
from matching.security import MIN_PASSWORD_CHARS, hash_password

CVR_DIGITS = 8
PNR_DIGITS = 10
MAX_P_NUMBERS = 100
POSTAL_CODE_RE = re.compile(r"\d{4}")
MAX_PASSWORD_CHARS = 1024
EMAIL_MAX_CHARS = 254
NAME_MAX_CHARS = 200
ADDRESS_MAX_CHARS = 200
INDUSTRY_MAX_CHARS = 120
TOKEN_MAX_CHARS = 512  # a real token is ~80 characters; refuse junk before parsing it
_FINGERPRINT_CHARS = 16

V = TypeVar("V")
R = TypeVar("R")

CVR_TAKEN_MESSAGE = (
    "Virksomheden med dette CVR-nummer er allerede oprettet. Bed en kollega om en invitation."
)
# Says no more than the login page would: the e-mail cannot be used for a new sign-up.
EMAIL_TAKEN_MESSAGE = "Brug en anden e-mail, eller log ind, hvis du allerede har en bruger."
LAST_ADMIN_MESSAGE = (
    "Organisationen skal have mindst én administrator. Giv en kollega rollen som "
    "administrator, før du fjerner denne."
)
TOKEN_INVALID_MESSAGE = "Linket er ugyldigt. Tjek, at du har kopieret hele linket fra e-mailen."
TOKEN_EXPIRED_MESSAGE = (
    "Linket er udløbet. Bed om et nyt link under »Glemt adgangskode?« på login-siden."
)
TOKEN_USED_MESSAGE = (
    "Linket er allerede brugt. Log ind med din adgangskode, eller bed om et nyt link under "
    "»Glemt adgangskode?«."
)
MEMBERSHIP_EXPIRED_MESSAGE = (
    "Invitationen er udløbet. Bed den administrator, der inviterede dig, om en ny invitation."
)
MEMBERSHIP_USED_MESSAGE = "Invitationen er allerede bekræftet: du har rollen i organisationen."
# Refusing a role the e-mail already has is only done for members the administrator can see
# on their own members page anyway; the wording reveals nothing beyond that list.
ALREADY_LISTED_MESSAGE = "Denne e-mail står allerede på listen over brugere med den valgte rolle."
PASSWORD_RESETS_PER_HOUR = 5
# Failed logins allowed in LOGIN_WINDOW before the login form stops checking passwords: per
# e-mail address (guessing one account's password) and per client address (trying many).
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES_PER_EMAIL = 10
LOGIN_FAILURES_PER_ADDRESS = 50
LOGIN_FAILURES_READ_AT_MOST = 1_000
# Companies one client address may register per hour (a jobcentre's office helping several
# companies fits; a script creating companies to flood the approvers' queue does not).
SIGNUP_WINDOW = timedelta(hours=1)
SIGNUPS_PER_ADDRESS = 10


@dataclass(frozen=True)
class TokenPurpose:
    """What a signed link may be used for, and for how long."""

    salt: str
    max_age_seconds: int
    audit_event: str


INVITATION = TokenPurpose("invitation", 7 * 24 * 3600, "invitation_accepted")
PASSWORD_RESET = TokenPurpose("password-reset", 3600, "password_reset_completed")
MEMBERSHIP = TokenPurpose("membership", 7 * 24 * 3600, "membership_invitation_accepted")


@dataclass(frozen=True)
class SignupResult:
    """What :func:`signup_employer` created; the employer membership is the one to start in."""

    organisation: Organisation
    user: User
    employer_membership: Membership


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


# --- Validating input ---------------------------------------------------------------------------


def validate_cvr(value: str) -> str:
    """The 8 digits of a CVR number (spaces allowed in input), or ValidationError.

    Modulus 11 is deliberately not checked: the CVR register has issued numbers without it.
    """
    digits = re.sub(r"\s+", "", value or "")
    if not (len(digits) == CVR_DIGITS and digits.isascii() and digits.isdigit()):
        raise ValidationError({"cvr": "CVR-nummeret skal være 8 cifre, fx 12345678."})
    if digits[0] == "0":
        raise ValidationError({"cvr": "Et CVR-nummer kan ikke begynde med 0."})
    return digits


def validate_pnr(value: str) -> str:
    """The 10 digits of a P-number (spaces allowed in input), or ValidationError."""
    digits = re.sub(r"\s+", "", value or "")
    if not (len(digits) == PNR_DIGITS and digits.isascii() and digits.isdigit()):
        raise ValidationError({"pnr": "Et P-nummer skal være 10 cifre, fx 1012345678."})
    return digits


def parse_p_numbers(values: Iterable[str]) -> list[str]:
    """Validate a list of P-numbers (blank entries ignored): at least one, no repeats."""
    raw = [v.strip() for v in values if v and v.strip()]
    if not raw:
        raise ValidationError({"p_numbers": "Angiv mindst ét P-nummer."})
    if len(raw) > MAX_P_NUMBERS:
        raise ValidationError({"p_numbers": f"Angiv højst {MAX_P_NUMBERS} P-numre."})
    digits: list[str] = []
    for value in raw:
        try:
            pnr = validate_pnr(value)
        except ValidationError:
            raise ValidationError(
                {"p_numbers": f"»{value[:20]}« er ikke et P-nummer. Et P-nummer er 10 cifre."}
            ) from None
        if pnr in digits:
            raise ValidationError({"p_numbers": f"P-nummeret {pnr} står der flere gange."})
        digits.append(pnr)
    return digits


def split_p_numbers(text: str) -> list[str]:
    """P-numbers typed one per line (commas and semicolons also separate)."""
    return [part for part in re.split(r"[\n\r,;]+", text or "") if part.strip()]


def normalise_email(value: str) -> str:
    """Lower-cased, trimmed e-mail address, or ValidationError (key ``email``)."""
    email = (value or "").strip().lower()
    if not email:
        raise ValidationError({"email": "Indtast en e-mail."})
    if len(email) > EMAIL_MAX_CHARS:
        raise ValidationError({"email": "E-mailen er for lang."})
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError({"email": "Indtast en gyldig e-mail, fx navn@eksempel.dk."}) from None
    return email


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is not acceptable (Danish), or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Adgangskoden skal være mindst {MIN_PASSWORD_CHARS} tegn."
    if len(password) > MAX_PASSWORD_CHARS:
        return f"Adgangskoden må højst være {MAX_PASSWORD_CHARS} tegn."
    if email and password.strip().lower() == email.strip().lower():
        return "Adgangskoden må ikke være din e-mail."
    return None


def _clean_text(value: str | None) -> str:
    """One line of text: surrounding and repeated whitespace (including line breaks) removed.

    Names end up in e-mail headers, where a line break would be a header injection.
    """
    return " ".join((value or "").split())


def _required_text(
    errors: dict[str, str], key: str, value: str | None, max_chars: int, missing: str
) -> str:
    text = _clean_text(value)
    if not text:
        errors[key] = missing
    elif len(text) > max_chars:
        errors[key] = f"Højst {max_chars} tegn."
    return text


def _collect(errors: dict[str, str], key: str, check: Callable[[V], R], value: V) -> R | None:
    """Run ``check(value)``; on ValidationError file its message under ``key``."""
    try:
        return check(value)
    except ValidationError as exc:
        errors[key] = next(iter(exc.errors.values()))
        return None


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


# --- Sign-up ------------------------------------------------------------------------------------


def signup_employer(
    session: Session,
    *,
    company_name: str,
    cvr: str,
    industry: str | None,
    address: str,
    postal_code: str,
    p_numbers: list[str],
    admin_name: str,
    admin_email: str,
    password: str,
    contact_email: str | None = None,
    ip_address: str | None = None,
) -> SignupResult:
    """Create an employer, its P-units and its first user (administrator and employer user).

    Every problem is reported at once in one ValidationError keyed by the argument names. The
    address and postal code belong to the first P-unit; ``contact_email`` defaults to the
    administrator's e-mail.
    """
    errors: dict[str, str] = {}
    name = _required_text(
        errors, "company_name", company_name, NAME_MAX_CHARS, "Indtast virksomhedens navn."
    )
    cvr_digits = _collect(errors, "cvr", validate_cvr, cvr)
    industry_text = _clean_text(industry)
    if len(industry_text) > INDUSTRY_MAX_CHARS:
        errors["industry"] = f"Højst {INDUSTRY_MAX_CHARS} tegn."
    pnrs = _collect(errors, "p_numbers", parse_p_numbers, p_numbers) or []
    street = _required_text(errors, "address", address, ADDRESS_MAX_CHARS, "Indtast adressen.")
    postal = (postal_code or "").strip()
    if not POSTAL_CODE_RE.fullmatch(postal):
        errors["postal_code"] = "Postnummeret skal være 4 cifre, fx 5000."
    person = _required_text(errors, "admin_name", admin_name, NAME_MAX_CHARS, "Indtast dit navn.")
    email = _collect(errors, "admin_email", normalise_email, admin_email)
    org_email = email
    if contact_email:
        org_email = _collect(errors, "contact_email", normalise_email, contact_email)
    problem = password_problem(password, email or "")
    if problem:
        errors["password"] = problem

    if cvr_digits and session.scalar(select(Organisation.id).where(Organisation.cvr == cvr_digits)):
        errors["cvr"] = CVR_TAKEN_MESSAGE
    if email and _user_by_email(session, email) is not None:
        errors["admin_email"] = EMAIL_TAKEN_MESSAGE
    if pnrs:
        taken = sorted(session.scalars(select(PNumber.pnr).where(PNumber.pnr.in_(pnrs))))
        if taken:
            errors["p_numbers"] = (
                f"P-nummeret {', '.join(taken)} er allerede oprettet i Jobbro af en anden "
                "virksomhed."
            )
    if errors:
        raise ValidationError(errors)

    organisation = Organisation(
        kind=OrgKind.EMPLOYER,
        name=name,
        cvr=cvr_digits,
        industry=industry_text or None,
        email=org_email,
    )
    organisation.p_numbers = [
        PNumber(
            pnr=pnr,
            name=name,
            address=street if i == 0 else None,
            postal_code=postal if i == 0 else None,
        )
        for i, pnr in enumerate(pnrs)
    ]
    user = User(email=email, name=person, password_hash=hash_password(password), active=True)
    admin = Membership(user=user, organisation=organisation, role=Role.ADMIN)
    employer = Membership(user=user, organisation=organisation, role=Role.EMPLOYER)
    session.add_all([organisation, user, admin, employer])
    _flush_or_taken(session)
    # Not confirmed until the jobcentre has checked the CVR (matching.verification). Set after
    # the insert: the column's default confirms every organisation created any other way.
    organisation.verified_at = None

    actor = Actor(
        user_id=user.id,
        organisation_id=organisation.id,
        role=Role.ADMIN.value,
        ip_address=ip_address,
    )
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "organisation",
        organisation.id,
        details={"event": "employer_signup", "cvr": cvr_digits, "p_numbers": pnrs},
    )
    audit.record(session, actor, AuditAction.CREATE, "user", user.id, details={"email": email})
    for membership in (admin, employer):
        _record_membership(session, actor, AuditAction.CREATE, membership)
    return SignupResult(organisation, user, employer)


def _flush_or_taken(session: Session) -> None:
    """Flush; a unique constraint hit here means someone else just registered the same thing."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationError(
            "CVR-nummeret, et P-nummer eller e-mailen er netop blevet oprettet af en anden. "
            "Prøv igen."
        ) from None


def _record_membership(
    session: Session, actor: Actor, action: AuditAction, membership: Membership
) -> None:
    audit.record(
        session,
        actor,
        action,
        "membership",
        membership.id,
        details={
            "user_id": membership.user_id,
            "organisation_id": membership.organisation_id,
            "role": membership.role.value,
        },
    )


# --- Colleagues ---------------------------------------------------------------------------------


def _admin_actor(actor_membership: Membership, ip_address: str | None) -> Actor:
    if actor_membership.role is not Role.ADMIN or not actor_membership.organisation.active:
        raise PermissionDenied("only an administrator of an active organisation manages users")
    return Actor(
        user_id=actor_membership.user_id,
        organisation_id=actor_membership.organisation_id,
        role=actor_membership.role.value,
        ip_address=ip_address,
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
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen is None or chosen not in ROLES_BY_ORG_KIND[organisation.kind]:
        errors["role"] = "Vælg en af rollerne på listen."
    if errors:
        raise ValidationError(errors)
    assert address is not None and chosen is not None

    # Hashed whether or not it is needed, so the answer takes as long for a known e-mail.
    placeholder_hash = hash_password(secrets.token_urlsafe(32))
    user = _user_by_email(session, address)
    if user is not None and session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id,
            Membership.organisation_id == organisation.id,
            Membership.role == chosen,
        )
    ):
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


# --- Password links -----------------------------------------------------------------------------


def _serializer(secret_key: str, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=purpose.salt)


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does.

    Signed links carry it, and so does the portal's login session: a new password ends both.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()[:_FINGERPRINT_CHARS]


def make_token(secret_key: str, purpose: TokenPurpose, user: User) -> str:
    """A URL-safe signed token for ``user`` and ``purpose``, valid until the password changes
    or ``purpose.max_age_seconds`` have passed."""
    return _serializer(secret_key, purpose).dumps(
        [user.id, password_fingerprint(user.password_hash)]
    )


def user_for_token(
    session: Session,
    secret_key: str,
    purpose: TokenPurpose,
    token: str,
    *,
    max_age_seconds: int | None = None,
    for_update: bool = False,
) -> User:
    """The user a token was issued to, or ValidationError (key ``token``) saying whether the
    link is invalid, expired or already used."""
    if not token or len(token) > TOKEN_MAX_CHARS:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    max_age = purpose.max_age_seconds if max_age_seconds is None else max_age_seconds
    try:
        payload = _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError({"token": TOKEN_EXPIRED_MESSAGE}) from None
    except BadData:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE}) from None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    # FOR UPDATE when about to use the token: two requests with one link must not both pass.
    user = session.get(User, payload[0], with_for_update=for_update or None)
    if user is None or not user.active:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if not hmac.compare_digest(payload[1], password_fingerprint(user.password_hash)):
        raise ValidationError({"token": TOKEN_USED_MESSAGE})
    return user


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
    if not token or len(token) > TOKEN_MAX_CHARS:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    try:
        payload = _serializer(secret_key, MEMBERSHIP).loads(
            token, max_age=MEMBERSHIP.max_age_seconds
        )
    except SignatureExpired:
        raise ValidationError({"token": MEMBERSHIP_EXPIRED_MESSAGE}) from None
    except BadData:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE}) from None
    if not (
        isinstance(payload, list)
        and len(payload) == 3
        and all(isinstance(value, int) and not isinstance(value, bool) for value in payload[:2])
        and isinstance(payload[2], str)
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    return payload[0], payload[1], payload[2]


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
    try:
        role = Role(role_value)
    except ValueError:
        role = None
    if (
        locked is None
        or not locked.active
        or organisation is None
        or not organisation.active
        or role is None
        or role not in ROLES_BY_ORG_KIND[organisation.kind]
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if session.scalar(
        select(Membership.id).where(
            Membership.user_id == locked.id,
            Membership.organisation_id == organisation.id,
            Membership.role == role,
        )
    ):
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
    actor = Actor(
        user_id=offer.user.id,
        organisation_id=offer.organisation.id,
        role=offer.role.value,
        ip_address=ip_address,
    )
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "membership",
        membership.id,
        details={
            "event": MEMBERSHIP.audit_event,
            "user_id": offer.user.id,
            "organisation_id": offer.organisation.id,
            "role": offer.role.value,
        },
    )
    session.flush()
    return membership


def set_password_with_token(
    session: Session,
    secret_key: str,
    purpose: TokenPurpose,
    token: str,
    password: str,
    *,
    name: str | None = None,
    max_age_seconds: int | None = None,
    ip_address: str | None = None,
) -> User:
    """Check the token, then set the password (and, for invitations, the user's name).

    The new hash invalidates the token and every other link issued before it.
    """
    user = user_for_token(
        session, secret_key, purpose, token, max_age_seconds=max_age_seconds, for_update=True
    )
    errors: dict[str, str] = {}
    person = None
    if name is not None:
        person = _required_text(errors, "name", name, NAME_MAX_CHARS, "Indtast dit navn.")
    problem = password_problem(password, user.email)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(password)
    if person:
        user.name = person
    audit.record(
        session,
        Actor(user_id=user.id, organisation_id=None, ip_address=ip_address),
        AuditAction.UPDATE,
        "user",
        user.id,
        details={"event": purpose.audit_event},
    )
    session.flush()
    return user


def request_password_reset(
    session: Session, email: str, *, ip_address: str | None = None
) -> User | None:
    """Audit a reset request; return the user to mail a link to (None if unknown, inactive, or
    asked for more than :data:`PASSWORD_RESETS_PER_HOUR` times in the last hour).

    Callers must answer the same either way, so the page does not reveal who has an account.
    The limit is counted from the audit entries of earlier requests.
    """
    normalised = (email or "").strip().lower()[:EMAIL_MAX_CHARS]
    user = _user_by_email(session, normalised) if normalised else None
    if user is not None and not user.active:
        user = None
    # The same query for unknown e-mails (matching nothing), so both take as long.
    earlier = _recent_reset_requests(session, str(user.id) if user else "")
    throttled = user is not None and earlier >= PASSWORD_RESETS_PER_HOUR
    details: dict[str, object] = {"event": "password_reset_requested", "email": normalised}
    if throttled:
        details["throttled"] = True
    audit.record(
        session,
        Actor(user_id=None, organisation_id=None, ip_address=ip_address),
        AuditAction.UPDATE,
        "user",
        user.id if user else None,
        details=details,
    )
    session.flush()
    return None if throttled else user


def login_throttled(
    session: Session, email: str, ip_address: str | None, *, now: datetime | None = None
) -> bool:
    """Whether a login for ``email`` from ``ip_address`` must wait, counted from the audit log's
    failed logins in the last :data:`LOGIN_WINDOW`.

    Counted by the typed e-mail (not the user id), so an unknown address is throttled exactly
    like a real one and the limit does not reveal who has an account. Attempts refused while
    throttled are logged but not counted, so the wait ends :data:`LOGIN_WINDOW` after the last
    real failure instead of growing for as long as someone keeps trying.
    """
    since = (now or utcnow()) - LOGIN_WINDOW
    normalised = email.strip().lower()
    recent = select(AuditEntry.details, AuditEntry.ip_address).where(
        AuditEntry.action == AuditAction.LOGIN_FAILED,
        AuditEntry.at >= since,
        AuditEntry.object_type == "user",
    )
    by_address = 0
    if ip_address:
        by_address = session.scalar(
            select(func.count()).select_from(
                recent.where(AuditEntry.ip_address == ip_address).subquery()
            )
        )
        if by_address >= LOGIN_FAILURES_PER_ADDRESS:
            return True
    rows = session.execute(recent.order_by(AuditEntry.id.desc()).limit(LOGIN_FAILURES_READ_AT_MOST))
    by_email = sum(
        1
        for details, _ in rows
        if (details or {}).get("email") == normalised and not (details or {}).get("throttled")
    )
    return by_email >= LOGIN_FAILURES_PER_EMAIL


def signup_throttled(
    session: Session, ip_address: str | None, *, now: datetime | None = None
) -> bool:
    """Whether ``ip_address`` registered :data:`SIGNUPS_PER_ADDRESS` companies in the last
    :data:`SIGNUP_WINDOW` (counted from the audit log's creations of organisations)."""
    if not ip_address:
        return False
    since = (now or utcnow()) - SIGNUP_WINDOW
    count = session.scalar(
        select(func.count()).where(
            AuditEntry.action == AuditAction.CREATE,
            AuditEntry.object_type == "organisation",
            AuditEntry.ip_address == ip_address,
            AuditEntry.at >= since,
        )
    )
    return count >= SIGNUPS_PER_ADDRESS


def _recent_reset_requests(session: Session, user_id: str) -> int:
    """Reset requests for the user in the last hour, from the audit log."""
    entries = session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.object_type == "user",
            AuditEntry.object_id == user_id,
            AuditEntry.action == AuditAction.UPDATE,
            AuditEntry.at >= utcnow() - timedelta(hours=1),
        )
    )
    return sum(1 for details in entries if details.get("event") == "password_reset_requested")


# --- The e-mails --------------------------------------------------------------------------------


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


def password_reset_message(user: User, link: str) -> Message:
    """The e-mail with the link to choose a new password."""
    minutes = PASSWORD_RESET.max_age_seconds // 60
    body = (
        f"Hej {user.name}\n\n"
        "Vi har fået en anmodning om at nulstille adgangskoden til din bruger i Jobbro.\n\n"
        f"Vælg en ny adgangskode her. Linket virker i {minutes} minutter og kan kun bruges "
        f"én gang:\n{link}\n\n"
        "Har du ikke bedt om det, kan du se bort fra denne e-mail. Din adgangskode er ikke "
        "ændret.\n\n"
        "Venlig hilsen\nJobbro\n"
    )
    return Message(to=user.email, subject="Nulstil din adgangskode til Jobbro", body=body)
