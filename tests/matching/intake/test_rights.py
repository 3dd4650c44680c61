"""A person's rights: the export holds everything (referrals, matches, consents, who saw the
data), the PDF is readable, anonymisation removes what identifies and keeps what the
statistics count, and the retention run is idempotent and leaves people not yet due alone."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.dates import add_months, today_dk
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.core.security import cpr_lookup_hash, encrypt_cpr
from matching.core.settings import Settings
from matching.intake import rights
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    ConsentChannel,
    ConsentEvent,
    ConsentKind,
    CVDraft,
    CVExperience,
    EducationLevel,
    ExitReason,
    ImportStatus,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    MatchRun,
    Membership,
    OrgKind,
    PersonImport,
    Referral,
    ReferralState,
    Role,
    ShortlistEntry,
    StoredEmbedding,
    WorkflowEvent,
    utcnow,
)
from matching.people.queries import get_jobseeker_answered_for
from matching.referrals import workflow
from matching.rules.retention import Period, RetentionSubject
from tests.factories import Factory

TODAY = today_dk()
CPR = "0101901234"


@dataclass
class World:
    person: Jobseeker
    counsellor: Actor
    other: Actor
    referral: Referral


def _left(person: Jobseeker, left_on: date) -> None:
    person.active = False
    person.left_on = left_on
    person.exit_reason = ExitReason.JOB
    person.exit_note = "Fik job hos Fynsk Logistik via sin svoger Peter"


@pytest.fixture
def world(session: Session, make: Factory, settings: Settings) -> World:
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    other_org = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Svendborg")
    employer = make.organisation(OrgKind.EMPLOYER, "Fynsk Logistik A/S")
    user = make.user((jobcentre, Role.COUNSELLOR), name="Rådgiver Rikke")
    other_user = make.user((other_org, Role.COUNSELLOR))
    counsellor = Actor.member(session.scalars(select(Membership).filter_by(user_id=user.id)).one())
    other = Actor.member(session.scalars(select(Membership).filter_by(user_id=other_user.id)).one())
    person = make.jobseeker(jobcentre, first_name="Birgitte", last_name="Kjærsgaard", with_cv=True)
    person.cpr_encrypted = encrypt_cpr(settings.cpr_key, CPR)
    person.cpr_lookup = cpr_lookup_hash(settings.cpr_key, CPR)
    person.email, person.phone = "birgitte@eksempel.dk", "20304050"
    person.street_address = "Vestergade 1"
    person.birth_date = date(1985, 5, 17)
    session.add(
        ConsentEvent(
            jobseeker_id=person.id,
            kind=ConsentKind.SHARE_WITH_EMPLOYERS,
            given=True,
            given_on=TODAY - timedelta(days=20),
            recorded_by_id=user.id,
            organisation_id=jobcentre.id,
            channel=ConsentChannel.PAPER,
            note="Underskrevet på mødet med Birgitte",
        )
    )
    vacancy = make.vacancy(employer, title="Truckfører")
    referral = Referral(
        vacancy_id=vacancy.id,
        jobseeker_id=person.id,
        organisation_id=jobcentre.id,
        note="Birgitte har truckcertifikat",
    )
    session.add(referral)
    session.flush()
    workflow.apply(session, referral, "send", counsellor, reason="Sendt efter samtale")
    session.add(
        Match(
            vacancy_id=vacancy.id,
            jobseeker_id=person.id,
            score=0.83,
            rank=2,
            model_version="test",
            rules_version="test",
        )
    )
    session.add(
        MatchRun(
            subject_kind="jobseeker", subject_id=person.id, model_version="t", rules_version="t"
        )
    )
    fair = JobFair(organiser_id=jobcentre.id, name="Jobmesse Odense", held_on=TODAY, place="Hal 1")
    session.add(fair)
    session.flush()
    fair_vacancy = JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id)
    session.add(fair_vacancy)
    session.flush()
    session.add(
        ShortlistEntry(
            job_fair_vacancy_id=fair_vacancy.id,
            jobseeker_id=person.id,
            rank=1,
            invitation_code=f"INV{person.id}",
            note="Birgitte spurgte selv",
        )
    )
    session.add(
        StoredEmbedding(
            entity_kind="jobseeker",
            entity_id=person.id,
            model_version="test",
            text_sha256="0" * 64,
            dimension=2,
            vector=b"\0" * 8,
        )
    )
    session.add(
        CVDraft(
            jobseeker_id=person.id,
            organisation_id=jobcentre.id,
            file_name="cv.pdf",
            media_type="application/pdf",
            size_bytes=3,
            file_encrypted=b"abc",
            text_encrypted=b"def",
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    audit.record(
        session, counsellor, AuditAction.VIEW, "jobseeker", person.id, jobseeker_id=person.id,
        purpose="sagsbehandling",
    )  # fmt: skip
    audit.record(
        session, counsellor, AuditAction.VIEW, "caseload", None, purpose="sagsbehandling",
        details={"jobseeker_ids": [person.id], "search": ""},
    )  # fmt: skip
    session.flush()
    return World(person, counsellor, other, referral)


# --- the export -------------------------------------------------------------------------------


def test_the_export_holds_everything_and_is_audited(
    session: Session, world: World, settings: Settings
) -> None:
    world.person.education_level = EducationLevel.ERHVERVSFAGLIG
    data = rights.person_data_export(
        session, world.counsellor, world.person, cpr_key=settings.cpr_key
    )
    json.dumps(data)  # serialisable
    assert data["schema_version"] == rights.EXPORT_SCHEMA_VERSION
    person = data["person"]
    assert (person["first_name"], person["last_name"]) == ("Birgitte", "Kjærsgaard")
    assert person["cpr"] == "010190-1234"  # the export is the person's own
    assert person["email"] == "birgitte@eksempel.dk"
    assert person["education_level_label"] == "Erhvervsfaglig uddannelse"
    assert "Erhvervsfaglig uddannelse" in " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(rights.person_data_pdf(data))).pages
    )
    assert data["cv"]["experiences"][0]["employer"] == "Fynsk Logistik A/S"
    [consent] = data["consents"]
    assert consent["given"] and consent["channel"] == "paper"
    assert consent["organisation"] == "Jobcenter Odense"
    [referral] = data["referrals"]
    assert referral["vacancy"] == "Truckfører" and referral["state"] == "sent"
    assert [e["to_state"] for e in referral["events"]][-1] == "sent"
    [match] = data["matches"]
    assert (match["vacancy"], match["employer"], match["rank"]) == (
        "Truckfører",
        "Fynsk Logistik A/S",
        2,
    )
    assert data["shortlists"][0]["fair"] == "Jobmesse Odense"
    viewers = data["access_log"]
    assert {(v["organisation"], v["role"], v["on_a_list"]) for v in viewers} == {
        ("Jobcenter Odense", "Jobrådgiver", False),
        ("Jobcenter Odense", "Jobrådgiver", True),
    }
    assert "Rådgiver Rikke" not in json.dumps(viewers, ensure_ascii=False)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT)).one()
    assert (entry.jobseeker_id, entry.purpose) == (world.person.id, "indsigt")


def test_without_the_key_the_export_has_no_cpr(session: Session, world: World) -> None:
    data = rights.person_data_export(session, world.counsellor, world.person)
    assert data["person"]["cpr"] is None


def test_the_pdf_is_a_pdf_with_the_persons_name(
    session: Session, world: World, settings: Settings
) -> None:
    data = rights.person_data_export(
        session, world.counsellor, world.person, cpr_key=settings.cpr_key
    )
    pdf = rights.person_data_pdf(data)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Birgitte Kjærsgaard" in text
    assert "Truckfører" in text and "Jobmesse Odense" in text
    assert "Hvem har set eller ændret dine oplysninger" in text


def test_another_organisations_person_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(OutOfScope) as caught:
        get_jobseeker_answered_for(session, world.other, world.person.id)
    assert caught.value.exists
    assert get_jobseeker_answered_for(session, world.counsellor, world.person.id) is world.person


def test_an_employer_may_not_export(session: Session, world: World, make: Factory) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    actor = Actor(user_id=None, organisation_id=employer.id, role=Role.EMPLOYER.value)
    with pytest.raises(PermissionDenied):
        rights.person_data_export(session, actor, world.person)


def test_a_person_who_left_stays_with_the_organisation_responsible_last(
    session: Session, world: World
) -> None:
    period = world.person.responsibilities[0]
    period.valid_to = TODAY - timedelta(days=3)
    _left(world.person, TODAY - timedelta(days=4))
    session.flush()
    assert get_jobseeker_answered_for(session, world.counsellor, world.person.id)
    with pytest.raises(OutOfScope):
        get_jobseeker_answered_for(session, world.other, world.person.id)


# --- anonymisation ----------------------------------------------------------------------------


def test_anonymisation_removes_what_identifies_and_keeps_the_statistics(
    session: Session, world: World
) -> None:
    person = world.person
    workflow.apply(session, world.referral, "withdraw", world.counsellor, reason="Fik andet job")
    _left(person, TODAY - timedelta(days=2))
    session.flush()
    pseudonym, pid = person.pseudonym, person.id
    rights.erase_on_request(session, world.counsellor, person, reason="Brev af 3. marts")
    session.expire_all()
    person = session.get(Jobseeker, pid)
    assert (person.first_name, person.last_name) == ("Anonymiseret", "Anonymiseret")
    assert person.cpr_encrypted is None and person.cpr_lookup is None
    assert person.birth_date == date(1985, 1, 1)
    assert (person.email, person.phone, person.street_address) == (None, None, None)
    assert person.exit_note is None
    assert person.anonymised_at is not None
    assert person.cv is None
    for model, column in (
        (CV, CV.jobseeker_id),
        (CVDraft, CVDraft.jobseeker_id),
        (Match, Match.jobseeker_id),
        (StoredEmbedding, StoredEmbedding.entity_id),
        (MatchRun, MatchRun.subject_id),
    ):
        assert session.scalar(select(func.count()).select_from(model).where(column == pid)) == 0
    assert session.scalar(select(func.count()).select_from(CVExperience)) == 0
    # kept: pseudonym, exit, target groups, referral states and their dates, shortlist place
    assert person.pseudonym == pseudonym and person.left_on == TODAY - timedelta(days=2)
    assert person.exit_reason is ExitReason.JOB
    assert person.target_groups and person.responsibilities
    referral = session.get(Referral, world.referral.id)
    assert referral.state is ReferralState.WITHDRAWN and referral.note == ""
    events = session.scalars(select(WorkflowEvent).filter_by(referral_id=referral.id)).all()
    assert [e.to_state for e in events] == ["sent", "withdrawn"]
    assert all(e.note == "" for e in events)
    [consent] = session.scalars(select(ConsentEvent).filter_by(jobseeker_id=pid)).all()
    assert consent.given and consent.note == ""
    [place] = session.scalars(select(ShortlistEntry).filter_by(jobseeker_id=pid)).all()
    assert place.note == ""
    # the audit log keeps only the pseudonym, and its entries still point at the row
    entries = session.scalars(select(AuditEntry).where(AuditEntry.jobseeker_id == pid)).all()
    deleted = [e for e in entries if e.action == AuditAction.DELETE]
    assert len(deleted) == 1 and deleted[0].purpose == "sletning"
    assert deleted[0].details == {"pseudonym": pseudonym, "anonymised": True}
    text = json.dumps([(e.details, e.note) for e in entries], ensure_ascii=False)
    assert "Birgitte" not in text and "Kjærsgaard" not in text and "1234" not in text


def test_a_person_on_the_register_cannot_be_erased(session: Session, world: World) -> None:
    with pytest.raises(ValidationError, match="stadig tilmeldt"):
        rights.erase_on_request(session, world.counsellor, world.person, reason="Anmodning")
    assert world.person.first_name == "Birgitte"


def test_erasure_needs_a_reason_and_happens_once(session: Session, world: World) -> None:
    _left(world.person, TODAY)
    with pytest.raises(ValidationError) as caught:
        rights.erase_on_request(session, world.counsellor, world.person, reason="  ")
    assert "reason" in caught.value.errors
    rights.erase_on_request(session, world.counsellor, world.person, reason="Anmodning")
    with pytest.raises(ValidationError, match="allerede"):
        rights.erase_on_request(session, world.counsellor, world.person, reason="Igen")


# --- the retention run ------------------------------------------------------------------------


def _snapshot(session: Session) -> tuple:
    session.expire_all()
    return (
        tuple(session.execute(select(Jobseeker.id, Jobseeker.first_name, Jobseeker.anonymised_at))),
        session.scalar(select(func.count()).select_from(CVDraft)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
        tuple(session.execute(select(PersonImport.id, PersonImport.file_encrypted))),
    )


def test_the_purge_anonymises_the_people_due_and_only_them(
    session: Session, world: World, make: Factory
) -> None:
    due = world.person
    _left(due, add_months(TODAY, -12))  # the period ends today: due
    not_yet = make.jobseeker(None, first_name="Ikke-endnu")
    _left(not_yet, add_months(TODAY, -12) + timedelta(days=1))  # ends tomorrow
    active = make.jobseeker(None, first_name="Aktiv")
    finished = PersonImport(
        organisation_id=world.referral.organisation_id,
        file_name="ledige.csv",
        file_format="csv",
        file_encrypted=b"secret",
        status=ImportStatus.DONE,
        finished_at=utcnow() - timedelta(minutes=1),
    )
    running = PersonImport(
        organisation_id=world.referral.organisation_id,
        file_name="ledige2.csv",
        file_format="csv",
        file_encrypted=b"secret",
        status=ImportStatus.RUNNING,
    )
    session.add_all([finished, running])
    old_draft = CVDraft(
        jobseeker_id=active.id,
        organisation_id=world.referral.organisation_id,
        file_name="gammel.docx",
        media_type="application/octet-stream",
        size_bytes=1,
        file_encrypted=b"a",
        text_encrypted=b"b",
        expires_at=utcnow() - timedelta(seconds=1),
    )
    session.add(old_draft)
    session.flush()

    before = _snapshot(session)
    preview = rights.purge(session, today=TODAY, dry_run=True)
    assert _snapshot(session) == before  # a dry run changes nothing
    assert preview.anonymised == [due.pseudonym]
    assert (preview.cv_drafts, preview.import_files) == (1, 1)

    summary = rights.purge(session, today=TODAY, dry_run=False)
    assert summary.anonymised == [due.pseudonym]
    assert (summary.cv_drafts, summary.import_files) == (1, 1)
    session.expire_all()
    assert due.first_name == "Anonymiseret"
    assert not_yet.first_name == "Ikke-endnu" and not_yet.anonymised_at is None
    assert active.first_name == "Aktiv"
    assert finished.file_encrypted is None and running.file_encrypted == b"secret"
    # the draft of the person anonymised went with them; the expired one by the rule
    assert session.scalar(select(func.count()).select_from(CVDraft)) == 0
    retention_entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.jobseeker_id == due.id, AuditEntry.action == AuditAction.DELETE
        )
    ).one()
    assert retention_entry.actor_id is None and retention_entry.purpose == "opbevaring"

    after = _snapshot(session)
    again = rights.purge(session, today=TODAY, dry_run=False)
    assert (again.anonymised, again.cv_drafts, again.import_files) == ([], 0, 0)
    assert _snapshot(session) == after  # a second run changes nothing

    tomorrow = rights.purge(session, today=TODAY + timedelta(days=1), dry_run=False)
    assert tomorrow.anonymised == [not_yet.pseudonym]


def test_an_override_shortens_the_period(session: Session, world: World) -> None:
    _left(world.person, add_months(TODAY, -3))
    session.flush()
    assert rights.purge(session, today=TODAY, dry_run=True).anonymised == []
    overrides = {RetentionSubject.LEFT_REGISTER: Period(months=3)}
    summary = rights.purge(session, today=TODAY, dry_run=True, overrides=overrides)
    assert summary.anonymised == [world.person.pseudonym]


def test_overrides_come_from_the_settings(settings: Settings) -> None:
    assert rights.retention_overrides(settings) == {}
    changed = settings.with_overrides(retention_left_months=6, retention_import_file_days=0)
    assert rights.retention_overrides(changed) == {
        RetentionSubject.LEFT_REGISTER: Period(months=6),
        RetentionSubject.IMPORT_FILE: Period(),
    }


def test_the_settings_read_and_check_the_retention_variables(tmp_path) -> None:  # noqa: ANN001
    from matching.core.errors import ConfigError

    base = {"JOBBRO_ENV": "test", "JOBBRO_DATA_DIR": str(tmp_path)}
    read = Settings.from_env({**base, "JOBBRO_RETENTION_LEFT_MONTHS": "18"})
    assert read.retention_left_months == 18 and read.retention_audit_years is None
    with pytest.raises(ConfigError, match="JOBBRO_RETENTION_CV_DRAFT_DAYS"):
        Settings.from_env({**base, "JOBBRO_RETENTION_CV_DRAFT_DAYS": "0"})
