"""Bulk import of people and CVs: formats, all-or-nothing, idempotency, consents, scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import ImportFormatError, PermissionDenied
from matching.core.settings import Settings
from matching.intake.import_formats import parse_file
from matching.intake.imports import NOT_RESPONSIBLE, ImportSummary, run_import
from matching.intake.registration import find_by_cpr
from matching.models import (
    CV,
    AuditEntry,
    ConsentChannel,
    ConsentEvent,
    ConsentKind,
    Jobseeker,
    OrgKind,
    Role,
    TargetGroup,
)
from tests.support.intake import IntakeWorld, build_intake_world, unique_cpr

START = (today_dk() - timedelta(days=20)).strftime("%d.%m.%Y")
HEADER = (
    "cpr;fornavn;efternavn;email;postnummer;maalgruppe;ledig_siden;max_km;"
    "samtykke_arbejdsgivere;cv_overskrift;kompetencer;erfaring;sprog"
)


def line(cpr: str, first: str = "Anna", **cells: str) -> str:
    values = {
        "email": "anna@eksempel.dk",
        "postnummer": "5000",
        "maalgruppe": "kontanthjaelp_jobparat",
        "ledig_siden": START,
        "max_km": "25",
        "samtykke_arbejdsgivere": "ja",
        "cv_overskrift": "Lagermedarbejder",
        "kompetencer": '"Truckcertifikat; Lagerstyring"',
        "erfaring": '"Lagermedarbejder|Fynsk Logistik|2015|2019; Pakker|PostNord|2019|"',
        "sprog": "Dansk|Modersmål",
        **cells,
    }
    return ";".join([cpr, first, "Jensen", *values.values()])


def csv_file(*lines: str, bom: bool = False) -> bytes:
    text = "\r\n".join([HEADER, *lines]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


def do_import(
    session: Session, actor: Actor, settings: Settings, data: bytes, fmt: str = "csv", **kw
) -> ImportSummary:
    rows, errors = parse_file(data, fmt)
    return run_import(session, actor, rows, key=settings.cpr_key, errors=errors, **kw)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_semicolon_csv_with_bom_creates_people_with_cvs_and_consents(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    actor = world.actor(world.admin)
    a, b = unique_cpr(), unique_cpr()
    summary = do_import(session, actor, settings, csv_file(line(a), line(b, "Bo"), bom=True))

    assert summary.errors == []
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    person = find_by_cpr(session, settings, a)
    assert person is not None and person.first_name == "Anna"
    assert person.responsible_on(today_dk()).organisation_id == world.jobcentre.id
    assert person.target_group_on(today_dk()) is TargetGroup.KONTANTHJAELP_JOBPARAT
    assert person.max_commute_km == 25 and person.municipality_code == 461
    assert person.cv.headline == "Lagermedarbejder"
    assert [s.name for s in person.cv.skills] == ["Truckcertifikat", "Lagerstyring"]
    assert [
        (e.title, e.employer_name, e.start_year, e.end_year) for e in person.cv.experiences
    ] == [
        ("Lagermedarbejder", "Fynsk Logistik", 2015, 2019),
        ("Pakker", "PostNord", 2019, None),
    ]
    assert person.consent_share_with_employers is True
    [event] = session.scalars(select(ConsentEvent).where(ConsentEvent.jobseeker_id == person.id))
    assert (event.kind, event.given, event.channel) == (
        ConsentKind.SHARE_WITH_EMPLOYERS,
        True,
        ConsentChannel.IMPORTED,
    )
    assert sorted(summary.created_ids) == sorted([person.id, find_by_cpr(session, settings, b).id])


def test_reimporting_the_same_file_changes_nothing_and_one_changed_field_updates(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    actor = world.actor(world.admin)
    a, b = unique_cpr(), unique_cpr()
    data = csv_file(line(a), line(b, "Bo"))
    do_import(session, actor, settings, data)
    session.flush()
    before = (count(session, Jobseeker), count(session, AuditEntry), count(session, ConsentEvent))
    person = find_by_cpr(session, settings, a)
    stamp = person.cv.updated_at

    again = do_import(session, actor, settings, data)

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 2, [])
    assert not session.dirty and not session.new
    after = (count(session, Jobseeker), count(session, AuditEntry), count(session, ConsentEvent))
    assert after == before
    assert person.cv.updated_at == stamp

    changed = do_import(session, actor, settings, csv_file(line(a, max_km="40"), line(b, "Bo")))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert changed.updated_ids == [person.id]
    session.refresh(person)
    assert person.max_commute_km == 40


def test_one_bad_line_stores_nothing_and_names_the_line_without_its_data(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    actor = world.actor(world.admin)
    people = count(session, Jobseeker)
    data = csv_file(
        line(unique_cpr()), line(unique_cpr(), email="ikke-en-mail"), line(unique_cpr())
    )

    summary = do_import(session, actor, settings, data)

    assert summary.created == 0 and summary.created_ids == []
    [error] = summary.errors
    assert (error.line, error.field) == (3, "email")
    assert "ikke-en-mail" not in error.message_da
    assert count(session, Jobseeker) == people


def test_a_cpr_twice_in_one_file_is_an_error_on_the_second_line(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    cpr = unique_cpr()
    summary = do_import(
        session, world.actor(world.admin), settings, csv_file(line(cpr), line(cpr, "Bo"))
    )
    [error] = summary.errors
    assert (error.line, error.field) == (3, "cpr")
    assert "linje 2" in error.message_da and cpr not in error.message_da
    assert find_by_cpr(session, settings, cpr) is None


def test_another_organisations_person_is_an_error_not_an_update(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    cpr = unique_cpr()
    do_import(session, world.actor(world.admin), settings, csv_file(line(cpr)))
    person = find_by_cpr(session, settings, cpr)

    other = world.actor(world.other_admin)
    summary = do_import(session, other, settings, csv_file(line(cpr, "Ændret")))

    assert [(e.line, e.field, e.message_da) for e in summary.errors] == [
        (2, "cpr", NOT_RESPONSIBLE)
    ]
    session.refresh(person)
    assert person.first_name == "Anna"


def test_a_new_person_another_organisation_is_responsible_for_is_refused(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    # Lives in Odense (5000): Aarhus' jobcentre may not register the person.
    cpr = unique_cpr()
    summary = do_import(session, world.actor(world.other_admin), settings, csv_file(line(cpr)))
    assert [(e.line, e.field) for e in summary.errors] == [(2, "")]
    assert find_by_cpr(session, settings, cpr) is None


def test_jsonl_with_nested_cv_and_consents_changed_later(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    actor = world.actor(world.admin)
    cpr = unique_cpr()
    record = {
        "cpr": cpr,
        "fornavn": "Ærlig",
        "efternavn": "Østergård",
        "postnummer": "5000",
        "maalgruppe": "kontanthjaelp_jobparat",
        "ledig_siden": (today_dk() - timedelta(days=10)).isoformat(),
        "samtykke_email": True,
        "cv": {
            "overskrift": "Kok",
            "jobmaal": ["Kok", "Køkkenassistent"],
            "erfaring": [{"titel": "Kok", "arbejdsgiver": "Restaurant Fyn", "fra": 2010}],
            "sprog": [{"sprog": "Engelsk", "niveau": "Godt"}],
            "koerekort": ["b"],
        },
    }
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    summary = do_import(session, actor, settings, data, "jsonl")
    assert summary.errors == [] and summary.created == 1
    person = find_by_cpr(session, settings, cpr)
    assert [d.title for d in person.cv.desired_occupations] == ["Kok", "Køkkenassistent"]
    assert [(e.title, e.end_year) for e in person.cv.experiences] == [("Kok", None)]
    assert [c.category for c in person.cv.driving_licences] == ["B"]
    assert person.consent_contact_by_email is True

    record["samtykke_email"] = False
    data = (json.dumps(record) + "\n").encode()
    again = do_import(session, actor, settings, data, "jsonl")
    assert again.updated == 1
    events = session.scalars(
        select(ConsentEvent).where(ConsentEvent.jobseeker_id == person.id).order_by(ConsentEvent.id)
    ).all()
    assert [(e.given, e.channel) for e in events] == [
        (True, ConsentChannel.IMPORTED),
        (False, ConsentChannel.IMPORTED),
    ]
    assert person.consent_contact_by_email is False


def test_a_dry_run_reports_but_stores_nothing(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    people, cvs = count(session, Jobseeker), count(session, CV)
    summary = do_import(
        session,
        world.actor(world.admin),
        settings,
        csv_file(line(unique_cpr())),
        dry_run=True,
    )
    assert summary.created == 1 and summary.created_ids == []
    assert (count(session, Jobseeker), count(session, CV)) == (people, cvs)


def test_only_administrators_of_an_a_kasse_or_jobcentre_import(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    with pytest.raises(PermissionDenied):
        do_import(session, world.actor(), settings, csv_file(line(unique_cpr())))
    employer = Actor(world.employer_user.id, world.employer.id, Role.ADMIN.value)
    assert world.employer.kind is OrgKind.EMPLOYER
    with pytest.raises(PermissionDenied):
        do_import(session, employer, settings, csv_file(line(unique_cpr())))


# --- the formats (no database) -----------------------------------------------------------------


def test_a_comma_csv_and_its_errors_are_read_by_line() -> None:
    data = (
        b"CPR,Fornavn,Efternavn,Postnummer,Ledig siden,Max km,Ukendt\n"
        b"010190-1234,Anna,Jensen,5000,31.02.2024,mange,x\n"
        b'010190-1235,"Bo\nBoesen",Jensen,5000,,,\n'
        b"010190-1236,Carl,Jensen,5000,,12,\n"
    )
    rows, errors = parse_file(data, "csv")
    assert [(e.line, e.field) for e in errors] == [
        (1, "kolonne 7"),
        (2, "ledig_siden"),
        (2, "max_km"),
    ]
    assert [r.line for r in rows] == [3, 5]  # the quoted line break spans lines 3 and 4
    assert rows[1].max_commute_km == 12
    assert all("31.02" not in e.message_da and "mange" not in e.message_da for e in errors)


def test_an_unreadable_file_is_a_format_error() -> None:
    with pytest.raises(ImportFormatError):
        parse_file("cpr;navn\n010190-1234;Åse\n".encode("latin-1"), "csv")
    with pytest.raises(ImportFormatError):
        parse_file(b"fornavn;efternavn\nAnna;Jensen\n", "csv")
    rows, errors = parse_file(b'{"cpr": "1"}\nnot json\n', "jsonl")
    assert [(e.line, e.message_da) for e in errors][-1] == (2, "Linjen er ikke gyldig JSON.")


def test_a_stored_file_is_encrypted_bound_to_its_import_and_stalled_imports_fail(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    from cryptography.exceptions import InvalidTag

    from matching.intake.import_runs import decrypt_file, fail_stalled, request_import
    from matching.models import ImportStatus, PersonImport, utcnow

    actor = world.actor(world.admin)
    cpr = unique_cpr()
    data = csv_file(line(cpr))
    first = request_import(
        session, actor, file_name="a.csv", data=data, dry_run=False, cpr_key=settings.cpr_key
    )
    second = request_import(
        session, actor, file_name="b.jsonl", data=b"{}", dry_run=True, cpr_key=settings.cpr_key
    )
    assert cpr.encode() not in first.file_encrypted
    assert decrypt_file(settings.cpr_key, first.id, first.file_encrypted) == data
    with pytest.raises(InvalidTag):  # another import's id: the file does not open
        decrypt_file(settings.cpr_key, second.id, first.file_encrypted)

    assert fail_stalled(session, now=utcnow()) == []
    later = utcnow() + timedelta(hours=2)
    assert sorted(fail_stalled(session, now=later)) == sorted([first.id, second.id])
    session.expire_all()
    stored = session.get(PersonImport, first.id)
    assert stored.status is ImportStatus.FAILED and stored.file_encrypted is None
    assert "Intet er gemt" in stored.errors[0]["message"]


def test_a_changed_cv_replaces_the_changed_sections_of_the_stored_cv(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    actor = world.actor(world.admin)
    cpr = unique_cpr()
    do_import(session, actor, settings, csv_file(line(cpr)))
    person = find_by_cpr(session, settings, cpr)
    stamp, experiences = person.cv.updated_at, [e.id for e in person.cv.experiences]

    changed = do_import(
        session,
        actor,
        settings,
        csv_file(line(cpr, cv_overskrift="Truckfører", kompetencer='"Truckcertifikat; Rengøring"')),
    )

    assert (changed.updated, changed.errors) == (1, [])
    session.refresh(person)
    assert person.cv.headline == "Truckfører"
    assert [s.name for s in person.cv.skills] == ["Truckcertifikat", "Rengøring"]
    assert [s.position for s in person.cv.skills] == [0, 1]
    assert [e.id for e in person.cv.experiences] == experiences  # unchanged: not rewritten
    assert person.cv.updated_at > stamp


def test_the_pages_read_an_imports_state_without_loading_its_file(
    session: Session, settings: Settings, world: IntakeWorld
) -> None:
    from sqlalchemy import inspect

    from matching.intake.import_runs import get_import, recent_imports, request_import

    actor = world.actor(world.admin)
    stored = request_import(
        session,
        actor,
        file_name="a.csv",
        data=csv_file(line(unique_cpr())),
        dry_run=False,
        cpr_key=settings.cpr_key,
    )
    session.flush()
    session.expunge_all()

    [listed] = recent_imports(session, actor)
    assert "file_encrypted" in inspect(listed).unloaded and listed.file_name == "a.csv"
    session.expunge_all()
    one = get_import(session, actor, stored.id)
    assert "file_encrypted" in inspect(one).unloaded
    assert one.file_encrypted  # still there when asked for
