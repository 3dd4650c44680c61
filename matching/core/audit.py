"""Writing to the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matching.models import AuditAction, AuditEntry, Membership


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user in one organisation with one role (None for system jobs)."""

    user_id: int | None
    organisation_id: int | None
    role: str | None = None
    ip_address: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, organisation_id=None, role="system")

    @classmethod
    def member(cls, membership: Membership, ip_address: str | None = None) -> Actor:
        """The membership's user, acting in its organisation with its role."""
        return cls(
            user_id=membership.user_id,
            organisation_id=membership.organisation_id,
            role=membership.role.value,
            ip_address=ip_address,
        )


def record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: int | str | None = None,
    *,
    jobseeker_id: int | None = None,
    purpose: str = "",
    details: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one audit entry (flushed with the caller's unit of work)."""
    entry = AuditEntry(
        actor_id=actor.user_id,
        actor_organisation_id=actor.organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        jobseeker_id=jobseeker_id,
        purpose=purpose,
        details=details or {},
        ip_address=actor.ip_address,
        note=note,
    )
    session.add(entry)
    return entry


def record_many(
    session: Session,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: int | str | None = None,
    *,
    jobseeker_ids: Iterable[int],
    purpose: str = "",
    details: dict | None = None,
    note: str = "",
) -> int:
    """Append one entry per person in ``jobseeker_ids``, alike but for the person, in one bulk
    INSERT in the caller's transaction (an export of 2,000 people takes a few hundredths of a
    second this way, several times less than through :func:`record`); returns how many."""
    entries = [
        {
            "actor_id": actor.user_id,
            "actor_organisation_id": actor.organisation_id,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "jobseeker_id": jobseeker_id,
            "purpose": purpose,
            "details": dict(details or {}),
            "ip_address": actor.ip_address,
            "note": note,
        }
        for jobseeker_id in jobseeker_ids
    ]
    if entries:
        session.execute(insert(AuditEntry), entries)
    return len(entries)
