"""Self-registered employers are confirmed by a jobcentre before counsellors see their jobs."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matching.models import AuditAction, OrgKind, Role, User
from matching.vacancies.queries import is_matchable


def act_as(client: FlaskClient, user: User, role: Role) -> None:
    """Choose the active role of a logged-in user with several."""
    [membership] = [m for m in user.memberships if m.role is role]
    response = client.post("/vaelg-organisation", data={"membership": str(membership.id)})
    assert response.status_code == 302


def test_an_unconfirmed_employers_vacancy_is_invisible_until_a_jobcentre_confirms_it(
    client: FlaskClient, login, make, session: Session, audit_rows
) -> None:
    impostor = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS (ny)")
    impostor.cvr = "87654321"
    impostor.verified_at = None
    owner = make.user((impostor, Role.ADMIN), (impostor, Role.EMPLOYER), name="Ny Ejer")
    vacancy = make.vacancy(impostor, title="Lagermedarbejder søges")
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    jobcentre.municipality_code = 461
    counsellor = make.user((jobcentre, Role.COUNSELLOR))
    approver = make.user((jobcentre, Role.APPROVER), name="Gitte Godkender")
    akasse = make.organisation(OrgKind.A_KASSE, "A-kasse")
    akasse_approver = make.user((akasse, Role.APPROVER))
    session.commit()
    assert not is_matchable(session, vacancy.id)

    login(counsellor)
    assert "Lagermedarbejder søges" not in client.get("/stillinger/").get_data(as_text=True)
    assert client.get(f"/stillinger/{vacancy.id}").status_code == 404
    assert client.get(f"/stillinger/{vacancy.id}/kandidater").status_code == 404
    assert client.get("/godkendelser/virksomheder").status_code == 403
    client.post("/logout")

    login(owner)
    act_as(client, owner, Role.EMPLOYER)
    page = client.get("/stillinger/").get_data(as_text=True)
    assert "Jobcentret bekræfter jeres virksomhed" in page and "Lagermedarbejder søges" in page
    client.post("/logout")

    # An approver outside a jobcentre may not confirm; a rejection needs a reason.
    login(akasse_approver)
    assert (
        client.post(
            f"/godkendelser/virksomheder/{impostor.id}", data={"decision": "verify"}
        ).status_code
        == 403
    )
    client.post("/logout")
    login(approver)
    queue = client.get("/godkendelser/virksomheder").get_data(as_text=True)
    assert "Fyns Lager ApS (ny)" in queue and "87654321" in queue and "Ny Ejer" in queue
    missing = client.post(f"/godkendelser/virksomheder/{impostor.id}", data={"decision": "reject"})
    assert missing.status_code == 400
    assert "Skriv hvorfor virksomheden afvises." in missing.get_data(as_text=True)
    ok = client.post(f"/godkendelser/virksomheder/{impostor.id}", data={"decision": "verify"})
    assert ok.status_code == 302
    session.refresh(impostor)
    assert impostor.verified_at is not None and impostor.verified_by_id == approver.id
    assert is_matchable(session, vacancy.id)
    # The confirming jobcentre is the company's own: it owns the vacancy published meanwhile.
    session.refresh(vacancy)
    assert impostor.municipality_code == 461 and vacancy.owner_id == jobcentre.id
    again = client.post(f"/godkendelser/virksomheder/{impostor.id}", data={"decision": "verify"})
    assert again.status_code == 400  # already confirmed
    [entry] = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "organisation"]
    assert entry.details == {"verified": True, "cvr": "87654321"} and entry.actor_id == approver.id
    client.post("/logout")

    login(counsellor)
    assert client.get(f"/stillinger/{vacancy.id}").status_code == 200


def test_a_rejected_sign_up_is_deactivated_and_an_approver_never_confirms_their_own_company(
    client: FlaskClient, login, make, session: Session
) -> None:
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    company = make.organisation(OrgKind.EMPLOYER, "Svindel ApS")
    company.verified_at = None
    own = make.organisation(OrgKind.EMPLOYER, "Egen ApS")
    own.verified_at = None
    approver = make.user((jobcentre, Role.APPROVER), (own, Role.ADMIN))
    session.commit()
    login(approver)
    act_as(client, approver, Role.APPROVER)
    assert (
        client.post(f"/godkendelser/virksomheder/{own.id}", data={"decision": "verify"}).status_code
        == 403
    )
    response = client.post(
        f"/godkendelser/virksomheder/{company.id}",
        data={"decision": "reject", "reason": "CVR-nummeret tilhører en anden virksomhed."},
    )
    assert response.status_code == 302
    session.refresh(company)
    assert company.active is False and company.verified_at is None
    queue = client.get("/godkendelser/virksomheder").get_data(as_text=True)
    assert "Oprettelsen af Svindel ApS er afvist." in queue  # the flash
    assert f'id="virksomhed-{company.id}"' not in queue and f'id="virksomhed-{own.id}"' in queue
