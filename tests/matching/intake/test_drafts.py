"""CV documents under review: encrypted at rest, one per person, deleted when accepted,
discarded or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import OutOfScope, ValidationError
from matching.intake import drafts
from matching.intake.cvs import DesiredOccupationData, ExperienceData, cv_data_of
from matching.models import AuditAction, AuditEntry, CVDraft, OrgKind, Role, utcnow
from matching.people.documents import DocumentRefused, parse_document

KEY = bytes(range(32))
SECRET = "Hemmelig Hansen arbejdede som svejser"
DOCUMENT = f"""Jens Jensen
Svejser med 10 års erfaring

Profil
{SECRET} i mange år.

Erhvervserfaring
2014 - 2023 Svejser, Odense Stål A/S

Kompetencer
MIG/MAG-svejsning
""".encode()


@pytest.fixture
def counsellor(make):  # noqa: ANN001, ANN201
    org = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
    user = make.user((org, Role.COUNSELLOR))
    return org, Actor(user_id=user.id, organisation_id=org.id, role=Role.COUNSELLOR.value)


def upload(session: Session, actor: Actor, person, data: bytes = DOCUMENT, **kw) -> CVDraft:  # noqa: ANN001
    parsed = parse_document(data, "cv.txt")
    return drafts.create_draft(
        session, actor, person, data=data, filename="C:\\docs\\cv.txt", parsed=parsed, key=KEY, **kw
    )


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CVDraft))


def test_the_file_and_text_are_encrypted_at_rest(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    draft = upload(session, actor, person)
    stored = session.execute(
        select(CVDraft.file_encrypted, CVDraft.text_encrypted).where(CVDraft.id == draft.id)
    ).one()
    for blob in stored:
        assert SECRET.encode() not in blob and b"Svejser" not in blob
    assert drafts.draft_file(draft, KEY) == DOCUMENT
    assert SECRET in drafts.draft_text(draft, KEY)
    assert draft.file_name == "cv.txt" and draft.size_bytes == len(DOCUMENT)
    assert draft.organisation_id == org.id
    assert draft.expires_at - utcnow() > timedelta(days=6)
    with pytest.raises(InvalidTag):
        drafts.draft_text(draft, bytes(32))  # another key reads nothing


def test_the_key_is_derived_not_the_cpr_key_itself() -> None:
    assert drafts.draft_key(KEY) != KEY and len(drafts.draft_key(KEY)) == 32


def test_a_new_upload_replaces_the_open_draft(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    first_id = upload(session, actor, person).id
    second = upload(session, actor, person, data=DOCUMENT + b"\nDansk")
    assert count(session) == 1
    assert drafts.open_draft(session, actor, person) is second
    assert drafts.draft_text(second, KEY).endswith("Dansk")
    created = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "cv_draft", AuditEntry.action == AuditAction.CREATE)
        .order_by(AuditEntry.id)
    ).all()
    assert [e.details["replaced"] for e in created] == [[], [first_id]]


def test_accept_takes_the_chosen_fields_and_deletes_the_draft(
    session: Session, make, counsellor
) -> None:
    org, actor = counsellor
    person = make.jobseeker(org, with_cv=True)
    draft = upload(session, actor, person)
    chosen = {
        "headline": "Svejser med 10 års erfaring",
        "experiences": [
            ExperienceData("Svejser", 2014, end_year=2023, employer_name="Odense Stål")
        ],
        "skills": ["MIG/MAG-svejsning", "truckcertifikat"],  # the second is on the CV already
        "desired_occupations": [DesiredOccupationData("Svejser")],
    }
    saved = drafts.accept_draft(session, actor, person, draft, chosen)
    assert saved.headline == "Svejser med 10 års erfaring"
    assert [e.title for e in saved.experiences] == ["Lagermedarbejder", "Svejser"]
    assert saved.skills == ["Truckcertifikat", "MIG/MAG-svejsning"]
    assert saved.summary == "Mødestabil og glad for at arbejde i team."  # not chosen: kept
    assert count(session) == 0
    deleted = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "cv_draft", AuditEntry.action == AuditAction.DELETE
        )
    ).one()
    assert deleted.details["reason"] == "accepted" and deleted.jobseeker_id == person.id


def test_an_invalid_choice_keeps_the_draft(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org, with_cv=True)
    draft = upload(session, actor, person)
    with pytest.raises(ValidationError) as raised:
        drafts.accept_draft(
            session, actor, person, draft, {"experiences": [ExperienceData("Svejser", None)]}
        )
    assert "experiences-1-start_year" in raised.value.errors
    assert count(session) == 1
    assert cv_data_of(person).experiences[-1].title == "Lagermedarbejder"


def test_discard_deletes_the_draft(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    draft = upload(session, actor, person)
    drafts.discard_draft(session, actor, person, draft)
    assert count(session) == 0


def test_another_organisations_counsellor_cannot_use_the_draft(
    session: Session, make, counsellor
) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    draft = upload(session, actor, person)
    other = make.organisation(OrgKind.JOBCENTRE)
    stranger = Actor(
        user_id=make.user((other, Role.COUNSELLOR)).id,
        organisation_id=other.id,
        role=Role.COUNSELLOR.value,
    )
    assert drafts.open_draft(session, stranger, person) is None
    with pytest.raises(OutOfScope):
        drafts.discard_draft(session, stranger, person, draft)
    assert count(session) == 1


def test_expired_drafts_are_purged_and_hidden(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    old_person, new_person = make.jobseeker(org), make.jobseeker(org)
    long_ago = utcnow() - timedelta(days=drafts.DRAFT_DAYS, minutes=1)
    upload(session, actor, old_person, now=long_ago)
    upload(session, actor, new_person)
    assert drafts.open_draft(session, actor, old_person) is None
    assert drafts.purge_expired_drafts(session, utcnow()) == 1
    assert drafts.purge_expired_drafts(session, utcnow()) == 0
    left = session.scalars(select(CVDraft.jobseeker_id)).all()
    assert left == [new_person.id]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.details["reason"].as_string() == "expired")
    ).one()
    assert entry.jobseeker_id == old_person.id


def test_a_refused_document_stores_nothing(session: Session, make, counsellor) -> None:
    org, actor = counsellor
    person = make.jobseeker(org)
    with pytest.raises(DocumentRefused):
        upload(session, actor, person, data=b"\x00\x01binary\x00" * 100)
    assert count(session) == 0


def test_the_purge_job_runs_in_the_worker_registry() -> None:
    from workers import jobs, worker
    from workers.queues import Job

    assert Job.PURGE_EXPIRED_CV_DRAFTS.path == "workers.jobs.purge_expired_cv_drafts"
    assert callable(jobs.purge_expired_cv_drafts)
    assert any(job is Job.PURGE_EXPIRED_CV_DRAFTS for job, _ in worker.PERIODIC_JOBS)
