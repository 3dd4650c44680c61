"""Append-only audit log of access to and changes of personal data.

Rows are never updated or deleted: the ORM refuses it (see ``_refuse_changes``) and the
database refuses it too (triggers created by the migration on PostgreSQL and SQLite).
The seals (``audit_seals``, written by ``matching.core.audit_seals``) make a change that gets
past both detectable: each holds an HMAC of a run of audit rows chained to the seal before it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, event
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


class AuditSeal(Base):
    """One link of the audit log's hash chain: every audit row with an id from ``first_id`` to
    ``last_id`` (``row_count`` of them; ids a rolled-back transaction skipped are simply absent)
    hashed in id order, chained to the seal before it (``previous_hash``). Append-only too."""

    __tablename__ = "audit_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: two sealers racing for the same range cannot both add a seal (a fork).
    first_id: Mapped[int] = mapped_column(Integer, unique=True)
    last_id: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Which key made ``hash`` (a fingerprint, never the key): verification names it.
    key_id: Mapped[str] = mapped_column(String(16))
    sealed_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _flush_context: object, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry | AuditSeal) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise AuditLogIsAppendOnly(f"{obj.__tablename__} rows cannot be changed or deleted")
