"""Recording a referral event from a portal form (employers' outcomes, counsellors' follow-up)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, ValidationError
from matching.models import AuditAction, Referral
from matching.referrals import workflow


def apply_from_form(
    db: Session, actor: Actor, referral: Referral, form: FlaskForm, *, purpose: str, refused: str
) -> list[str] | None:
    """Validate ``form`` (fields ``event`` and ``reason``), apply its event to the referral and
    audit it (the request commits). Returns None on success, else the Danish messages to show
    (nothing saved); ``refused`` is the message for an event the table does not allow now."""
    if not form.validate():
        return [m for field in (form.event, form.reason) for m in field.errors]
    try:
        workflow.apply(db, referral, form.event.data, actor, reason=form.reason.data or "")
    except ValidationError as exc:
        return list(exc.errors.values())
    except InvalidTransition:
        return [refused]
    audit.record(
        db,
        actor,
        AuditAction.UPDATE,
        "referral",
        referral.id,
        jobseeker_id=referral.jobseeker_id,
        purpose=purpose,
        details={"event": form.event.data},
    )
    return None
