"""Forgotten passwords: reset links by e-mail (rate-limited) and setting a new password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.accounts.signup import (
    EMAIL_MAX_CHARS,
    NAME_MAX_CHARS,
    _required_text,
    _user_by_email,
    password_problem,
)
from matching.accounts.tokens import PASSWORD_RESET, TokenPurpose, user_for_token
from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.mail import Message
from matching.core.security import hash_password
from matching.models import (
    AuditAction,
    AuditEntry,
    User,
    utcnow,
)

PASSWORD_RESETS_PER_HOUR = 5


def set_password_with_token(
    session: Session,
    secret_key: str,
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
