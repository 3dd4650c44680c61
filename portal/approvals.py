"""The jobcentre's approval queue for company places (/godkendelser).

Only an approver at a jobcentre may open it; any other role, or an approver at another kind of
organisation, gets 403. The queue shows the rimelighedskrav of each place, so a place that does
not fulfil it is approved (or not) knowingly.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length

from matching import access, vacancy_service
from matching.access import OutOfScope
from matching.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.models import OrgKind, Role, Vacancy, VacancyStatus
from matching.referrals import MAX_REASON_CHARS
from portal.app import get_db
from portal.auth import current_actor, role_required
from portal.listing import page_arg, page_url_args
from portal.match_queue import request_match

bp = Blueprint("approvals", __name__, url_prefix="/godkendelser")

QUEUE_PAGE_SIZE = 25


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Din afgørelse",
        choices=[
            SelectChoice("approve", "Godkend pladsen"),
            SelectChoice("reject", "Afvis pladsen"),
        ],
        validators=[AnyOf(["approve", "reject"], message="Vælg godkend eller afvis.")],
        validate_choice=False,
    )
    reason = TextAreaField(
        "Begrundelse (skal udfyldes ved afvisning)",
        validators=[Length(max=MAX_REASON_CHARS, message=f"Højst {MAX_REASON_CHARS} tegn.")],
    )


def _require_jobcentre() -> None:
    """Approving places is the jobcentre's task: an approver elsewhere gets 403."""
    if g.membership.organisation.kind is not OrgKind.JOBCENTRE:
        raise PermissionDenied("only approvers at a jobcentre may approve company places")


def _place(vacancy_id: int) -> Vacancy:
    vacancy = access.get_vacancy_for(get_db(), current_actor(), vacancy_id)
    if not vacancy.is_company_place:
        raise OutOfScope("vacancy", vacancy_id, exists=True)
    return vacancy


@bp.get("")
@role_required(Role.APPROVER)
def queue():  # noqa: ANN201 - Flask view
    """Company places awaiting approval, oldest first, with their rimelighedskrav."""
    _require_jobcentre()
    page = access.pending_places(
        get_db(), current_actor(), page=page_arg(), per_page=QUEUE_PAGE_SIZE
    )
    verdicts = {v.id: vacancy_service.rimelighedskrav(v) for v in page.items}
    return render_template(
        "approvals/list.html", page=page, verdicts=verdicts, page_url_args=page_url_args
    )


def _detail(vacancy: Vacancy, form: DecisionForm, *, general: str | None = None, status: int = 200):  # noqa: ANN202
    html = render_template(
        "approvals/detail.html",
        vacancy=vacancy,
        rimelighed=vacancy_service.rimelighedskrav(vacancy),
        form=form,
        general_error=general,
        pending=vacancy.status is VacancyStatus.PENDING_APPROVAL,
    )
    return html, status


@bp.get("/<int:vacancy_id>")
@role_required(Role.APPROVER)
def detail(vacancy_id: int):  # noqa: ANN201 - Flask view
    """One application for a company place, with the decision form while it is pending."""
    _require_jobcentre()
    return _detail(_place(vacancy_id), DecisionForm(formdata=None))


@bp.post("/<int:vacancy_id>")
@role_required(Role.APPROVER)
def decide(vacancy_id: int):  # noqa: ANN201 - Flask view
    """Approve the place (it opens and is matched) or reject it with a reason."""
    _require_jobcentre()
    db = get_db()
    vacancy = _place(vacancy_id)
    form = DecisionForm()
    if not form.validate():
        return _detail(vacancy, form, status=400)
    try:
        if form.decision.data == "approve":
            vacancy_service.approve_place(db, current_actor(), vacancy_id)
        else:
            vacancy_service.reject_place(db, current_actor(), vacancy_id, form.reason.data or "")
    except ValidationError as exc:
        db.rollback()
        form.reason.errors = list(exc.errors.values())
        return _detail(vacancy, form, status=400)
    except InvalidTransition:
        db.rollback()
        return _detail(
            vacancy, form, general="Pladsen afventer ikke længere godkendelse.", status=400
        )
    db.commit()
    if vacancy.status is VacancyStatus.OPEN:
        flash(f"»{vacancy.title}« er godkendt og kan nu findes af jobrådgivere.", "success")
        request_match(vacancy_id)
    else:
        flash(f"»{vacancy.title}« er afvist. Virksomheden ser din begrundelse.", "success")
    return redirect(url_for("approvals.queue"))
