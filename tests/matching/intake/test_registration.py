"""Registering and changing people: validation, CPR storage, duplicates, responsibility."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.security import decrypt_cpr
from matching.core.settings import Settings
from matching.intake.registration import (
    DuplicatePerson,
    InvalidPerson,
    NotResponsible,
    ResponsibilityWouldChange,
    TargetGroupSpan,
    create_person,
    find_by_cpr,
    update_person,
    validate,
)
from matching.models import (
    AuditAction,
    AuditEntry,
    EducationLevel,
    Handover,
    Jobseeker,
    TargetGroup,
)
from tests.support.intake import IntakeWorld, build_intake_world, person_data, unique_cpr

TODAY = today_dk()


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


def fields(errors: list) -> dict[str, str]:
    return {e.field: e.message_da for e in errors}


def test_a_person_is_registered_with_encrypted_cpr_pseudonym_periods_and_audit(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    data = person_data(cpr="170585-2345", education_level=EducationLevel.ERHVERVSFAGLIG)
    person = create_person(session, world.actor(), data, settings=settings)

    assert person.id is not None
    assert re.fullmatch(r"L-\d{8}", person.pseudonym)
    assert b"1705852345" not in person.cpr_encrypted
    assert decrypt_cpr(settings.cpr_key, person.cpr_encrypted) == "1705852345"
    assert person.birth_date == date(1985, 5, 17)
    assert person.municipality_code == 461  # derived from 5000
    assert [(p.target_group, p.valid_to) for p in person.target_groups] == [
        (TargetGroup.KONTANTHJAELP_JOBPARAT, None)
    ]
    [period] = person.responsibilities
    assert period.organisation_id == world.jobcentre.id
    assert period.valid_from == TODAY and period.valid_to is None
    assert "bopælskommunens jobcenter" in period.reason
    assert person.cv is None
    assert find_by_cpr(session, settings, "1705852345") is person
    [entry] = session.scalars(
        select(AuditEntry).where(
            AuditEntry.jobseeker_id == person.id, AuditEntry.action == AuditAction.CREATE
        )
    )
    assert entry.purpose == "sagsbehandling" and entry.actor_id == world.counsellor.id


def test_validation_names_every_broken_field(session: Session, world: IntakeWorld) -> None:
    start = date(2025, 1, 1)
    data = person_data(
        cpr="320185-1234",
        first_name=" ",
        last_name="x" * 101,
        email="ikke-en-adresse",
        postal_code="0001",
        a_kasse_id=world.closed_akasse.id,
        max_commute_km=501,
        target_groups=[
            TargetGroupSpan(TargetGroup.DAGPENGE, start, start + timedelta(days=40)),
            TargetGroupSpan(TargetGroup.SYGEDAGPENGE, start + timedelta(days=30)),
            TargetGroupSpan(TargetGroup.JOBAFKLARING, date(2024, 5, 1), date(2024, 4, 1)),
        ],
    )
    errors = fields(validate(session, data))
    assert errors["cpr"] == "CPR-nummeret indeholder ikke en gyldig dato."
    assert errors["first_name"] == "Fornavn skal udfyldes."
    assert errors["last_name"] == "Højst 100 tegn."
    assert "e-mailadresse" in errors["email"]
    assert errors["postal_code"] == "Postnummeret findes ikke."
    assert errors["a_kasse_id"] == "Vælg en aktiv a-kasse."
    assert errors["max_commute_km"] == "Transportafstanden skal være 0-500 km."
    assert errors["target_groups-1-valid_from"] == "Perioden overlapper en anden målgruppeperiode."
    assert errors["target_groups-2-valid_to"] == "Slutdatoen skal ligge efter startdatoen."
    with pytest.raises(InvalidPerson) as refused:
        create_person(session, world.actor(), data, settings=b"k" * 32)
    assert {e.field for e in refused.value.field_errors} == set(errors)
    assert session.scalar(select(Jobseeker.id)) is None


def test_an_organisation_as_a_kasse_and_no_target_group_are_refused(
    session: Session, world: IntakeWorld
) -> None:
    errors = fields(validate(session, person_data(a_kasse_id=world.jobcentre.id, target_groups=[])))
    assert errors == {
        "a_kasse_id": "Vælg en aktiv a-kasse.",
        "target_groups": "Angiv mindst én målgruppeperiode.",
    }


def test_municipality_must_be_chosen_when_the_postal_code_does_not_tell(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    assert "municipality_code" in fields(validate(session, person_data(postal_code="5700")))
    assert fields(validate(session, person_data(postal_code="5700", municipality_code=999))) == {
        "municipality_code": "Kommunekoden findes ikke."
    }
    person = create_person(
        session,
        world.actor(),
        person_data(postal_code="5320", municipality_code=461),
        settings=settings,
    )
    assert person.municipality_code == 461


def test_a_duplicate_cpr_is_refused_visible_only_to_the_responsible_organisation(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    cpr = unique_cpr()
    first = create_person(session, world.actor(), person_data(cpr=cpr), settings=settings)
    with pytest.raises(DuplicatePerson) as mine:
        create_person(
            session, world.actor(), person_data(cpr=cpr.replace("-", "")), settings=settings
        )
    assert (mine.value.existing_id, mine.value.visible) == (first.id, True)
    aarhus = person_data(cpr=cpr, postal_code="8000")
    with pytest.raises(DuplicatePerson) as theirs:
        create_person(session, world.actor(world.other_counsellor), aarhus, settings=settings)
    assert theirs.value.visible is False
    assert "Kontakt den ansvarlige organisation" in str(theirs.value)
    assert session.scalar(select(Jobseeker.id).where(Jobseeker.id != first.id)) is None


def test_only_the_organisation_the_rules_name_may_register(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    # Not insured: the jobcentre of Odense, not the a-kasse nor Aarhus.
    with pytest.raises(NotResponsible) as akasse:
        create_person(
            session, world.actor(world.akasse_counsellor), person_data(), settings=settings
        )
    assert "bopælskommunens jobcenter" in akasse.value.message_da
    with pytest.raises(NotResponsible):
        create_person(
            session, world.actor(world.other_counsellor), person_data(), settings=settings
        )
    # Insured dagpenge recipient in month 1: the a-kasse, not the jobcentre.
    start = TODAY - timedelta(days=10)
    dagpenge = person_data(
        a_kasse_id=world.akasse.id,
        unemployment_start=start,
        target_groups=[TargetGroupSpan(TargetGroup.DAGPENGE, start)],
    )
    with pytest.raises(NotResponsible) as jobcentre:
        create_person(session, world.actor(), dagpenge, settings=settings)
    assert "personens a-kasse" in jobcentre.value.message_da
    person = create_person(
        session, world.actor(world.akasse_counsellor), dagpenge, settings=settings
    )
    assert person.responsibilities[0].organisation_id == world.akasse.id
    assert "a-kassen har kontaktforløbet" in person.responsibilities[0].reason
    # No jobcentre for Esbjerg (561): nobody can be named.
    with pytest.raises(NotResponsible) as nobody:
        create_person(session, world.actor(), person_data(postal_code="6700"), settings=settings)
    assert "Intet aktivt jobcenter for kommune 561" in nobody.value.message_da
    assert session.scalar(select(Jobseeker.id).where(Jobseeker.id != person.id)) is None


def test_an_update_reports_changed_field_names_and_audits_no_values(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    data = person_data()
    person = create_person(session, world.actor(), data, settings=settings)
    assert update_person(session, world.actor(), person, data, settings=settings) == set()
    changed = update_person(
        session,
        world.actor(),
        person,
        replace(data, phone="+45 87 65 43 21", max_commute_km=45, email=None),
        settings=settings,
    )
    assert changed == {"phone", "max_commute_km", "email"}
    assert (person.phone, person.max_commute_km, person.email) == ("+45 87 65 43 21", 45, None)
    [entry] = session.scalars(
        select(AuditEntry).where(
            AuditEntry.jobseeker_id == person.id, AuditEntry.action == AuditAction.UPDATE
        )
    )
    assert entry.details == {"fields": ["email", "max_commute_km", "phone"]}
    assert "87 65" not in str(entry.details) and "87 65" not in entry.note


def test_a_cpr_number_cannot_become_another_persons(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    other = create_person(session, world.actor(), person_data(), settings=settings)
    data = person_data()
    person = create_person(session, world.actor(), data, settings=settings)
    other_cpr = decrypt_cpr(settings.cpr_key, other.cpr_encrypted)
    with pytest.raises(InvalidPerson) as refused:
        update_person(
            session, world.actor(), person, replace(data, cpr=other_cpr), settings=settings
        )
    assert refused.value.errors == {"cpr": "CPR-nummeret tilhører en anden person i Jobbro."}
    new_cpr = unique_cpr(date(1990, 2, 3))
    changed = update_person(
        session, world.actor(), person, replace(data, cpr=new_cpr), settings=settings
    )
    assert changed == {"cpr"}
    assert person.birth_date == date(1990, 2, 3)
    assert find_by_cpr(session, settings, new_cpr) is person
    assert find_by_cpr(session, settings, data.cpr) is None


def test_a_change_of_responsibility_is_refused_unless_confirmed_then_handed_over(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    data = person_data()
    person = create_person(
        session, world.actor(), data, settings=settings, day=TODAY - timedelta(days=5)
    )
    moved = replace(data, postal_code="8000", street_address="Søndergade 1")
    with pytest.raises(ResponsibilityWouldChange) as refused:
        update_person(session, world.actor(), person, moved, settings=settings)
    assert "bopælskommunens jobcenter" in refused.value.message_da
    assert world.other_jobcentre.name in refused.value.message_da
    assert (person.postal_code, person.street_address) == ("5000", "Vestergade 12")

    changed = update_person(
        session, world.actor(), person, moved, settings=settings, hand_over=True
    )
    assert changed == {"postal_code", "municipality_code", "street_address"}
    assert person.municipality_code == 751
    session.expire(person)
    assert person.responsible_on(TODAY).organisation_id == world.other_jobcentre.id
    [handover] = session.scalars(select(Handover).where(Handover.jobseeker_id == person.id))
    assert handover.to_organisation_id == world.other_jobcentre.id


def test_target_group_periods_are_replaced_as_a_whole(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    data = person_data()
    person = create_person(session, world.actor(), data, settings=settings)
    start = data.target_groups[0].valid_from
    periods = [
        TargetGroupSpan(TargetGroup.KONTANTHJAELP_JOBPARAT, start, TODAY - timedelta(days=2)),
        TargetGroupSpan(TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT, TODAY - timedelta(days=2)),
    ]
    changed = update_person(
        session, world.actor(), person, replace(data, target_groups=periods), settings=settings
    )
    assert changed == {"target_groups"}
    session.flush()
    session.expire(person)
    assert person.target_group_on(TODAY) is TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT
    assert len(person.target_groups) == 2
