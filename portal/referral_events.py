"""Recording a referral event from a portal form (employers' outcomes, counsellors' follow-up)."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from matching.core import audit
from matching.core.errors import InvalidTransition, ValidationError
from matching.models import AuditAction, Referral
from matching.referrals import workflow
from portal.auth import current_actor
from portal.transaction import get_db


class EventForm(FlaskForm):
    """A referral's event form: fields ``event`` and ``reason``, and its two answers."""

    saved = ""  # flashed once the event is recorded
    refused = ""  # shown for an event the workflow table does not allow now


def record_event(
    referral: Referral,
    form: EventForm,
    purpose: str,
    page: Callable[..., ResponseReturnValue],
    back: str,
) -> ResponseReturnValue:
    """Validate ``form``, apply its event to the referral and audit it with ``purpose`` (the
    request commits), then redirect to ``back``. Refused, nothing is saved and ``page`` is shown
    again (400) with the messages and what was typed, both under the referral's id."""
    typed = {referral.id: {"event": form.event.data, "reason": form.reason.data or ""}}
    messages = _apply(referral, form, purpose)
    if messages:
        return page(errors={referral.id: messages}, typed=typed, status=400)
    flash(form.saved, "success")
    return redirect(back)


def _apply(referral: Referral, form: EventForm, purpose: str) -> list[str] | None:
    """None on success, else the Danish messages to show."""
    if not form.validate():
        return [m for field in (form.event, form.reason) for m in field.errors]
    db = get_db()
    actor = current_actor()
    try:
        workflow.apply(db, referral, form.event.data, actor, reason=form.reason.data or "")
    except ValidationError as exc:
        return list(exc.errors.values())
    except InvalidTransition:
        return [form.refused]
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
