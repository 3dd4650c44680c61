"""The person's rights in the portal: the export page and its JSON and PDF downloads (attached,
never cached, audited), erasure of a person who has left the register (reason, confirmation,
CSRF), another organisation's person (404, logged) and employers (403)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from matching.core.dates import format_date, today_dk
from matching.core.settings import Settings
from matching.models import AuditAction, AuditEntry, ExitReason, Jobseeker, OrgKind, Role, User
from tests.factories import PASSWORD, Factory
from tests.support.portal import csrf_token, html, make_app


@dataclass
class World:
    counsellor: User
    other_counsellor: User
    employer: User
    person: Jobseeker
    left: Jobseeker


@pytest.fixture
def world(make: Factory, session: Session) -> World:
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    other = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Svendborg")
    company = make.organisation(OrgKind.EMPLOYER, "Fynsk Logistik A/S")
    person = make.jobseeker(jobcentre, first_name="Birgitte", last_name="Kjærsgaard", with_cv=True)
    left = make.jobseeker(
        jobcentre,
        first_name="Ole",
        last_name="Afmeldtsen",
        with_cv=True,
        responsible_from=today_dk() - timedelta(days=60),
        responsible_to=today_dk() - timedelta(days=5),  # closed by the exit
    )
    left.active, left.left_on, left.exit_reason = (
        False,
        today_dk() - timedelta(days=6),
        ExitReason.JOB,
    )
    session.commit()
    return World(
        counsellor=make.user((jobcentre, Role.COUNSELLOR)),
        other_counsellor=make.user((other, Role.COUNSELLOR)),
        employer=make.user((company, Role.EMPLOYER)),
        person=person,
        left=left,
    )


def test_the_page_and_the_json_download(
    client: FlaskClient,
    login: Callable[[User], None],
    world: World,
    audit_rows: Callable[..., list[AuditEntry]],
) -> None:
    login(world.counsellor)
    detail = html(client.get(f"/ledige/{world.person.id}"))
    assert f'href="/ledige/{world.person.id}/indsigt"' in detail
    page = client.get(f"/ledige/{world.person.id}/indsigt")
    assert page.status_code == 200
    assert "Hent som PDF" in html(page) and "Hent som JSON" in html(page)

    response = client.get(f"/ledige/{world.person.id}/indsigt.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="indsigt-{world.person.pseudonym}.json"'
    )
    data = json.loads(response.get_data())
    assert data["person"]["first_name"] == "Birgitte"
    assert data["cv"]["headline"] == "Erfaren lagermedarbejder"
    # the views of the page are in the export: the detail page and the rights page
    assert {v["object"] for v in data["access_log"]} == {"jobseeker"}
    [export] = audit_rows(AuditAction.EXPORT)
    assert (export.jobseeker_id, export.purpose) == (world.person.id, "indsigt")
    assert export.details["format"] == "json"


def test_the_pdf_download(
    client: FlaskClient,
    login: Callable[[User], None],
    world: World,
    audit_rows: Callable[..., list[AuditEntry]],
) -> None:
    login(world.counsellor)
    response = client.get(f"/ledige/{world.person.id}/indsigt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert "Birgitte Kjærsgaard" in reader.pages[0].extract_text()
    [export] = audit_rows(AuditAction.EXPORT)
    assert export.details["format"] == "pdf"


def test_a_person_who_left_is_still_reachable_by_the_organisation_responsible_last(
    client: FlaskClient, login: Callable[[User], None], world: World
) -> None:
    login(world.counsellor)
    assert client.get(f"/ledige/{world.left.id}").status_code == 404  # off the caseload
    assert client.get(f"/ledige/{world.left.id}/indsigt").status_code == 200
    assert client.get(f"/ledige/{world.left.id}/indsigt.json").status_code == 200


@pytest.mark.parametrize("suffix", ["/indsigt", "/indsigt.json", "/indsigt.pdf", "/slet"])
def test_another_organisations_person_is_not_found_and_logged(
    client: FlaskClient,
    login: Callable[[User], None],
    world: World,
    audit_rows: Callable[..., list[AuditEntry]],
    suffix: str,
) -> None:
    login(world.other_counsellor)
    for person in (world.person, world.left):
        response = client.get(f"/ledige/{person.id}{suffix}")
        assert response.status_code == 404
        assert "Birgitte" not in html(response)
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [d.jobseeker_id for d in denied] == [world.person.id, world.left.id]
    assert audit_rows(AuditAction.EXPORT) == []


def test_employers_are_refused(
    client: FlaskClient, login: Callable[[User], None], world: World
) -> None:
    login(world.employer)
    for suffix in ("/indsigt", "/indsigt.json", "/indsigt.pdf", "/slet"):
        assert client.get(f"/ledige/{world.left.id}{suffix}").status_code == 403
    response = client.post(f"/ledige/{world.left.id}/slet", data={"reason": "x", "confirm": "y"})
    assert response.status_code == 403
    assert world.left.anonymised_at is None


def test_a_person_on_the_register_is_not_erased(
    client: FlaskClient, login: Callable[[User], None], world: World, session: Session
) -> None:
    login(world.counsellor)
    page = client.get(f"/ledige/{world.person.id}/slet")
    assert page.status_code == 200 and "er stadig tilmeldt" in html(page)
    response = client.post(
        f"/ledige/{world.person.id}/slet", data={"reason": "Anmodning", "confirm": "y"}
    )
    assert response.status_code == 400
    session.expire_all()
    assert world.person.first_name == "Birgitte" and world.person.anonymised_at is None


def test_erasure_needs_a_reason_and_a_confirmation(
    client: FlaskClient,
    login: Callable[[User], None],
    world: World,
    session: Session,
    audit_rows: Callable[..., list[AuditEntry]],
) -> None:
    login(world.counsellor)
    url = f"/ledige/{world.left.id}/slet"
    refused = client.post(url, data={"reason": ""})
    assert refused.status_code == 400
    assert "Skriv, hvilken anmodning" in html(refused)
    assert "Bekræft, at oplysningerne skal slettes." in html(refused)
    session.expire_all()
    assert world.left.anonymised_at is None

    done = client.post(url, data={"reason": "Anmodning pr. brev 3. marts", "confirm": "y"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/ledige/{world.left.id}/indsigt")
    session.expire_all()
    assert world.left.first_name == "Anonymiseret" and world.left.cv is None
    [deleted] = audit_rows(AuditAction.DELETE)
    assert (deleted.jobseeker_id, deleted.purpose) == (world.left.id, "sletning")
    assert deleted.details == {"pseudonym": world.left.pseudonym, "anonymised": True}
    after = html(client.get(url))
    assert "blev slettet" in after and "Afmeldtsen" not in after


def test_erasure_needs_the_csrf_token(settings: Settings, session: Session, world: World) -> None:
    client = make_app(settings, session, csrf=True).test_client()
    client.post(
        "/login",
        data={"email": world.counsellor.email, "password": PASSWORD,
              "csrf_token": csrf_token(html(client.get("/login")))},
    )  # fmt: skip
    url = f"/ledige/{world.left.id}/slet"
    forged = client.post(url, data={"reason": "Anmodning", "confirm": "y"})
    assert forged.status_code == 400
    session.expire_all()
    assert world.left.anonymised_at is None
    token = csrf_token(html(client.get(url)))
    done = client.post(url, data={"reason": "Anmodning", "confirm": "y", "csrf_token": token})
    assert done.status_code == 302
    session.expire_all()
    assert world.left.anonymised_at is not None


def test_people_who_left_are_listed_with_the_exit_and_a_link_to_their_rights(
    client: FlaskClient,
    login: Callable[[User], None],
    world: World,
    audit_rows: Callable[..., list[AuditEntry]],
) -> None:
    login(world.counsellor)
    assert 'href="/ledige/afmeldte"' in html(client.get("/ledige/"))
    page = html(client.get("/ledige/afmeldte"))
    assert f'href="/ledige/{world.left.id}/indsigt"' in page
    assert "Ole Afmeldtsen" in page and ExitReason.JOB.label_da in page
    assert format_date(world.left.left_on) in page
    assert "Birgitte" not in page  # still on the register: in the caseload, not here
    [seen] = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "left_register_list"]
    assert seen.details["jobseeker_ids"] == [world.left.id] and seen.purpose == "sagsbehandling"


def test_another_organisation_does_not_see_who_left(
    client: FlaskClient, login: Callable[[User], None], world: World
) -> None:
    login(world.other_counsellor)
    page = html(client.get("/ledige/afmeldte"))
    assert "Afmeldtsen" not in page and "Ingen afmeldte ledige" in page
