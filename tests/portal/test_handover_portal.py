"""Handovers in the portal: the receiving counsellor sees the history and the note, the
handing-over counsellor only a pseudonymous list, everyone else nothing (attacker's side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matching.core.dates import add_months, today_dk
from matching.models import (
    CV,
    AuditAction,
    Handover,
    Jobseeker,
    Organisation,
    OrgKind,
    Referral,
    ReferralState,
    Role,
    User,
)
from matching.people.handovers import apply_routing
from matching.rules.routing import describe_rule


@dataclass
class Scene:
    akasse: Organisation
    jobcentre: Organisation
    akasse_counsellor: User
    jobcentre_counsellor: User
    outsider: User  # a counsellor at another a-kasse
    person: Jobseeker
    referral: Referral


@pytest.fixture
def scene(session: Session, make) -> Scene:  # noqa: ANN001
    """A dagpenge recipient four months unemployed, still with the a-kasse, one open referral;
    then the nightly routing run hands the person over to Jobcenter Odense."""
    today = today_dk()
    akasse = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    jobcentre.municipality_code = 461
    other = make.organisation(OrgKind.A_KASSE, "A-kasse Anden")
    employer = make.organisation(OrgKind.EMPLOYER, "Fynsk Logistik A/S")
    vacancy = make.vacancy(employer, title="Lagerchef med truck")
    start = add_months(today, -4)
    person = make.jobseeker(
        akasse, first_name="Hemmelig", last_name="Navnesen", responsible_from=start, commit=False
    )
    person.a_kasse_id = akasse.id
    person.municipality_code = 461
    person.unemployment_start = start
    person.target_groups[0].valid_from = start
    person.cv = CV(headline="Erfaren lagerchef med certifikater")
    session.flush()
    referral = Referral(
        vacancy_id=vacancy.id,
        jobseeker_id=person.id,
        organisation_id=akasse.id,
        state=ReferralState.SENT,
    )
    session.add(referral)
    session.flush()
    report = apply_routing(session, today, base_url="https://jobbro.example")
    assert report.handed_over == 1
    session.commit()
    return Scene(
        akasse=akasse,
        jobcentre=jobcentre,
        akasse_counsellor=make.user((akasse, Role.COUNSELLOR)),
        jobcentre_counsellor=make.user((jobcentre, Role.COUNSELLOR)),
        outsider=make.user((other, Role.COUNSELLOR)),
        person=person,
        referral=referral,
    )


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def test_the_new_counsellor_sees_the_history_and_the_note(
    client: FlaskClient, login, scene: Scene
) -> None:
    login(scene.jobcentre_counsellor)
    response = client.get(f"/ledige/{scene.person.id}")
    assert response.status_code == 200
    html = _html(response)
    assert "Ansvar og overdragelser" in html
    assert "A-kasse Fyn" in html and "Jobcenter Odense" in html
    assert "Dagpenge efter 3 måneder: jobcenteret har kontaktforløbet" in html
    assert "Overdragelsesnote" in html
    assert "Åbne henvisninger flyttet med (1):" in html
    assert "Lagerchef med truck hos Fynsk Logistik A/S: Henvist" in html
    assert describe_rule("national-2024") in html
    assert "Overdraget til Jobcenter Odense (national-2024)" in html  # the referral's history
    assert "<script>" not in html
    # The moved referral can be worked on by the new organisation.
    assert f'action="/ledige/{scene.person.id}/henvisninger/{scene.referral.id}"' in html


def test_the_old_counsellor_loses_the_person_but_sees_the_handover(
    client: FlaskClient, login, scene: Scene, audit_rows
) -> None:
    login(scene.akasse_counsellor)
    assert client.get(f"/ledige/{scene.person.id}").status_code == 404
    caseload = _html(client.get("/ledige/"))
    assert 'href="/ledige/overdragne"' in caseload
    assert scene.person.pseudonym not in caseload

    response = client.get("/ledige/overdragne")
    assert response.status_code == 200
    html = _html(response)
    assert scene.person.pseudonym in html
    assert "Jobcenter Odense" in html and describe_rule("national-2024") in html
    assert today_dk().strftime("%d.%m.%Y") in html
    assert "<td>1</td>" in html  # one open referral moved
    # No longer responsible: no name, no CV, no note, no link to the person.
    for secret in ("Hemmelig", "Navnesen", "Erfaren lagerchef", "Lagerchef med truck"):
        assert secret not in html
    assert f'href="/ledige/{scene.person.id}"' not in html
    assert "<script>" not in html

    [entry] = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "handover_list"]
    assert (entry.actor_id, entry.purpose) == (scene.akasse_counsellor.id, "sagsbehandling")
    assert entry.details["jobseeker_ids"] == [scene.person.id]
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.jobseeker_id) for e in denied] == [("jobseeker", scene.person.id)]


def test_the_receiver_does_not_list_it_as_handed_over(
    client: FlaskClient, login, scene: Scene
) -> None:
    login(scene.jobcentre_counsellor)
    html = _html(client.get("/ledige/overdragne"))
    assert scene.person.pseudonym not in html
    assert "Din organisation har ikke overdraget nogen ledige de seneste 90 dage." in html


def test_another_organisation_sees_neither_the_person_nor_the_handover(
    client: FlaskClient, login, scene: Scene, audit_rows
) -> None:
    login(scene.outsider)
    assert client.get(f"/ledige/{scene.person.id}").status_code == 404
    html = _html(client.get("/ledige/overdragne"))
    assert scene.person.pseudonym not in html and "Jobcenter Odense" not in html
    assert "Din organisation har ikke overdraget nogen" in html
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [(e.actor_id, e.jobseeker_id) for e in denied] == [(scene.outsider.id, scene.person.id)]


def test_only_counsellors_open_the_list(client: FlaskClient, login, make) -> None:  # noqa: ANN001
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    login(make.user((jobcentre, Role.APPROVER)))
    assert client.get("/ledige/overdragne").status_code == 403


def test_the_list_covers_90_days_and_is_paginated(
    client: FlaskClient, login, make, session: Session
) -> None:  # noqa: ANN001
    today = today_dk()
    akasse = make.organisation(OrgKind.A_KASSE)
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    people = [make.jobseeker(jobcentre, commit=False) for _ in range(52)]
    session.flush()
    for i, person in enumerate(people):
        # 51 within the window (today … exactly 90 days ago), the last one a day outside it.
        days_ago = {50: 90, 51: 91}.get(i, i)
        session.add(
            Handover(
                jobseeker_id=person.id,
                from_organisation_id=akasse.id,
                to_organisation_id=jobcentre.id,
                effective_date=today - timedelta(days=days_ago),
                rule_id="national-2024",
                idempotency_key=f"test:{person.id}",
            )
        )
    session.commit()
    login(make.user((akasse, Role.COUNSELLOR)))
    first = _html(client.get("/ledige/overdragne"))
    assert "Viser 1–50 af 51 overdragelser" in first
    assert people[0].pseudonym in first and people[51].pseudonym not in first
    assert 'href="/ledige/overdragne?side=2"' in first
    second = _html(client.get("/ledige/overdragne?side=2"))
    assert "Viser 51–51 af 51 overdragelser" in second
    assert people[50].pseudonym in second and people[51].pseudonym not in second
