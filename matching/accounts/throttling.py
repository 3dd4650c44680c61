"""Throttling of logins, sign-ups and forgotten-password requests, counted from the audit log.

Anonymous requests must not grow the append-only audit log without bound, so every limit is
checked *before* anything is written: an attempt within the limits is one row (it is also what
the next check counts); a refused attempt writes nothing, except one row per window that says
the limit was reached (:func:`note_refused`), per client address or per e-mail, whichever
refused it.

Counted e-mails are kept in ``object_id`` as :func:`email_key` (a fixed-length hash of the typed
e-mail, known or not), so the count for one e-mail is an index look-up on ``(object_type,
object_id)`` and the time window, not a scan of recent rows that junk for other e-mails could
push out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.models import (
    AuditAction,
    AuditEntry,
    utcnow,
)

# Object types of the counted rows in the audit log (``object_id`` is :func:`email_key`).
LOGIN_ATTEMPT = "login"
REFUSED_SUFFIX = "_refused"  # e.g. "login_refused": a limit was reached (one row per window)

# Failed logins allowed in LOGIN_WINDOW before the login form stops checking passwords: per
# e-mail address (guessing one account's password) and per client address (trying many).
LOGIN_WINDOW = timedelta(minutes=15)


LOGIN_FAILURES_PER_EMAIL = 10


LOGIN_FAILURES_PER_ADDRESS = 50


# Companies one client address may register per hour (a jobcentre's office helping several
# companies fits; a script creating companies to flood the approvers' queue does not).
SIGNUP_WINDOW = timedelta(hours=1)


SIGNUPS_PER_ADDRESS = 10


def email_key(email: str) -> str:
    """The audit log's key for a typed e-mail (trimmed, lower-cased): 40 hex digits of its
    SHA-256, so it fits ``object_id`` and is looked up through its index."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:40]


def count_attempts(
    session: Session,
    object_type: str,
    since: datetime,
    *,
    email: str | None = None,
    ip_address: str | None = None,
) -> int:
    """Rows of ``object_type`` since ``since`` for one e-mail or one client address."""
    query = select(func.count()).where(
        AuditEntry.object_type == object_type, AuditEntry.at >= since
    )
    if email is not None:
        query = query.where(AuditEntry.object_id == email_key(email))
    else:
        query = query.where(AuditEntry.ip_address == ip_address)
    return session.scalar(query) or 0


def note_refused(
    session: Session,
    object_type: str,
    since: datetime,
    *,
    email: str,
    ip_address: str | None,
    by_address: bool,
    user_id: int | None = None,
    action: AuditAction = AuditAction.UPDATE,
    details: dict | None = None,
) -> bool:
    """Write one ``<object_type>_refused`` row unless one was written since ``since`` for the
    same client address (``by_address``) or the same e-mail; whether a row was written."""
    refused = object_type + REFUSED_SUFFIX
    key = "a:" + email_key(ip_address or "") if by_address else "e:" + email_key(email)
    key = key[:40]
    if session.scalar(
        select(AuditEntry.id)
        .where(AuditEntry.object_type == refused, AuditEntry.object_id == key)
        .where(AuditEntry.at >= since)
        .limit(1)
    ):
        return False
    audit.record(
        session,
        Actor(user_id=user_id, organisation_id=None, ip_address=ip_address),
        action,
        refused,
        key,
        details={**(details or {}), "by": "address" if by_address else "email"},
    )
    session.flush()
    return True


def request_refused(
    session: Session,
    object_type: str,
    since: datetime,
    *,
    email: str,
    ip_address: str | None,
    per_address: int,
    per_email: int,
    details: dict | None = None,
) -> bool:
    """Whether an anonymous request of ``object_type`` (a password reset, a sign-up) is over
    its limit since ``since``: ``per_address`` for the client address, else ``per_email`` for
    the typed e-mail. When it is, the refusal is noted once per window (:func:`note_refused`)."""
    by_address = bool(ip_address) and (
        count_attempts(session, object_type, since, ip_address=ip_address) >= per_address
    )
    by_email = (
        not by_address and count_attempts(session, object_type, since, email=email) >= per_email
    )
    if not (by_address or by_email):
        return False
    note_refused(
        session,
        object_type,
        since,
        email=email,
        ip_address=ip_address,
        by_address=by_address,
        details=details,
    )
    return True


def login_throttled(
    session: Session, email: str, ip_address: str | None, *, now: datetime | None = None
) -> bool:
    """Whether a login for ``email`` from ``ip_address`` must wait: counted from the failed
    logins (:func:`record_login_failure`) in the last :data:`LOGIN_WINDOW`.

    Counted by the typed e-mail (not the user id), so an unknown address is throttled exactly
    like a real one and the limit does not reveal who has an account. Attempts refused while
    throttled are not counted, so the wait ends :data:`LOGIN_WINDOW` after the last real failure
    instead of growing for as long as someone keeps trying.
    """
    return _login_limit(session, email, ip_address, now=now) is not None


def _login_limit(
    session: Session, email: str, ip_address: str | None, *, now: datetime | None = None
) -> str | None:
    """Which limit is reached: "address", "email", or None."""
    since = (now or utcnow()) - LOGIN_WINDOW
    if ip_address and (
        count_attempts(session, LOGIN_ATTEMPT, since, ip_address=ip_address)
        >= LOGIN_FAILURES_PER_ADDRESS
    ):
        return "address"
    if count_attempts(session, LOGIN_ATTEMPT, since, email=email) >= LOGIN_FAILURES_PER_EMAIL:
        return "email"
    return None


def record_login_failure(
    session: Session,
    email: str,
    *,
    user_id: int | None,
    ip_address: str | None,
    throttled: bool = False,
    now: datetime | None = None,
) -> None:
    """Audit a failed login (counted by :func:`login_throttled`); a login refused because a
    limit was reached writes one row per window and client address or e-mail, not one each."""
    normalised = (email or "").strip().lower()[:254]
    details: dict[str, object] = {"email": normalised}
    if throttled:
        limit = _login_limit(session, email, ip_address, now=now) or "email"
        note_refused(
            session,
            LOGIN_ATTEMPT,
            (now or utcnow()) - LOGIN_WINDOW,
            email=email,
            ip_address=ip_address,
            by_address=limit == "address",
            user_id=None if limit == "address" else user_id,
            action=AuditAction.LOGIN_FAILED,
            details={**details, "throttled": True},
        )
        return
    audit.record(
        session,
        Actor(user_id=user_id, organisation_id=None, ip_address=ip_address),
        AuditAction.LOGIN_FAILED,
        LOGIN_ATTEMPT,
        email_key(email),
        details=details,
    )
    session.flush()


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
