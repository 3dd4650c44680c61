"""The jobcentre confirms self-registered employers before anyone is referred to them.

Anyone can sign up with a well-formed CVR number, so sign-up proves nothing about who runs the
company. Until an approver at a jobcentre has checked the CVR and the P-units against the CVR
register (and, if in doubt, called the company), the employer may prepare and publish vacancies
but counsellors do not see them and no list is computed: no one is referred, and no consented
contact details are shown, to an organisation that may be an impostor. A rejected sign-up is
deactivated with a reason; its users can no longer log in to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.errors import PermissionDenied, ValidationError
from matching.core.workflow import check_reason
from matching.models import (
    AuditAction,
    Membership,
    Organisation,
    OrgKind,
    Vacancy,
    utcnow,
)


def verified_employer() -> ColumnElement[bool]:
    """SQL: the vacancy's employer has been confirmed (for counsellors' views and matching)."""
    return Vacancy.employer_id.in_(
        select(Organisation.id).where(Organisation.verified_at.is_not(None))
    )


def unverified_employers(session: Session, actor: Actor) -> Sequence[Organisation]:
    """Active self-registered employers waiting for confirmation, oldest first."""
    permissions.require_jobcentre_approver(session, actor)
    return session.scalars(
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.EMPLOYER,
            Organisation.verified_at.is_(None),
            Organisation.active.is_(True),
        )
        .order_by(Organisation.created_at, Organisation.id)
        .options(
            selectinload(Organisation.p_numbers),
            selectinload(Organisation.memberships).selectinload(Membership.user),
        )
    ).all()


def _pending(session: Session, actor: Actor, organisation_id: int) -> Organisation:
    permissions.require_jobcentre_approver(session, actor)
    organisation = session.get(Organisation, organisation_id)
    if (
        organisation is None
        or organisation.kind is not OrgKind.EMPLOYER
        or organisation.verified_at is not None
        or not organisation.active
    ):
        raise ValidationError({"": "Virksomheden venter ikke på at blive bekræftet."})
    if permissions.works_for(session, actor, organisation.id):
        raise PermissionDenied("an approver may not confirm an employer they work for")
    return organisation


def verify_employer(
    session: Session, actor: Actor, organisation_id: int, *, now: datetime | None = None
) -> Organisation:
    """Confirm the employer: its open vacancies become visible and matchable, and get the
    confirming jobcentre as owner when the company had no municipality. Flushes."""
    organisation = _pending(session, actor, organisation_id)
    organisation.verified_at = now or utcnow()
    organisation.verified_by_id = actor.user_id
    if organisation.municipality_code is None:
        # The confirming jobcentre is the company's local one: it takes the company's orders
        # (matching.vacancies.forwarding.decisions.assign_owner looks the jobcentre up by
        # municipality).
        jobcentre = session.get(Organisation, actor.organisation_id or 0)
        organisation.municipality_code = jobcentre.municipality_code if jobcentre else None
    return _decided(session, actor, organisation, verified=True)


def reject_employer(
    session: Session, actor: Actor, organisation_id: int, reason: str
) -> Organisation:
    """Refuse a sign-up (reason required): the organisation is deactivated. Flushes."""
    reason = check_reason(reason, required=True, missing="Skriv hvorfor virksomheden afvises.")
    organisation = _pending(session, actor, organisation_id)
    organisation.active = False
    return _decided(session, actor, organisation, verified=False, note=reason)


def _decided(
    session: Session, actor: Actor, organisation: Organisation, *, verified: bool, note: str = ""
) -> Organisation:
    """Audit the approver's decision on the sign-up; flushes."""
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "organisation",
        organisation.id,
        details={"verified": verified, "cvr": organisation.cvr},
        note=note,
    )
    session.flush()
    return organisation
