"""Role-based access and scoping, seen from the attacker's side: guessing ids must give 404
plus an ACCESS_DENIED audit entry, and wrong roles get 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from matching.core.dates import today_dk
from matching.models import (
    AuditAction,
    OrgKind,
    ResponsibilityPeriod,
    Role,
    TargetGroup,
    VacancyKind,
    VacancyStatus,
)


@pytest.fixture
def two_employers(make):
    acme = make.organisation(OrgKind.EMPLOYER, "Acme ApS")
    rival = make.organisation(OrgKind.EMPLOYER, "Rival A/S")
    acme_user = make.user((acme, Role.EMPLOYER))
    own = make.vacancy(acme, title="Acme lagermedarbejder", status=VacancyStatus.DRAFT)
    theirs = make.vacancy(rival, title="Rival hemmelig stilling", status=VacancyStatus.DRAFT)
    return acme_user, own, theirs


def test_employer_guessing_another_employers_vacancy_gets_404_and_audit(
    client: FlaskClient, login, two_employers, audit_rows
) -> None:
    user, own, theirs = two_employers
    login(user)
    assert client.get(f"/stillinger/{own.id}").status_code == 200
    response = client.get(f"/stillinger/{theirs.id}")
    assert response.status_code == 404
    assert "Rival hemmelig stilling" not in response.get_data(as_text=True)
    missing = client.get(f"/stillinger/{theirs.id + 1000}")
    assert missing.status_code == 404
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id, e.actor_id) for e in denied] == [
        ("vacancy", str(theirs.id), user.id),
        ("vacancy", str(theirs.id + 1000), user.id),
    ]
    assert denied[0].details["exists"] is True and denied[1].details["exists"] is False


def test_employer_list_shows_only_own_vacancies(client, login, two_employers) -> None:
    user, own, _theirs = two_employers
    login(user)
    html = client.get("/stillinger/").get_data(as_text=True)
    assert "Acme lagermedarbejder" in html and "Rival hemmelig stilling" not in html
    home = client.get("/").get_data(as_text=True)
    assert "Acme lagermedarbejder" in home and "Kladde" in home


def test_counsellor_sees_only_open_vacancies_and_filters(client, login, make) -> None:
    employer = make.organisation(OrgKind.EMPLOYER, "Fynbo ApS")
    make.vacancy(employer, title="Åben chauffør")
    make.vacancy(
        employer,
        title="Åben praktikplads",
        kind=VacancyKind.VIRKSOMHEDSPRAKTIK,
    )
    draft = make.vacancy(employer, title="Skjult kladde", status=VacancyStatus.DRAFT)
    org = make.organisation(OrgKind.A_KASSE)
    login(make.user((org, Role.COUNSELLOR)))
    html = client.get("/stillinger/").get_data(as_text=True)
    assert "Åben chauffør" in html and "Åben praktikplads" in html
    assert "Skjult kladde" not in html
    html = client.get("/stillinger/?type=virksomhedspraktik").get_data(as_text=True)
    assert "Åben praktikplads" in html and "Åben chauffør" not in html
    assert client.get(f"/stillinger/{draft.id}").status_code == 404


def test_approver_sees_pending_places(client, login, make) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    make.vacancy(
        employer,
        title="Løntilskud afventer",
        kind=VacancyKind.LOENTILSKUD_PRIVATE,
        status=VacancyStatus.PENDING_APPROVAL,
    )
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    login(make.user((jobcentre, Role.APPROVER)))
    home = client.get("/").get_data(as_text=True)
    assert '<span class="jb-stat-number">1</span> <span class="jb-stat-label">afventer' in home
    html = client.get("/stillinger/?status=pending_approval").get_data(as_text=True)
    assert "Løntilskud afventer" in html


def test_counsellor_of_akasse_a_cannot_open_jobseeker_of_akasse_b(
    client: FlaskClient, login, make, audit_rows
) -> None:
    akasse_a = make.organisation(OrgKind.A_KASSE, "A-kasse A")
    akasse_b = make.organisation(OrgKind.A_KASSE, "A-kasse B")
    counsellor_a = make.user((akasse_a, Role.COUNSELLOR))
    person_b = make.jobseeker(akasse_b, first_name="Bodil", last_name="Hemmelig")
    login(counsellor_a)
    response = client.get(f"/ledige/{person_b.id}")
    assert response.status_code == 404
    assert "Hemmelig" not in response.get_data(as_text=True)
    assert "Hemmelig" not in client.get("/ledige/").get_data(as_text=True)
    [denied] = audit_rows(AuditAction.ACCESS_DENIED)
    assert denied.object_type == "jobseeker" and denied.object_id == str(person_b.id)
    assert denied.actor_id == counsellor_a.id and denied.jobseeker_id == person_b.id
    assert denied.actor_organisation_id == akasse_a.id
    assert not [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "jobseeker"]


def test_responsibility_must_be_current(client, login, make, akasse_counsellor) -> None:
    org, user = akasse_counsellor
    other = make.organisation(OrgKind.JOBCENTRE)
    today = today_dk()
    # Moved to the jobcentre yesterday (valid_to is exclusive): no longer ours.
    moved = make.jobseeker(org, first_name="Flyttet", responsible_to=today)
    make.session.add(
        ResponsibilityPeriod(
            jobseeker_id=moved.id, organisation_id=other.id, valid_from=today, reason="test"
        )
    )
    make.session.commit()
    future = make.jobseeker(org, first_name="Fremtidig", responsible_from=today + timedelta(days=3))
    current = make.jobseeker(org, first_name="Aktuel", responsible_to=today + timedelta(days=1))
    login(user)
    assert client.get(f"/ledige/{moved.id}").status_code == 404
    assert client.get(f"/ledige/{future.id}").status_code == 404
    assert client.get(f"/ledige/{current.id}").status_code == 200


@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.APPROVER, Role.ORGANISER, Role.ADMIN])
def test_non_counsellors_get_403_on_caseload(
    client: FlaskClient, login, make, audit_rows, role: Role
) -> None:
    kind = {
        Role.EMPLOYER: OrgKind.EMPLOYER,
        Role.APPROVER: OrgKind.JOBCENTRE,
        Role.ORGANISER: OrgKind.JOB_FAIR_ORGANISER,
        Role.ADMIN: OrgKind.A_KASSE,
    }[role]
    org = make.organisation(kind)
    user = make.user((org, role))
    person = make.jobseeker(org)
    login(user)
    response = client.get("/ledige/")
    assert response.status_code == 403
    assert "Du har ikke adgang til siden" in response.get_data(as_text=True)
    assert client.get(f"/ledige/{person.id}").status_code == 403
    assert len(audit_rows(AuditAction.ACCESS_DENIED)) == 2
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.ADMIN])
def test_roles_without_vacancy_access_get_403(client, login, make, role: Role) -> None:
    org = make.organisation(OrgKind.JOB_FAIR_ORGANISER)
    login(make.user((org, role)))
    assert client.get("/stillinger/").status_code == 403
    assert "Brugere" in client.get("/").get_data(as_text=True)


def test_caseload_pagination_and_audit(
    client: FlaskClient, login, make, akasse_counsellor, audit_rows
) -> None:
    org, user = akasse_counsellor
    for i in range(53):
        make.jobseeker(org, first_name=f"Person{i:02d}", commit=False)
    make.session.commit()
    login(user)
    first = client.get("/ledige/").get_data(as_text=True)
    assert "Viser 1–50 af 53 ledige" in first
    assert first.count('href="/ledige/') >= 50
    assert "Side 1 af 2" in first and 'rel="next"' in first
    second = client.get("/ledige/?side=2").get_data(as_text=True)
    assert "Viser 51–53 af 53 ledige" in second and 'rel="prev"' in second
    # Past the end: clamped to the last page.
    assert "Viser 51–53 af 53 ledige" in client.get("/ledige/?side=99").get_data(as_text=True)
    views = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "caseload"]
    assert len(views) == 3
    assert views[0].purpose == "sagsbehandling" and len(views[0].details["jobseeker_ids"]) == 50
    assert views[1].details["page"] == 2 and len(views[1].details["jobseeker_ids"]) == 3


def test_caseload_search_and_filter(client, login, make, akasse_counsellor) -> None:
    org, user = akasse_counsellor
    other = make.organisation(OrgKind.A_KASSE)
    kierkegaard = make.jobseeker(
        org, first_name="Søren", last_name="Kierkegaard", postal_code="1000"
    )
    pseud = make.jobseeker(org, first_name="Karen", last_name="Blixen", postal_code="2960")
    andersen = make.jobseeker(
        org,
        first_name="Hans",
        last_name="Andersen",
        postal_code="5000",
        target_group=TargetGroup.KONTANTHJAELP_JOBPARAT,
    )
    fremmed = make.jobseeker(other, first_name="Søren", last_name="Fremmed", postal_code="1000")
    login(user)

    def names(query: str) -> str:
        return client.get(f"/ledige/?{query}").get_data(as_text=True)

    html = names("q=søren+kierke")
    assert "Kierkegaard" in html and "Blixen" not in html and "Fremmed" not in html
    html = names("q=KAREN")
    assert "Blixen" in html and "Kierkegaard" not in html
    html = names(f"q={pseud.pseudonym.lower()}")
    assert "Blixen" in html and "Andersen" not in html
    # A postal-code prefix. The factory's pseudonyms are digits too (L-000294 contains "29"),
    # so the others get pseudonyms without those digits first.
    for n, person in enumerate((kierkegaard, andersen, fremmed)):
        person.pseudonym = f"L-K{n:05d}"
    make.session.commit()
    html = names("q=29")
    assert "Blixen" in html and "Kierkegaard" not in html
    html = names("maalgruppe=kontanthjaelp_jobparat")
    assert "Andersen" in html and "Blixen" not in html
    html = names("q=%25")  # LIKE wildcards are escaped
    assert "Ingen ledige matcher din søgning" in html
    html = names("maalgruppe=ikke-en-maalgruppe")
    assert "Viser 1–3 af 3 ledige" in html


def test_jobseeker_detail_shows_cv_and_writes_view_audit(
    client: FlaskClient, login, make, akasse_counsellor, audit_rows
) -> None:
    org, user = akasse_counsellor
    person = make.jobseeker(org, first_name="Mette", last_name="Frederiksen", with_cv=True)
    login(user)
    response = client.get(f"/ledige/{person.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in (
        "Mette Frederiksen",
        "Erfaren lagermedarbejder",
        "Fynsk Logistik A/S",
        "Lager- og terminaluddannelsen",
        "Truckcertifikat",
        "Dansk: Modersmål",
        "Chauffør",
        "Dagpengemodtager",
        "A-kasse Fyn",
    ):
        assert text in html, text
    [view] = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "jobseeker"]
    assert view.jobseeker_id == person.id and view.object_id == str(person.id)
    assert view.actor_id == user.id and view.actor_organisation_id == org.id
    assert view.purpose == "sagsbehandling"


def test_counsellor_home_dashboard(client, login, make, akasse_counsellor) -> None:
    org, user = akasse_counsellor
    login(user)
    html = client.get("/").get_data(as_text=True)
    assert "Din organisation har ingen ledige i sagsstammen lige nu." in html
    make.jobseeker(org, first_name="Nyeste", last_name="Person")
    html = client.get("/").get_data(as_text=True)
    assert "Nyeste Person" in html
    assert '<span class="jb-stat-number">1</span>' in html
