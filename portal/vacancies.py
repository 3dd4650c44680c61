"""Vacancies and company places (/stillinger): employers see their own, counsellors and
approvers the open ones (approvers also places awaiting approval)."""

from __future__ import annotations

from flask import Blueprint, render_template

from matching import access, audit
from matching.models import AuditAction, Role, VacancyKind, VacancyStatus
from portal.app import get_db
from portal.auth import current_actor, role_required
from portal.listing import enum_arg, page_arg, page_url_args

bp = Blueprint("vacancies", __name__, url_prefix="/stillinger")

VACANCY_ROLES = (Role.EMPLOYER, Role.COUNSELLOR, Role.APPROVER)
PURPOSE = "formidling"  # audit purpose: matching people to a concrete job


@bp.get("/")
@role_required(*VACANCY_ROLES)
def vacancy_list():  # noqa: ANN201 - Flask view
    """Paginated list, filterable by kind and (where more than one is visible) status."""
    db = get_db()
    actor = current_actor()
    statuses = access.vacancy_statuses_for(actor)
    kind = enum_arg("type", VacancyKind)
    status = enum_arg("status", VacancyStatus, statuses)
    page = access.visible_vacancies(db, actor, kind=kind, status=status, page=page_arg())
    return render_template(
        "vacancies/list.html",
        page=page,
        kind=kind,
        status=status,
        kinds=list(VacancyKind),
        statuses=statuses,
        page_url_args=page_url_args,
    )


@bp.get("/<int:vacancy_id>")
@role_required(*VACANCY_ROLES)
def detail(vacancy_id: int):  # noqa: ANN201 - Flask view
    """One vacancy or company place (404 and an audit entry outside the user's scope)."""
    vacancy = access.get_vacancy_for(get_db(), current_actor(), vacancy_id)
    return render_template("vacancies/detail.html", vacancy=vacancy)


@bp.get("/<int:vacancy_id>/kandidater")
@role_required(Role.COUNSELLOR)
def candidates(vacancy_id: int):  # noqa: ANN201 - Flask view
    """The vacancy's ranked candidates from the stored match list, with their explanations.

    Only people the counsellor's organisation is responsible for are shown; the others are
    counted. Each page view is written to the audit log with the people shown.
    """
    db = get_db()
    actor = current_actor()
    result = access.candidate_list_for(db, actor, vacancy_id, page=page_arg())
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "candidate_list",
        vacancy_id,
        purpose=PURPOSE,
        details={
            "page": result.page.page,
            "jobseeker_ids": [m.jobseeker_id for m in result.page.items],
        },
    )
    db.commit()
    return render_template(
        "vacancies/candidates.html",
        result=result,
        vacancy=result.vacancy,
        page=result.page,
        page_url_args=lambda n: {**page_url_args(n), "vacancy_id": vacancy_id},
    )
