"""The CV editor's rules: validation, saving section by section, the audit entry and the
timestamp the nightly stale check reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import PermissionDenied, ValidationError
from matching.intake.cvs import (
    CVData,
    DesiredOccupationData,
    EducationData,
    ExperienceData,
    LanguageData,
    cv_data_of,
    list_status,
    save_cv,
    validate_cv,
)
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    MatchRun,
    OrgKind,
    Role,
    utcnow,
)
from matching.ranking.storage import stale_subjects

THIS_YEAR = today_dk().year


@pytest.fixture
def counsellor(make):  # noqa: ANN001, ANN201
    org = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    user = make.user((org, Role.COUNSELLOR))
    return org, Actor(user_id=user.id, organisation_id=org.id, role=Role.COUNSELLOR.value)


def full_cv() -> CVData:
    return CVData(
        headline="Lagermedarbejder med truckcertifikat",
        summary="Stabil og glad for holdarbejde.",
        experiences=[
            ExperienceData(
                title="Lagermedarbejder",
                start_year=2015,
                end_year=2023,
                employer_name="Fynsk Logistik",
                isco_code="9333",
                esco_uri="http://example.org/occupation/warehouse",
            )
        ],
        educations=[EducationData(title="Lager- og terminaluddannelsen", completed_year=2014)],
        skills=["Truck", "Plukning"],
        languages=[LanguageData("Dansk", "Modersmål"), LanguageData("Engelsk", "Godt")],
        driving_licences=["b", "C"],
        desired_occupations=[DesiredOccupationData("Chauffør", isco_code="8332")],
    )


def fields_of(errors: list) -> set[str]:
    return {e.field for e in errors}


def test_a_valid_cv_has_no_problems() -> None:
    assert validate_cv(full_cv()) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: setattr(d, "headline", ""), "headline"),
        (lambda d: setattr(d, "headline", "x" * 201), "headline"),
        (lambda d: setattr(d.experiences[0], "start_year", 1949), "experiences-0-start_year"),
        (lambda d: setattr(d.experiences[0], "start_year", None), "experiences-0-start_year"),
        (lambda d: setattr(d.experiences[0], "end_year", THIS_YEAR + 1), "experiences-0-end_year"),
        (lambda d: setattr(d.experiences[0], "end_year", 2014), "experiences-0-end_year"),
        (lambda d: setattr(d.experiences[0], "title", ""), "experiences-0-title"),
        (lambda d: setattr(d.experiences[0], "isco_code", "93"), "experiences-0-title"),
        (lambda d: setattr(d.educations[0], "completed_year", 1900), "educations-0-completed_year"),
        (lambda d: d.skills.append("truck"), "skills-2"),
        (lambda d: d.languages.append(LanguageData("engelsk", "Flydende")), "languages-2"),
        (lambda d: setattr(d.languages[0], "level", ""), "languages-0-level"),
        (lambda d: setattr(d, "language", "de"), "language"),
        (lambda d: setattr(d.desired_occupations[0], "title", ""), "desired_occupations-0-title"),
    ],
)
def test_each_rule_names_its_field(change, field: str) -> None:  # noqa: ANN001
    data = full_cv()
    change(data)
    assert field in fields_of(validate_cv(data))


def test_save_creates_the_cv_bumps_and_audits(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    assert save_cv(session, actor, person, full_cv()) is True
    cv = session.scalars(select(CV).where(CV.jobseeker_id == person.id)).one()
    assert [e.isco_code for e in cv.experiences] == ["9333"]
    assert sorted(d.category for d in cv.driving_licences) == ["B", "C"]
    assert [s.name for s in cv.skills] == ["Truck", "Plukning"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "cv")).one()
    assert entry.action is AuditAction.CREATE and entry.jobseeker_id == person.id
    assert "experiences" in entry.details["sections"]
    assert cv_data_of(person) == save_and_read(full_cv())


def save_and_read(data: CVData) -> CVData:
    data.driving_licences = sorted(d.upper() for d in data.driving_licences)
    return data


def test_saving_the_same_cv_again_changes_nothing(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    save_cv(session, actor, person, full_cv())
    stamp = person.cv.updated_at
    assert save_cv(session, actor, person, full_cv()) is False
    assert person.cv.updated_at == stamp
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "cv")).all()) == 1


def test_replacing_rows_keeps_unique_names_and_names_the_changed_sections(
    session: Session, make, counsellor
) -> None:
    org, actor = counsellor
    person = make.jobseeker(org, with_cv=True)
    data = cv_data_of(person)
    data.skills = ["Plukning", "Truckcertifikat"]  # the stored one again, in another place
    data.languages = [LanguageData("Dansk", "Modersmål"), LanguageData("Tysk", "Basis")]
    assert save_cv(session, actor, person, data) is True
    session.expire_all()
    assert [s.name for s in person.cv.skills] == ["Plukning", "Truckcertifikat"]
    assert {x.language for x in person.cv.languages} == {"Dansk", "Tysk"}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "cv")).one()
    assert entry.action is AuditAction.UPDATE
    assert entry.details["sections"] == ["skills", "languages"]


def test_a_changed_row_makes_the_list_stale(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org, with_cv=True)
    session.add(
        MatchRun(
            subject_kind="jobseeker",
            subject_id=person.id,
            model_version="m",
            rules_version="r",
            computed_at=utcnow() + timedelta(seconds=-1),
        )
    )
    person.cv.updated_at = utcnow() - timedelta(hours=1)
    session.flush()
    assert person.id not in stale_subjects(
        session, "jobseeker", model_version="m", rules_version="r"
    )
    assert list_status(session, person).pending is False
    data = cv_data_of(person)
    data.skills.append("Svejsning")  # only a row changes, not the CV row itself
    save_cv(session, actor, person, data)
    assert person.id in stale_subjects(session, "jobseeker", model_version="m", rules_version="r")
    assert list_status(session, person).pending is True


def test_invalid_data_raises_every_problem_and_saves_nothing(
    session: Session, make, counsellor
) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    data = full_cv()
    data.headline = ""
    data.experiences[0].end_year = 2000
    with pytest.raises(ValidationError) as raised:
        save_cv(session, actor, person, data)
    assert set(raised.value.errors) == {"headline", "experiences-0-end_year"}
    assert session.scalar(select(CV).where(CV.jobseeker_id == person.id)) is None


def test_only_counsellors_save(session: Session, make) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    user = make.user((org, Role.EMPLOYER))
    person = make.jobseeker(None)
    actor = Actor(user_id=user.id, organisation_id=org.id, role=Role.EMPLOYER.value)
    with pytest.raises(PermissionDenied):
        save_cv(session, actor, person, full_cv())
