"""The jobcentre's approval queue for company places (/godkendelser).

Only an approver at a jobcentre may open it; any other role, or an approver at another kind of
organisation, gets 403. The queue shows the rimelighedskrav of each place, so a place that does
not fulfil it is approved (or not) knowingly.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf

from matching.accounts import verification
from matching.core import permissions
from matching.core.errors import InvalidTransition, OutOfScope, ValidationError
from matching.models import Vacancy, VacancyStatus
from matching.vacancies import editing, lifecycle
from matching.vacancies.forwarding.decisions import assign_owner
from matching.vacancies.queries import (
    get_vacancy_for,
    open_vacancy_ids_of,
    pending_places,
    vacancy_counts_by_employer,
)
from portal.auth import current_actor, role_required
from portal.forms import reason_field
from portal.listing import page_arg
from portal.match_queue import request_match
from portal.transaction import get_db

bp = Blueprint("approvals", __name__, url_prefix="/godkendelser")

QUEUE_PAGE_SIZE = 25


def _decision_field(choices: dict[str, str], message: str) -> RadioField:
    """»Din afgørelse«: one of ``choices`` (value: label), ``message`` when none is chosen."""
    return RadioField(
        "Din afgørelse",
        choices=[SelectChoice(value, label) for value, label in choices.items()],
        validators=[AnyOf(list(choices), message=message)],
        validate_choice=False,
    )


class DecisionForm(FlaskForm):
    decision = _decision_field(
        {"approve": "Godkend pladsen", "reject": "Afvis pladsen"}, "Vælg godkend eller afvis."
    )
    reason = reason_field("Begrundelse (skal udfyldes ved afvisning)")
    # The version of the place the approver read: a decision on an older one is refused.
    version = HiddenField()

    def read_version(self) -> int | None:
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() else None


def _require_jobcentre() -> None:
    """Approving places is the jobcentre's task: an approver elsewhere gets 403."""
    permissions.require_jobcentre_approver(get_db(), current_actor())


def _place(vacancy_id: int) -> Vacancy:
    vacancy = get_vacancy_for(get_db(), current_actor(), vacancy_id)
    if not vacancy.is_company_place:
        raise OutOfScope("vacancy", vacancy_id, exists=True)
    return vacancy


@bp.get("")
@role_required(permissions.APPROVERS)
def queue():  # noqa: ANN201 - Flask view
    """Company places awaiting approval, oldest first, with their rimelighedskrav."""
    _require_jobcentre()
    page = pending_places(get_db(), current_actor(), page=page_arg(), per_page=QUEUE_PAGE_SIZE)
    verdicts = {v.id: editing.rimelighedskrav(v) for v in page.items}
    return render_template(
        "approvals/list.html",
        page=page,
        verdicts=verdicts,
        unverified=len(verification.unverified_employers(get_db(), current_actor())),
    )


def _detail(vacancy: Vacancy, form: DecisionForm, *, general: str | None = None, status: int = 200):  # noqa: ANN202
    html = render_template(
        "approvals/detail.html",
        vacancy=vacancy,
        rimelighed=editing.rimelighedskrav(vacancy),
        form=form,
        general_error=general,
        pending=vacancy.status is VacancyStatus.PENDING_APPROVAL,
    )
    return html, status


@bp.get("/<int:vacancy_id>")
@role_required(permissions.APPROVERS)
def detail(vacancy_id: int):  # noqa: ANN201 - Flask view
    """One application for a company place, with the decision form while it is pending."""
    _require_jobcentre()
    vacancy = _place(vacancy_id)
    return _detail(vacancy, DecisionForm(formdata=None, version=str(vacancy.version)))


@bp.post("/<int:vacancy_id>")
@role_required(permissions.APPROVERS)
def decide(vacancy_id: int):  # noqa: ANN201 - Flask view
    """Approve the place (it opens and is matched) or reject it with a reason."""
    _require_jobcentre()
    db = get_db()
    vacancy = _place(vacancy_id)
    form = DecisionForm()
    if not form.validate():
        return _detail(vacancy, form, status=400)
    version = form.read_version()
    try:
        if form.decision.data == "approve":
            lifecycle.approve_place(db, current_actor(), vacancy_id, version=version)
        else:
            lifecycle.reject_place(
                db, current_actor(), vacancy_id, form.reason.data or "", version=version
            )
    except lifecycle.VacancyChanged:
        form.version.data = str(vacancy.version)  # the page now shows the place as it is
        return _detail(vacancy, form, general=lifecycle.CHANGED_MESSAGE, status=409)
    except ValidationError as exc:
        form.reason.errors = list(exc.errors.values())
        return _detail(vacancy, form, status=400)
    except InvalidTransition:
        return _detail(
            vacancy, form, general="Pladsen afventer ikke længere godkendelse.", status=400
        )
    if vacancy.status is VacancyStatus.OPEN:
        flash(f"»{vacancy.title}« er godkendt og kan nu findes af jobrådgivere.", "success")
        request_match(vacancy_id)
    else:
        flash(f"»{vacancy.title}« er afvist. Virksomheden ser din begrundelse.", "success")
    return redirect(url_for("approvals.queue"))


# --- confirming self-registered employers ----------------------------------------------------


class EmployerDecisionForm(FlaskForm):
    decision = _decision_field(
        {"verify": "Bekræft virksomheden", "reject": "Afvis oprettelsen"},
        "Vælg bekræft eller afvis.",
    )
    reason = reason_field("Begrundelse (skal udfyldes ved afvisning)")


def _employers_page(forms: dict | None = None, status: int = 200):  # noqa: ANN202
    db = get_db()
    employers = verification.unverified_employers(db, current_actor())
    forms = forms or {}
    html = render_template(
        "approvals/employers.html",
        employers=employers,
        forms={o.id: forms.get(o.id) or EmployerDecisionForm(formdata=None) for o in employers},
        vacancy_counts=vacancy_counts_by_employer(db, [o.id for o in employers]),
    )
    return html, status


@bp.get("/virksomheder")
@role_required(permissions.APPROVERS)
def employers():  # noqa: ANN201 - Flask view
    """Self-registered employers waiting to be confirmed (CVR and P-units checked); only a
    jobcentre approver gets the list (403 from :func:`verification.unverified_employers`)."""
    return _employers_page()


@bp.post("/virksomheder/<int:organisation_id>")
@role_required(permissions.APPROVERS)
def decide_employer(organisation_id: int):  # noqa: ANN201 - Flask view
    """Confirm the employer (its open vacancies become visible and are matched) or reject it.
    Anyone but a jobcentre approver gets 403 from :mod:`matching.accounts.verification`."""
    db = get_db()
    form = EmployerDecisionForm()
    if not form.validate():
        return _employers_page({organisation_id: form}, status=400)
    try:
        if form.decision.data == "verify":
            organisation = verification.verify_employer(db, current_actor(), organisation_id)
        else:
            organisation = verification.reject_employer(
                db, current_actor(), organisation_id, form.reason.data or ""
            )
    except ValidationError as exc:
        form.reason.errors = list(exc.errors.values())
        return _employers_page({organisation_id: form}, status=400)
    open_ids = open_vacancy_ids_of(db, organisation.id) if organisation.active else []
    for vacancy_id in open_ids:  # published while unconfirmed: they get their owner now
        assign_owner(db, db.get(Vacancy, vacancy_id))
        request_match(vacancy_id)
    if organisation.active:
        flash(f"{organisation.name} er bekræftet. Virksomhedens stillinger vises nu.", "success")
    else:
        flash(f"Oprettelsen af {organisation.name} er afvist.", "success")
    return redirect(url_for("approvals.employers"))
