"""Queue e-mail notifications with the change they announce, and deliver them afterwards.

:func:`notify` adds a :class:`~matching.models.Notification` to the caller's transaction;
:func:`deliver_pending` (run by a periodic job) sends what is due through a
:class:`~matching.core.mail.Sender` and records the outcome. Delivery is at least once: a worker
killed after the mail server accepted a message but before the commit sends it again on the
next run, which is better than losing it. Failed sends back off (1 min, 5 min, 30 min, 2 h,
10 h) and are marked failed after the last attempt, visible with their error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.core.mail import Message, Sender
from matching.models import Membership, Notification, Organisation, Role, User, utcnow

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
DELIVERY_BATCH = 100
ERROR_CHARS = 500


def notify(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    object_type: str | None = None,
    object_id: int | str | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Queue one e-mail in the caller's transaction (flushed, not committed).

    With ``dedupe_key``, a notification already queued under that key is not queued again and
    None is returned; the unique constraint decides when two processes race.
    """
    if dedupe_key is not None and session.scalar(
        select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    ):
        return None
    notification = Notification(
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        dedupe_key=dedupe_key,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    if dedupe_key is None:
        session.add(notification)
        session.flush()
        return notification
    try:
        with session.begin_nested():
            session.add(notification)
    except IntegrityError:
        return None
    return notification


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retrying: int
    failed: int


def deliver_pending(
    session: Session, sender: Sender, *, now: datetime | None = None, limit: int = DELIVERY_BATCH
) -> DeliveryResult:
    """Send up to ``limit`` due notifications, oldest first, one transaction each.

    Each row is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
    send the same row at the same time; SQLite has a single writer anyway.
    """
    now = now or utcnow()
    query = (
        select(Notification)
        .where(
            Notification.sent_at.is_(None),
            Notification.failed.is_(False),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = retrying = failed = 0
    for _ in range(limit):
        notification = session.scalar(query)
        if notification is None:
            break
        notification.attempts += 1
        try:
            sender.send(Message(notification.recipient, notification.subject, notification.body))
        except Exception as exc:  # noqa: BLE001 - any sender failure is recorded and retried
            notification.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.failed = True
                failed += 1
            else:
                notification.next_attempt_at = now + BACKOFF[notification.attempts - 1]
                retrying += 1
        else:
            notification.sent_at = now
            notification.last_error = None
            sent += 1
        session.commit()
    return DeliveryResult(sent, retrying, failed)


def employer_recipients(session: Session, employer: Organisation) -> list[str]:
    """Addresses for mail to a company: its active employer users, else the company's own
    address (empty when it has neither)."""
    users = session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == employer.id,
            Membership.role == Role.EMPLOYER,
            User.active.is_(True),
        )
        .order_by(User.email)
        .distinct()
    ).all()
    return list(users) or ([employer.email] if employer.email else [])
