"""E-mail notifications written in the same transaction as the change they announce.

A job that reminds an employer or forwards a vacancy adds a :class:`Notification` row and
commits it with its own changes; a delivery job sends pending rows and marks them sent. So a
crash between the change and the e-mail loses nothing (the row is still pending), and a failed
send is retried with back-off instead of being dropped. ``dedupe_key`` (unique) keeps a job
that runs twice from announcing the same thing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matching.models.base import Base, CreatedAtMixin, Timestamp, utcnow


class Notification(CreatedAtMixin, Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "referral_reminder"
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # What it is about, for the timeline of that object (no personal data in these).
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp())
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    failed: Mapped[bool] = mapped_column(default=False)  # gave up after the last attempt

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_notifications_pending", "sent_at", "failed", "next_attempt_at"),
    )
