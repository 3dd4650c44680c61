"""Append-only audit log of access to and changes of personal data.

Rows are never updated or deleted: the ORM refuses it (see ``_refuse_changes``) and the
database refuses it too (triggers created by the migration on PostgreSQL and SQLite).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from matching.models.base import Base, JSONType, Timestamp, enum_column, utcnow
from matching.models.enums import AuditAction


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, index=True)
    # Plain ids, no foreign keys: the log must outlive (and never be rewritten by) deletions.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_organisation_id: Mapped[int | None] = mapped_column()
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    # The person whose data was involved, if any (for "who saw my data?" requests).
    jobseeker_id: Mapped[int | None] = mapped_column(index=True)
    # Why: the purpose or legal basis (e.g. "sagsbehandling", "henvisning", "jobmesse-eksport").
    purpose: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _flush_context: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit_log rows cannot be changed or deleted")
