"""Throttling of logins and sign-ups, counted from the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.models import (
    AuditAction,
    AuditEntry,
    utcnow,
)

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
