"""The register, edit, leave and consent pages: forms keep what was typed, duplicates and
responsibility answered without hints, other organisations' people 404 and logged, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.settings import Settings
from matching.intake.registration import create_person
from matching.models import AuditAction, AuditEntry, ConsentKind, Jobseeker, User
from tests.support.intake import IntakeWorld, build_intake_world, person_data, unique_cpr

TODAY = today_dk()


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


def form_for(**changes: str) -> dict[str, str]:
    start = (TODAY - timedelta(days=20)).isoformat()
    data = {
        "cpr": unique_cpr(),
        "first_name": "Ærlig",
        "last_name": "Østergård",
        "email": "aerlig@eksempel.dk",
        "phone": "+45 12 34 56 78",
        "street_address": "Vestergade 12",
        "postal_code": "5000",
        "municipality_code": "",
        "a_kasse_id": "",
        "unemployment_start": start,
        "target_groups-0-target_group": "kontanthjaelp_jobparat",
        "target_groups-0-valid_from": start,
        "target_groups-0-valid_to": "",
        "education_level": "erhvervsfaglig",
        "max_commute_km": "25",
        "willing_to_switch_industry": "ja",
        "chose_jobcentre": "nej",
    }
    data.update(changes)
    return data


def text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def test_the_register_form_creates_the_person_and_redirects_to_their_page(
    client: FlaskClient, login: Callable[[User], None], session: Session, world: IntakeWorld
) -> None:
    login(world.counsellor)
    page = client.get("/ledige/ny")
    assert page.status_code == 200
    assert "Opret ledig" in text(page) and world.akasse.name in text(page)
    assert world.closed_akasse.name not in text(page)
    assert 'name="target_groups-3-valid_from"' in text(page)  # more rows without JavaScript

    response = client.post("/ledige/ny", data=form_for(cpr="170585-1111"))
    assert response.status_code == 302
    person = session.scalar(select(Jobseeker).where(Jobseeker.last_name == "Østergård"))
    assert response.headers["Location"].endswith(f"/ledige/{person.id}")
    assert (person.municipality_code, person.max_commute_km) == (461, 25)
    detail = client.get(response.headers["Location"])
    assert "Ærlig Østergård er oprettet" in text(detail)
    assert f"/ledige/{person.id}/rediger" in text(detail)
    assert f"/ledige/{person.id}/afmeld" in text(detail)
    assert "Opret ledig" in text(client.get("/ledige/"))


def test_validation_errors_keep_what_was_typed(
    client: FlaskClient, login: Callable[[User], None], session: Session, world: IntakeWorld
) -> None:
    login(world.counsellor)
    response = client.post(
        "/ledige/ny",
        data=form_for(
            cpr="321385-1234",
            first_name="Bevaret",
            email="ikke-en-adresse",
            postal_code="5700",
            max_commute_km="mange",
            **{
                "target_groups-1-target_group": "sygedagpenge",
                "target_groups-1-valid_from": "i går",
            },
        ),
    )
    body = text(response)
    assert response.status_code == 400
    assert "CPR-nummeret indeholder ikke en gyldig dato." in body
    assert "Kommunen kan ikke udledes af postnummeret" in body
    assert "Skriv et helt antal kilometer" in body
    assert "e-mailadresse" in body
    assert 'value="Bevaret"' in body and 'value="321385-1234"' in body
    assert 'value="i går"' in body and 'value="mange"' in body
    assert 'aria-invalid="true"' in body
    assert session.scalar(select(Jobseeker.id)) is None


def test_a_duplicate_links_to_the_person_only_for_the_responsible_organisation(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    cpr = unique_cpr()
    existing = create_person(session, world.actor(), person_data(cpr=cpr), settings=settings)
    session.commit()
    login(world.counsellor)
    mine = client.post("/ledige/ny", data=form_for(cpr=cpr))
    assert mine.status_code == 409
    assert f'href="/ledige/{existing.id}"' in text(mine)
    client.post("/logout")

    login(world.other_counsellor)
    theirs = client.post("/ledige/ny", data=form_for(cpr=cpr, postal_code="8000"))
    body = text(theirs)
    assert theirs.status_code == 409
    assert "Personen kan ikke oprettes. Kontakt den ansvarlige organisation." in body
    assert f"/ledige/{existing.id}" not in body
    i = body.find(world.jobcentre.name)
    assert world.jobcentre.name not in body, body[i - 300 : i + 100]


def test_not_responsible_says_why(
    client: FlaskClient, login: Callable[[User], None], session: Session, world: IntakeWorld
) -> None:
    login(world.akasse_counsellor)
    response = client.post("/ledige/ny", data=form_for())
    assert response.status_code == 409
    assert "Personen kan ikke oprettes hos jer" in text(response)
    assert "bopælskommunens jobcenter" in text(response)
    assert session.scalar(select(Jobseeker.id)) is None


def test_the_edit_form_is_prefilled_without_cpr_and_names_the_changed_fields(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    data = person_data(cpr="170585-2222")
    person = create_person(session, world.actor(), data, settings=settings)
    session.commit()
    login(world.counsellor)
    page = text(client.get(f"/ledige/{person.id}/rediger"))
    assert 'value="Vestergade 12"' in page
    assert "170585" not in page
    start = data.unemployment_start.isoformat()
    response = client.post(
        f"/ledige/{person.id}/rediger",
        data=form_for(
            cpr="",
            phone="+45 99 88 77 66",
            email="aerlig@eksempel.dk",
            unemployment_start=start,
            education_level="",
            max_commute_km="30",
            **{"target_groups-0-valid_from": start},
        ),
    )
    assert response.status_code == 302
    flashed = text(client.get(response.headers["Location"]))
    assert "Ændringerne er gemt: Telefon." in flashed
    session.refresh(person)
    assert person.phone == "+45 99 88 77 66"
    assert person.cpr_lookup is not None


def test_leaving_the_register_shows_what_will_close_then_the_summary(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    person = create_person(session, world.actor(), person_data(), settings=settings)
    session.commit()
    login(world.counsellor)
    page = text(client.get(f"/ledige/{person.id}/afmeld"))
    assert "trækkes 0 åbne henvisninger tilbage" in page
    assert "Anden forsørgelse" in page
    refused = client.post(
        f"/ledige/{person.id}/afmeld",
        data={"left_on": (TODAY + timedelta(days=2)).isoformat(), "reason": "job", "note": "Ny"},
    )
    assert refused.status_code == 400 and "kan ikke ligge efter i dag" in text(refused)
    assert "Ny</textarea>" in text(refused)
    done = client.post(
        f"/ledige/{person.id}/afmeld",
        data={"left_on": TODAY.isoformat(), "reason": "job", "note": ""},
    )
    assert done.status_code == 200
    assert "er afmeldt" in text(done) and "0 åbne henvisninger er trukket tilbage" in text(done)
    session.refresh(person)
    assert person.active is False
    detail = text(client.get(f"/ledige/{person.id}"))
    assert "Afmeldt fra og med" in detail and f"/ledige/{person.id}/afmeld" not in detail
    assert f"/ledige/{person.id}/rediger" not in detail and f"/ledige/{person.id}/slet" in detail
    # still in the caseload today, but nothing is changed on a person who has left
    for path in ("rediger", "cv", "cv/upload", "cv/kladde"):
        refused = client.get(f"/ledige/{person.id}/{path}")
        assert refused.status_code == 409 and "Personen er afmeldt" in text(refused), path
    edited = client.post(f"/ledige/{person.id}/rediger", data=form_for(first_name="Ny"))
    assert edited.status_code == 409
    session.refresh(person)
    assert person.first_name != "Ny"


def test_consents_page_records_a_withdrawal_and_shows_the_ledger(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    person = create_person(session, world.actor(), person_data(), settings=settings)
    session.commit()
    login(world.counsellor)
    assert "Ingen samtykker registreret endnu" in text(client.get(f"/ledige/{person.id}/samtykker"))
    for given in ("ja", "nej"):
        response = client.post(
            f"/ledige/{person.id}/samtykker",
            data={
                "kind": "share_with_employers",
                "given": given,
                "channel": "paper",
                "given_on": TODAY.isoformat(),
                "note": "Blanket",
            },
        )
        assert response.status_code == 302
    page = text(client.get(f"/ledige/{person.id}/samtykker"))
    assert "er registreret som trukket tilbage" in page
    assert page.count("På papir") >= 3  # current state and two history rows
    assert world.counsellor.name in page
    session.refresh(person)
    assert person.consent_share_with_employers is False
    missing = client.post(f"/ledige/{person.id}/samtykker", data={"channel": "paper"})
    assert missing.status_code == 400
    assert "Vælg hvilket samtykke." in text(missing)
    assert len(person.consent_events) == 2
    assert ConsentKind.SHARE_WITH_EMPLOYERS.label_da in page


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/ledige/{id}/rediger"),
        ("post", "/ledige/{id}/rediger"),
        ("get", "/ledige/{id}/afmeld"),
        ("post", "/ledige/{id}/afmeld"),
        ("get", "/ledige/{id}/samtykker"),
        ("post", "/ledige/{id}/samtykker"),
    ],
)
def test_another_organisations_person_is_not_found_and_logged(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
    method: str,
    path: str,
) -> None:
    person = create_person(session, world.actor(), person_data(), settings=settings)
    session.commit()
    login(world.other_counsellor)
    response = getattr(client, method)(
        path.format(id=person.id), data={"left_on": TODAY.isoformat(), "reason": "job"}
    )
    assert response.status_code == 404
    denied = session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.ACCESS_DENIED)
    ).all()
    assert [e.jobseeker_id for e in denied] == [person.id]
    session.refresh(person)
    assert person.active is True and person.consent_events == []


def test_employers_get_403(
    client: FlaskClient, login: Callable[[User], None], world: IntakeWorld
) -> None:
    login(world.employer_user)
    assert client.get("/ledige/ny").status_code == 403
    assert client.post("/ledige/ny", data=form_for()).status_code == 403


def test_forms_need_the_csrf_token(
    csrf_client: FlaskClient,
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    person = create_person(session, world.actor(), person_data(), settings=settings)
    session.commit()
    page = csrf_client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(page)).group(1)
    from tests.factories import PASSWORD

    csrf_client.post(
        "/login",
        data={"email": world.counsellor.email, "password": PASSWORD, "csrf_token": token},
    )
    for path, data in (
        ("/ledige/ny", form_for()),
        (f"/ledige/{person.id}/afmeld", {"left_on": TODAY.isoformat(), "reason": "job"}),
        (f"/ledige/{person.id}/samtykker", {"kind": "share_with_employers", "given": "ja"}),
        (f"/ledige/{person.id}/rediger", form_for()),
    ):
        assert csrf_client.post(path, data=data).status_code == 400, path
    session.refresh(person)
    assert person.active is True and person.consent_events == []
    assert session.scalar(select(Jobseeker.id).where(Jobseeker.id != person.id)) is None


def _withdraw(client: FlaskClient, person_id: int) -> None:
    response = client.post(
        f"/ledige/{person_id}/samtykker",
        data={"kind": "share_with_employers", "given": "nej", "channel": "in_person"},
    )
    assert response.status_code == 302


def test_after_a_withdrawal_the_shortlist_page_shows_no_name(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    password_hash: str,
) -> None:
    from matching.models import JobFairVacancy, ShortlistEntry
    from tests.factories.fairs import build_world

    fair = build_world(session, people=2, employers=1, password_hash=password_hash)
    entry = session.scalars(
        select(ShortlistEntry)
        .join(Jobseeker, Jobseeker.id == ShortlistEntry.jobseeker_id)
        .where(Jobseeker.consent_share_with_employers.is_(True), ShortlistEntry.removed.is_(False))
    ).first()
    person = session.get(Jobseeker, entry.jobseeker_id)
    vacancy_id = session.get(JobFairVacancy, entry.job_fair_vacancy_id).vacancy_id
    url = f"/jobmesser/{fair.fair_id}/stillinger/{vacancy_id}"
    login(session.get(User, fair.organiser_id))
    assert person.last_name in text(client.get(url))
    client.post("/logout")

    # The a-kasse's counsellor records the withdrawal (the person in their caseload).
    from matching.models import ResponsibilityPeriod

    session.add(
        ResponsibilityPeriod(
            jobseeker_id=person.id,
            organisation_id=fair.akasse_id,
            valid_from=TODAY - timedelta(days=5),
            reason="test",
        )
    )
    session.commit()
    login(session.get(User, fair.counsellor_id))
    _withdraw(client, person.id)
    client.post("/logout")

    login(session.get(User, fair.organiser_id))
    page = text(client.get(url))
    assert entry.invitation_code in page
    assert person.last_name not in page  # the others on the list are named Søren too


def test_after_a_withdrawal_the_employer_sees_no_name_on_the_referral(
    client: FlaskClient,
    login: Callable[[User], None],
    session: Session,
    settings: Settings,
    world: IntakeWorld,
) -> None:
    from matching.models import Referral, ReferralState, Vacancy, VacancyKind, VacancyStatus
    from tests.factories.base import put_in_state

    person = create_person(session, world.actor(), person_data(), settings=settings)
    from matching.intake.consents import record_consent
    from matching.models import ConsentChannel

    record_consent(
        session,
        world.actor(),
        person,
        ConsentKind.SHARE_WITH_EMPLOYERS,
        True,
        channel=ConsentChannel.DIGITAL,
    )
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=VacancyStatus.OPEN,
        employer_id=world.employer.id,
        title="Lagermedarbejder",
        description="Vi søger en kollega.",
        postal_code="5000",
    )
    session.add(vacancy)
    session.flush()
    referral = Referral(
        vacancy_id=vacancy.id, jobseeker_id=person.id, organisation_id=world.jobcentre.id
    )
    session.add(referral)
    session.flush()
    put_in_state(session, referral, ReferralState.SENT)
    session.commit()
    url = f"/stillinger/{vacancy.id}/henvisninger"
    login(world.employer_user)
    assert "Østergård" in text(client.get(url))
    client.post("/logout")

    login(world.counsellor)
    _withdraw(client, person.id)
    client.post("/logout")

    login(world.employer_user)
    page = text(client.get(url))
    assert person.pseudonym in page
    assert "Østergård" not in page and "aerlig@eksempel.dk" not in page
