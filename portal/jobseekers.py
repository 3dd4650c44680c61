"""The counsellor's caseload (/ledige), the jobseeker detail page with the CV, the people the
counsellor's organisation has handed over to another (/ledige/overdragne), and the people who
have left the register whose data it still answers for (/ledige/afmeldte).

Every list page and every detail view is written to the audit log (purpose "sagsbehandling"):
who saw which person's data, and when.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, current_app, render_template, request, url_for
from sqlalchemy.orm import Session
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from matching.core import audit, dates, permissions
from matching.core.audit import Actor
from matching.intake.rights import left_register_since
from matching.models import AuditAction, ReferralState, Role, TargetGroup
from matching.people import responsibility
from matching.people.queries import (
    MAX_SEARCH_CHARS,
    get_jobseeker_for,
    people_who_left,
    visible_jobseekers,
)
from matching.ranking.queries import suggestions_for
from matching.referrals import workflow
from matching.referrals.queries import get_referral_for_counsellor, referrals_for_jobseeker
from matching.rules import routing
from portal.auth import current_actor, role_required
from portal.forms import form_page, reason_field
from portal.listing import enum_arg, page_arg
from portal.referral_events import EventForm, record_event
from portal.transaction import get_db

bp = Blueprint("jobseekers", __name__, url_prefix="/ledige")

PURPOSE = "sagsbehandling"


def audit_caseload_view(db: Session, actor: Actor, **details: object) -> None:
    """Log which people of the caseload a counsellor was shown (a list page, the home page)."""
    audit.record(db, actor, AuditAction.VIEW, "caseload", None, purpose=PURPOSE, details=details)


@bp.get("/")
@role_required(permissions.COUNSELLORS)
def caseload():  # noqa: ANN201 - Flask view
    """The caseload: 50 per page, search by name/pseudonym/postal code, target group filter."""
    db = get_db()
    actor = current_actor()
    search = request.args.get("q", "").strip()[:MAX_SEARCH_CHARS]
    target_group = enum_arg("maalgruppe", TargetGroup)
    page = visible_jobseekers(
        db, actor, search=search or None, target_group=target_group, page=page_arg()
    )
    audit_caseload_view(
        db,
        actor,
        page=page.page,
        search=search,
        target_group=target_group.value if target_group else None,
        jobseeker_ids=[j.id for j in page.items],
    )
    today = dates.today_dk()
    return render_template(
        "jobseekers/list.html",
        page=page,
        search=search,
        target_group=target_group,
        target_groups=list(TargetGroup),
        today=today,
    )


@bp.get("/overdragne")
@role_required(permissions.COUNSELLORS)
def handed_over():  # noqa: ANN201 - Flask view
    """People the organisation handed over in the last 90 days, by pseudonym only: it is no
    longer responsible for them, so no name, CV or handover note."""
    db = get_db()
    actor = current_actor()
    page = responsibility.handovers_from_organisation(db, actor, page=page_arg())
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "handover_list",
        None,
        purpose=PURPOSE,
        details={
            "page": page.page,
            "handover_ids": [h.id for h in page.items],
            "jobseeker_ids": [h.jobseeker_id for h in page.items],
        },
    )
    return render_template(
        "jobseekers/handed_over.html",
        page=page,
        days=responsibility.HANDOVER_LIST_DAYS,
        describe_rule=routing.describe_rule,
    )


@bp.get("/afmeldte")
@role_required(permissions.COUNSELLORS)
def left_register():  # noqa: ANN201 - Flask view
    """People the organisation was responsible for last who have left the register and whose
    data is still kept (the retention period after leaving): the way to their rights pages
    (the data export, erasure on request), with the exit's date and reason."""
    db = get_db()
    actor = current_actor()
    today = dates.today_dk()
    since = left_register_since(current_app.extensions["jobbro_settings"], today)
    page = people_who_left(db, actor, left_since=since, page=page_arg())
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "left_register_list",
        None,
        purpose=PURPOSE,
        details={"page": page.page, "jobseeker_ids": [j.id for j in page.items]},
    )
    return render_template("jobseekers/left.html", page=page, since=since)


class ReferralUpdateForm(EventForm):
    saved = "Henvisningen er opdateret."
    refused = "Det kan ikke vælges for henvisningen nu."
    event = RadioField(
        "Hvad er sket?",
        choices=[SelectChoice(e, workflow.EVENT_LABELS_DA[e]) for e in workflow.COUNSELLOR_EVENTS],
        validators=[DataRequired(message="Vælg hvad der er sket.")],
    )
    reason = reason_field("Begrundelse (skal udfyldes ved nej tak og tilbagetrækning)")


def _detail_page(jobseeker_id: int, **refused: object) -> tuple[str, int]:
    """The person's page, audited; ``refused``: the errors and typed (by referral id) and the
    status of :func:`~portal.forms.form_page`."""
    db = get_db()
    actor = current_actor()
    jobseeker = get_jobseeker_for(db, actor, jobseeker_id)
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "jobseeker",
        jobseeker.id,
        jobseeker_id=jobseeker.id,
        purpose=PURPOSE,
    )
    person_referrals = referrals_for_jobseeker(db, actor, jobseeker.id)
    handovers = responsibility.handovers_for_jobseeker(db, actor, jobseeker.id)
    today = dates.today_dk()
    return form_page(
        "jobseekers/detail.html",
        suggestions=suggestions_for(db, actor, jobseeker.id),
        referrals=person_referrals,
        allowed={r.id: workflow.allowed_events(r, Role.COUNSELLOR.value) for r in person_referrals},
        event_labels=workflow.EVENT_LABELS_DA,
        state_labels={s.value: s.label_da for s in ReferralState},
        jobseeker=jobseeker,
        cv=jobseeker.cv,
        target_group=jobseeker.target_group_on(today),
        responsibility=jobseeker.responsible_on(today),
        handovers=handovers,
        describe_rule=routing.describe_rule,
        today=today,
        **refused,
    )


@bp.get("/<int:jobseeker_id>")
@role_required(permissions.COUNSELLORS)
def detail(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """One jobseeker with CV, suggestions and referrals (404 outside scope)."""
    return _detail_page(jobseeker_id)


@bp.post("/<int:jobseeker_id>/henvisninger/<int:referral_id>")
@role_required(permissions.COUNSELLORS)
def referral_update(jobseeker_id: int, referral_id: int):  # noqa: ANN201 - Flask view
    """The counsellor records what happened to a referral: interview, hired, the person
    declined, or the referral is withdrawn (a reason for the last two)."""
    referral = get_referral_for_counsellor(get_db(), current_actor(), jobseeker_id, referral_id)
    back = url_for("jobseekers.detail", jobseeker_id=jobseeker_id) + f"#henvisning-{referral_id}"
    return record_event(
        referral, ReferralUpdateForm(), PURPOSE, partial(_detail_page, jobseeker_id), back
    )
