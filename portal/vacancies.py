"""Vacancies and company places (/stillinger): employers see their own, counsellors and
approvers the open ones (approvers also places awaiting approval)."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from matching.core import audit, permissions
from matching.core.errors import ValidationError
from matching.models import (
    OPEN_REFERRAL_STATES,
    AuditAction,
    MatchReview,
    Referral,
    Role,
    VacancyKind,
    VacancyStatus,
)
from matching.people import disclosure
from matching.ranking.queries import candidate_list_for
from matching.referrals import workflow
from matching.referrals.decisions import refer_candidate, review_candidate
from matching.referrals.queries import (
    get_referral_for_employer,
    referrals_for_employer,
    referred_counts,
    withdrawn_count,
)
from matching.vacancies import editing, lifecycle
from matching.vacancies.queries import get_vacancy_for, vacancy_statuses_for, visible_vacancies
from portal import forwarding as forwarding_views
from portal.auth import current_actor, role_required
from portal.forms import form_page, reason_field
from portal.listing import enum_arg, page_arg, page_url_args
from portal.referral_events import EventForm, record_event
from portal.transaction import get_db

bp = Blueprint("vacancies", __name__, url_prefix="/stillinger")

PURPOSE = "formidling"  # audit purpose: matching people to a concrete job


@bp.get("/")
@role_required(permissions.VACANCY_READERS)
def vacancy_list():  # noqa: ANN201 - Flask view
    """Paginated list, filterable by kind and (where more than one is visible) status."""
    db = get_db()
    actor = current_actor()
    statuses = vacancy_statuses_for(actor)
    kind = enum_arg("type", VacancyKind)
    status = enum_arg("status", VacancyStatus, statuses)
    page = visible_vacancies(db, actor, kind=kind, status=status, page=page_arg())
    referred = (
        referred_counts(db, actor, [v.id for v in page.items])
        if permissions.has_role(actor, permissions.EMPLOYERS)
        else {}
    )
    return render_template(
        "vacancies/list.html",
        page=page,
        referred=referred,
        kind=kind,
        status=status,
        kinds=list(VacancyKind),
        statuses=statuses,
    )


@bp.get("/<int:vacancy_id>")
@role_required(permissions.VACANCY_READERS)
def detail(vacancy_id: int):  # noqa: ANN201 - Flask view
    """One vacancy or company place (404 and an audit entry outside the user's scope)."""
    return detail_page(vacancy_id)


def detail_page(
    vacancy_id: int,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    forward_form: forwarding_views.ForwardForm | None = None,
    forward_errors: dict[str, str] | None = None,
):  # noqa: ANN201
    """The detail page, with the lifecycle buttons the employer may use in the current state
    (and the errors of a refused status change), and the forwarding panel for counsellors
    (with the errors of a refused forwarding)."""
    actor = current_actor()
    vacancy = get_vacancy_for(get_db(), actor, vacancy_id)
    events = (
        lifecycle.allowed_events(vacancy, Role.EMPLOYER.value)
        if permissions.has_role(actor, permissions.EMPLOYERS)
        else []
    )
    html = render_template(
        "vacancies/detail.html",
        vacancy=vacancy,
        rimelighed=editing.rimelighedskrav(vacancy),
        events=events,
        event_labels=lifecycle.EVENT_LABELS_DA,
        errors=errors or [],
        forwarding=forwarding_views.vacancy_panel(actor, vacancy, forward_form, forward_errors),
    )
    return html, status


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Din vurdering",
        choices=[SelectChoice("accept", "Godkend"), SelectChoice("reject", "Fravælg")],
        validators=[DataRequired(message="Vælg godkend eller fravælg.")],
    )
    reason = reason_field("Begrundelse")


class ReferForm(FlaskForm):
    note = reason_field("Besked med henvisningen (valgfri)")


def _candidate_page(vacancy_id: int, **refused: object) -> tuple[str, int]:
    """The candidate list, audited with the people shown; ``refused``: the errors and typed
    (by jobseeker id) and the status of :func:`~portal.forms.form_page`."""
    db = get_db()
    actor = current_actor()
    result = candidate_list_for(db, actor, vacancy_id, page=page_arg())
    shown = [m.jobseeker_id for m in result.page.items]
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "candidate_list",
        vacancy_id,
        purpose=PURPOSE,
        details={"page": result.page.page, "jobseeker_ids": shown},
    )
    return form_page(
        "vacancies/candidates.html",
        result=result,
        vacancy=result.vacancy,
        page=result.page,
        page_url_args=lambda n: {**page_url_args(n), "vacancy_id": vacancy_id},
        reviews=_by_person(db, MatchReview, vacancy_id, shown),
        referred=_by_person(db, Referral, vacancy_id, shown),
        open_referral_states=OPEN_REFERRAL_STATES,
        review_form=ReviewForm(formdata=None),
        refer_form=ReferForm(formdata=None),
        **refused,
    )


def _by_person(
    db: Session, model: type[MatchReview | Referral], vacancy_id: int, shown: list[int]
) -> dict[int, MatchReview | Referral]:
    """The vacancy's reviews or referrals of the people shown, by person (the newest wins)."""
    rows = db.scalars(
        select(model)
        .where(model.vacancy_id == vacancy_id, model.jobseeker_id.in_(shown))
        .order_by(model.id)
    )
    return {row.jobseeker_id: row for row in rows}


def _back_to_candidate(vacancy_id: int, jobseeker_id: int):  # noqa: ANN202 - a redirect
    """After a decision: the same page of the list, scrolled to the person's card."""
    return redirect(
        url_for("vacancies.candidates", vacancy_id=vacancy_id, **page_url_args(page_arg()))
        + f"#kandidat-{jobseeker_id}"
    )


@bp.get("/<int:vacancy_id>/kandidater")
@role_required(permissions.COUNSELLORS)
def candidates(vacancy_id: int):  # noqa: ANN201 - Flask view
    """The vacancy's ranked candidates from the stored match list, with their explanations.

    Only people the counsellor's organisation is responsible for are shown; the others are
    counted. Each page view is written to the audit log with the people shown.
    """
    return _candidate_page(vacancy_id)


@bp.post("/<int:vacancy_id>/kandidater/<int:jobseeker_id>/vurdering")
@role_required(permissions.COUNSELLORS)
def review(vacancy_id: int, jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Accept or reject a candidate (reason required to reject or to accept off the list)."""
    form = ReviewForm()
    typed = {jobseeker_id: {"reason": form.reason.data or "", "decision": form.decision.data}}
    if not form.validate():
        messages = [m for field in (form.decision, form.reason) for m in field.errors]
        return _candidate_page(vacancy_id, errors={jobseeker_id: messages}, typed=typed, status=400)
    db = get_db()
    try:
        review_candidate(
            db,
            current_actor(),
            vacancy_id,
            jobseeker_id,
            form.decision.data,
            form.reason.data or "",
        )
    except ValidationError as exc:
        return _candidate_page(
            vacancy_id, errors={jobseeker_id: list(exc.errors.values())}, typed=typed, status=400
        )
    flash("Din vurdering er gemt.", "success")
    return _back_to_candidate(vacancy_id, jobseeker_id)


@bp.post("/<int:vacancy_id>/kandidater/<int:jobseeker_id>/henvis")
@role_required(permissions.COUNSELLORS)
def refer(vacancy_id: int, jobseeker_id: int):  # noqa: ANN201 - Flask view
    """Refer (henvis) the person to the vacancy; the referral is sent at once."""
    form = ReferForm()
    typed = {jobseeker_id: {"note": form.note.data or ""}}
    if not form.validate():
        return _candidate_page(
            vacancy_id, errors={jobseeker_id: form.note.errors}, typed=typed, status=400
        )
    db = get_db()
    try:
        refer_candidate(
            db,
            current_actor(),
            vacancy_id,
            jobseeker_id,
            note=form.note.data or "",
            respond_days=current_app.extensions["jobbro_settings"].referral_reminder_days,
        )
    except ValidationError as exc:
        return _candidate_page(
            vacancy_id, errors={jobseeker_id: list(exc.errors.values())}, typed=typed, status=400
        )
    flash("Henvisningen er sendt.", "success")
    return _back_to_candidate(vacancy_id, jobseeker_id)


class OutcomeForm(EventForm):
    saved = "Status er gemt."
    refused = "Den status kan ikke vælges for henvisningen nu."
    event = RadioField(
        "Hvad er status?",
        choices=[
            SelectChoice("invite", "Indkaldt til samtale"),
            SelectChoice("hire", "Ansat"),
            SelectChoice("reject", "Afvist"),
        ],
        validators=[DataRequired(message="Vælg en status.")],
    )
    reason = reason_field("Begrundelse (skal udfyldes ved afvisning)")


def _referred_page(vacancy_id: int, **refused: object) -> tuple[str, int]:
    """The referred candidates, each disclosure audited; ``refused`` as for
    :func:`_candidate_page` (by referral id)."""
    db = get_db()
    actor = current_actor()
    vacancy = get_vacancy_for(db, actor, vacancy_id)
    rows = referrals_for_employer(db, actor, vacancy_id)
    # A referral shows the employer who the person is; contact details only with consent.
    for referral in rows:
        audit.record(
            db,
            actor,
            AuditAction.DISCLOSE,
            "referral",
            referral.id,
            jobseeker_id=referral.jobseeker_id,
            purpose="henvisning",
            details={"contact": referral.jobseeker.consent_share_with_employers},
        )
    return form_page(
        "vacancies/referred.html",
        vacancy=vacancy,
        referrals=rows,
        withdrawn=withdrawn_count(db, actor, vacancy_id),
        profiles={r.id: disclosure.employer_profile(r) for r in rows},
        allowed={r.id: workflow.allowed_events(r, Role.EMPLOYER.value) for r in rows},
        **refused,
    )


@bp.get("/<int:vacancy_id>/henvisninger")
@role_required(permissions.EMPLOYERS)
def referred(vacancy_id: int):  # noqa: ANN201 - Flask view
    """The employer's referred candidates for its own vacancy, with outcome forms."""
    return _referred_page(vacancy_id)


@bp.post("/<int:vacancy_id>/henvisninger/<int:referral_id>")
@role_required(permissions.EMPLOYERS)
def referral_outcome(vacancy_id: int, referral_id: int):  # noqa: ANN201 - Flask view
    """The employer records an outcome: interview, hired or rejected (with a reason)."""
    referral = get_referral_for_employer(get_db(), current_actor(), referral_id)
    back = url_for("vacancies.referred", vacancy_id=vacancy_id)
    return record_event(
        referral, OutcomeForm(), "henvisning", partial(_referred_page, vacancy_id), back
    )
