"""The counsellor's caseload (/ledige) and the jobseeker detail page with the CV.

Every list page and every detail view is written to the audit log (purpose "sagsbehandling"):
who saw which person's data, and when.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from matching import access, audit
from matching.models import AuditAction, Role, TargetGroup
from portal.app import get_db
from portal.auth import current_actor, role_required
from portal.listing import enum_arg, page_arg, page_url_args

bp = Blueprint("jobseekers", __name__, url_prefix="/ledige")

PURPOSE = "sagsbehandling"


@bp.get("/")
@role_required(Role.COUNSELLOR)
def caseload():  # noqa: ANN201 - Flask view
    """The caseload: 50 per page, search by name/pseudonym/postal code, target group filter."""
    db = get_db()
    actor = current_actor()
    search = request.args.get("q", "").strip()[: access.MAX_SEARCH_CHARS]
    target_group = enum_arg("maalgruppe", TargetGroup)
    page = access.visible_jobseekers(
        db, actor, search=search or None, target_group=target_group, page=page_arg()
    )
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "caseload",
        None,
        purpose=PURPOSE,
        details={
            "page": page.page,
            "search": search,
            "target_group": target_group.value if target_group else None,
            "jobseeker_ids": [j.id for j in page.items],
        },
    )
    db.commit()
    today = access.today_dk()
    return render_template(
        "jobseekers/list.html",
        page=page,
        search=search,
        target_group=target_group,
        target_groups=list(TargetGroup),
        today=today,
        page_url_args=page_url_args,
    )


@bp.get("/<int:jobseeker_id>")
@role_required(Role.COUNSELLOR)
def detail(jobseeker_id: int):  # noqa: ANN201 - Flask view
    """One jobseeker with CV, current target group and responsibility (404 outside scope)."""
    db = get_db()
    actor = current_actor()
    jobseeker = access.get_jobseeker_for(db, actor, jobseeker_id)
    audit.record(
        db,
        actor,
        AuditAction.VIEW,
        "jobseeker",
        jobseeker.id,
        jobseeker_id=jobseeker.id,
        purpose=PURPOSE,
    )
    db.commit()
    today = access.today_dk()
    return render_template(
        "jobseekers/detail.html",
        suggestions=access.suggestions_for(db, actor, jobseeker.id),
        jobseeker=jobseeker,
        cv=jobseeker.cv,
        target_group=jobseeker.target_group_on(today),
        responsibility=jobseeker.responsible_on(today),
        today=today,
    )
