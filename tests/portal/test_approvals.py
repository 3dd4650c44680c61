"""The jobcentre's approval queue: who may use it, approving, rejecting with a reason."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from rq.job import Job as RQJob
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.settings import Settings
from matching.models import (
    ApprovalStatus,
    AuditAction,
    Organisation,
    OrgKind,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.vacancies.queries import is_matchable
from tests.factories import PASSWORD
from tests.factories.vacancies import PLACE
from tests.support.portal import csrf_token, html, make_app
from workers.queues import Job

TODAY = today_dk()


@pytest.fixture
def jobcentre(make) -> Organisation:  # noqa: ANN001
    return make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")


@pytest.fixture
def approver(make, login, jobcentre):  # noqa: ANN001, ANN201
    user = make.user((jobcentre, Role.APPROVER), name="Gitte Godkender")
    login(user)
    return user


def pending_place(make, session: Session, employer: Organisation, **changes) -> Vacancy:  # noqa: ANN001, ANN003
    place = make.vacancy(
        employer,
        kind=changes.pop("kind", VacancyKind.VIRKSOMHEDSPRAKTIK),
        status=VacancyStatus.PENDING_APPROVAL,
        title=changes.pop("title", "Praktik på lageret"),
    )
    values = {
        "ordinary_staff_fte": 12.5,
        "current_subsidised_count": 0,
        "employee_rep_statement": True,
        "duration_weeks": 4,
        "purpose": "Afklare om lagerarbejde passer.",
        "start_date": TODAY + timedelta(days=30),
        **changes,
    }
    for name, value in values.items():
        setattr(place, name, value)
    session.commit()
    return place


def test_queue_lists_pending_places_oldest_first_with_the_verdict(
    client: FlaskClient, session: Session, make, approver
) -> None:
    employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    newer = pending_place(make, session, employer, title="Nyere plads")
    older = pending_place(
        make,
        session,
        employer,
        title="Ældre plads",
        ordinary_staff_fte=4,
        current_subsidised_count=1,
    )
    older.created_at = utcnow() - timedelta(days=3)
    make.vacancy(employer, title="Åben stilling")  # ordinary: not in the queue
    make.vacancy(employer, kind=VacancyKind.IGU, status=VacancyStatus.DRAFT, title="Kladde")
    session.commit()

    page = html(client.get("/godkendelser"))
    assert page.index("Ældre plads") < page.index("Nyere plads")
    assert "Åben stilling" not in page and "Kladde" not in page
    assert "Ikke opfyldt" in page and "Opfyldt" in page
    assert 'aria-current="page"><span>Godkendelser</span>' in page
    assert f'href="/godkendelser/{newer.id}"' in page


def test_queue_is_paginated(client: FlaskClient, session: Session, make, approver) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    for i in range(27):
        pending_place(make, session, employer, title=f"Plads {i:02d}")
    first = html(client.get("/godkendelser"))
    assert "Viser 1–25 af 27 ansøgninger" in first and "Side 1 af 2" in first
    second = html(client.get("/godkendelser?side=2"))
    assert "Viser 26–27 af 27 ansøgninger" in second


def test_approving_makes_the_place_matchable_and_enqueues_the_match_job(
    settings: Settings, session: Session, make, jobcentre, redis_url: str, redis_conn, audit_rows
) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    place = pending_place(make, session, employer)
    user = make.user((jobcentre, Role.APPROVER))
    client = make_app(
        settings.with_overrides(redis_url=redis_url), session, csrf=False
    ).test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert not is_matchable(session, place.id)

    detail = html(client.get(f"/godkendelser/{place.id}"))
    assert "Afklare om lagerarbejde passer." in detail and "<legend" in detail
    assert "giver plads til 2 virksomhedsrettede tilbud" in detail
    response = client.post(f"/godkendelser/{place.id}", data={"decision": "approve"})
    assert response.headers["Location"] == "/godkendelser"
    session.refresh(place)
    assert place.status is VacancyStatus.OPEN
    assert place.approval_status is ApprovalStatus.APPROVED
    assert place.approved_by_id == user.id and place.approved_at is not None
    assert is_matchable(session, place.id)
    job = RQJob.fetch(f"match-vacancy-{place.id}", connection=redis_conn)
    assert job.func_name == Job.MATCH_VACANCY.path and job.args == (place.id,)
    [entry] = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "vacancy"]
    assert entry.details == {"event": "approve", "from": "pending_approval", "to": "open"}
    assert "er godkendt" in html(client.get("/godkendelser"))


def test_reject_needs_a_reason_and_the_employer_sees_it_and_resubmits(
    client: FlaskClient, session: Session, make, login, jobcentre
) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    employer_user = make.user((employer, Role.EMPLOYER))
    place = pending_place(make, session, employer)
    login(make.user((jobcentre, Role.APPROVER)))

    missing = client.post(f"/godkendelser/{place.id}", data={"decision": "reject", "reason": " "})
    assert missing.status_code == 400 and "Skriv en begrundelse." in html(missing)
    assert 'href="#reason"' in html(missing)
    too_long = client.post(
        f"/godkendelser/{place.id}", data={"decision": "reject", "reason": "å" * 2001}
    )
    assert too_long.status_code == 400 and "Højst 2000 tegn." in html(too_long)
    assert "å" * 2001 in html(too_long)  # kept
    nothing = client.post(f"/godkendelser/{place.id}", data={})
    assert nothing.status_code == 400 and "Vælg godkend eller afvis." in html(nothing)
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL

    reason = "Formålet beskriver ikke, hvad personen skal lære."
    client.post(f"/godkendelser/{place.id}", data={"decision": "reject", "reason": reason})
    session.refresh(place)
    assert place.status is VacancyStatus.REJECTED and place.approval_note == reason
    again = client.post(f"/godkendelser/{place.id}", data={"decision": "approve"})
    assert again.status_code in (400, 404)  # no longer pending (and no longer in scope)

    client.post("/logout")
    login(employer_user)
    detail = html(client.get(f"/stillinger/{place.id}"))
    assert reason in detail and "Send til godkendelse" in detail
    data = {**PLACE, "kind": "virksomhedspraktik", "handling": "publish"}
    data["purpose"] = "Lære pluk med scanner og truckkørsel."
    response = client.post(f"/stillinger/{place.id}/rediger", data=data)
    assert response.status_code == 302
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL
    assert place.approval_status is ApprovalStatus.PENDING


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrgKind.A_KASSE, Role.APPROVER),  # an approver, but not at a jobcentre
        (OrgKind.JOBCENTRE, Role.COUNSELLOR),
        (OrgKind.EMPLOYER, Role.EMPLOYER),
        (OrgKind.JOBCENTRE, Role.ADMIN),
    ],
)
def test_only_jobcentre_approvers_get_in(
    client: FlaskClient, session: Session, make, login, audit_rows, kind: OrgKind, role: Role
) -> None:
    org = make.organisation(kind)
    place = pending_place(make, session, org if kind is OrgKind.EMPLOYER else make.organisation())
    login(make.user((org, role)))
    assert client.get("/godkendelser").status_code == 403
    assert client.get(f"/godkendelser/{place.id}").status_code == 403
    assert client.post(f"/godkendelser/{place.id}", data={"decision": "approve"}).status_code == 403
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL
    assert len(audit_rows(AuditAction.ACCESS_DENIED)) == 3
    assert "Godkendelser" not in html(client.get("/"))


def test_a_jobcentre_cannot_approve_its_own_place(
    client: FlaskClient, session: Session, make, approver, jobcentre
) -> None:
    own = pending_place(make, session, jobcentre, kind=VacancyKind.LOENTILSKUD_PUBLIC)
    response = client.post(f"/godkendelser/{own.id}", data={"decision": "approve"})
    assert response.status_code == 403
    session.refresh(own)
    assert own.status is VacancyStatus.PENDING_APPROVAL


def test_ordinary_vacancies_and_unknown_ids_are_not_found(
    client: FlaskClient, make, approver
) -> None:
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    assert client.get(f"/godkendelser/{vacancy.id}").status_code == 404
    assert client.get("/godkendelser/999999").status_code == 404
    assert (
        client.post(f"/godkendelser/{vacancy.id}", data={"decision": "approve"}).status_code == 404
    )


def test_csrf_is_enforced_on_the_decision(
    csrf_client: FlaskClient, session: Session, make, jobcentre
) -> None:
    place = pending_place(make, session, make.organisation(OrgKind.EMPLOYER))
    user = make.user((jobcentre, Role.APPROVER))
    token = csrf_token(html(csrf_client.get("/login")))
    csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    rejected = csrf_client.post(f"/godkendelser/{place.id}", data={"decision": "approve"})
    assert rejected.status_code == 400 and "sikkerhedsfelt" in html(rejected)
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL
    token = csrf_token(html(csrf_client.get(f"/godkendelser/{place.id}")))
    accepted = csrf_client.post(
        f"/godkendelser/{place.id}", data={"decision": "approve", "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_a_decision_on_a_place_the_employer_changed_since_is_refused(
    app, client: FlaskClient, session: Session, make, approver
) -> None:
    employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    employer_user = make.user((employer, Role.EMPLOYER))
    place = pending_place(make, session, employer)
    page = html(client.get(f"/godkendelser/{place.id}"))
    read = re.search(r'name="version"[^>]*value="(\d+)"', page)
    assert read is not None
    # While the approver reads, the employer halves the staff count (the rimelighedskrav).
    employer_client = app.test_client()
    employer_client.post("/login", data={"email": employer_user.email, "password": PASSWORD})
    edit = {**PLACE, "kind": "virksomhedspraktik", "ordinary_staff_fte": "2"}
    assert employer_client.post(f"/stillinger/{place.id}/rediger", data=edit).status_code == 302

    decided = client.post(
        f"/godkendelser/{place.id}", data={"decision": "approve", "version": read.group(1)}
    )
    assert decided.status_code == 409
    assert "Pladsen er ændret, siden du åbnede den" in html(decided)
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL and place.approved_by_id is None
    # Read again, the decision goes through.
    fresh = re.search(r'name="version"[^>]*value="(\d+)"', html(decided))
    assert fresh is not None and fresh.group(1) != read.group(1)
    again = client.post(
        f"/godkendelser/{place.id}", data={"decision": "approve", "version": fresh.group(1)}
    )
    assert again.status_code == 302
    session.refresh(place)
    assert place.status is VacancyStatus.OPEN
