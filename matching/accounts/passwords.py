"""Forgotten passwords: reset links by e-mail (rate-limited) and setting a new password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from matching.accounts import throttling
from matching.accounts.members import end_password_links
from matching.accounts.signup import (
    EMAIL_MAX_CHARS,
    NAME_MAX_CHARS,
    _required_text,
    _user_by_email,
    password_problem,
)
from matching.accounts.tokens import PASSWORD_RESET, SecretKeys, TokenPurpose, user_for_token
from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.mail import Message
from matching.core.security import hash_password
from matching.models import (
    AuditAction,
    User,
    utcnow,
)

# Reset requests audited and mailed per hour: per typed e-mail, and per client address (an
# office behind one address asks for a few; a script guessing e-mails asks for many).
RESET_WINDOW = timedelta(hours=1)


PASSWORD_RESETS_PER_HOUR = 5


PASSWORD_RESETS_PER_ADDRESS = 20


RESET_REQUEST = "password_reset"  # the audit log's object type (object_id: the e-mail's key)


def set_password_with_token(
    session: Session,
    secret_key: SecretKeys,
    purpose: TokenPurpose,
    token: str,
    password: str,
    *,
    name: str | None = None,
    ip_address: str | None = None,
) -> User:
    """Check the token, then set the password (and, for invitations, the user's name).

    The new hash invalidates the token and every other link issued before it.
    """
    user = user_for_token(session, secret_key, purpose, token, for_update=True)
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
    user.session_version += 1  # every portal session started with the old password ends
    end_password_links(session, user.id)  # an unused invitation link cannot set it again
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
    over a limit).

    At most :data:`PASSWORD_RESETS_PER_HOUR` requests per typed e-mail (known or not) and
    :data:`PASSWORD_RESETS_PER_ADDRESS` per client address an hour are audited and answered
    with a mail; beyond them nothing is written but one row per hour saying the limit was
    reached (:func:`matching.accounts.throttling.note_refused`). Callers must answer the same
    either way, so the page does not reveal who has an account or who is being throttled.
    """
    normalised = (email or "").strip().lower()[:EMAIL_MAX_CHARS]
    since = utcnow() - RESET_WINDOW
    if throttling.request_refused(
        session,
        RESET_REQUEST,
        since,
        email=normalised,
        ip_address=ip_address,
        per_address=PASSWORD_RESETS_PER_ADDRESS,
        per_email=PASSWORD_RESETS_PER_HOUR,
        details={"event": "password_reset_requested", "email": normalised},
    ):
        return None
    user = _user_by_email(session, normalised) if normalised else None
    if user is not None and not user.active:
        user = None
    audit.record(
        session,
        Actor(user_id=None, organisation_id=None, ip_address=ip_address),
        AuditAction.UPDATE,
        RESET_REQUEST,
        throttling.email_key(normalised),
        details={
            "event": "password_reset_requested",
            "email": normalised,
            **({"user_id": user.id} if user else {}),
        },
    )
    session.flush()
    return user


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
