"""The home dashboard: one overview per role."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, render_template

from matching.accounts import members
from matching.core import permissions
from matching.fairs import planning
from matching.models import OrgKind, Role, VacancyStatus, utcnow
from matching.people.queries import caseload_count, newest_jobseekers
from matching.vacancies.forwarding import inbox
from matching.vacancies.queries import count_vacancies, visible_vacancies
from portal.auth import current_actor, login_required
from portal.jobseekers import audit_caseload_view
from portal.transaction import get_db

bp = Blueprint("main", __name__)

NEWEST_JOBSEEKERS = 5
EMPLOYER_VACANCIES_ON_HOME = 10
FORWARDING_STATS_DAYS = 90
UPCOMING_FAIRS_ON_HOME = 5


@bp.get("/")
@login_required
def home():  # noqa: ANN201 - Flask view
    """Dashboard for the active role (counsellor, employer, approver, organiser, admin)."""
    db = get_db()
    actor = current_actor()
    role: Role = g.membership.role
    context: dict = {"role": role}
    if role is Role.COUNSELLOR:
        newest = newest_jobseekers(db, actor, limit=NEWEST_JOBSEEKERS)
        context["caseload_count"] = caseload_count(db, actor)
        context["newest"] = newest
        context["open_vacancies"] = count_vacancies(db, actor)
        context["open_places"] = count_vacancies(db, actor, company_places_only=True)
        if newest:
            # The newest-jobseekers panel shows personal data: log who saw which names.
            audit_caseload_view(db, actor, page="forside", jobseeker_ids=[j.id for j in newest])
    elif role is Role.EMPLOYER:
        context["vacancies"] = visible_vacancies(db, actor, per_page=EMPLOYER_VACANCIES_ON_HOME)
        context["fair_invitations"] = planning.unanswered_invitations(db, actor)
    elif role is Role.APPROVER:
        context["pending_places"] = count_vacancies(
            db, actor, status=VacancyStatus.PENDING_APPROVAL, company_places_only=True
        )
        context["open_places"] = count_vacancies(
            db, actor, status=VacancyStatus.OPEN, company_places_only=True
        )
    else:
        context["member_count"] = members.organisation_member_count(db, actor)
    kind = g.membership.organisation.kind
    if (
        role is Role.ORGANISER or (role is Role.ADMIN and kind is OrgKind.JOB_FAIR_ORGANISER)
    ) and permissions.may_organise_fairs(db, actor):
        context["upcoming_fairs"] = planning.fairs_for(
            db, actor, upcoming_only=True, per_page=UPCOMING_FAIRS_ON_HOME
        )
    if permissions.may_see_forwarding_results(actor, kind):
        since = utcnow() - timedelta(days=FORWARDING_STATS_DAYS)
        context["forwarding_stats"] = inbox.stats(db, g.membership.organisation_id, since)
        context["forwarding_days"] = FORWARDING_STATS_DAYS
    return render_template("home.html", **context)
