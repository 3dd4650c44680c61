"""A person's rights over their data: the export of everything held (GDPR art. 15 and 20), the
anonymisation of a person (by the retention rules, or on a lawful request for erasure, art. 17)
and the retention run that applies :mod:`matching.rules.retention`.

Who: counsellors of the organisation responsible for the person (for a person who has left
the register: the organisation responsible last; the portal looks them up with
:func:`matching.people.queries.get_jobseeker_answered_for`), and the system (the CLI on a
lawful request, the nightly purge). Another organisation's person is "not found".

Anonymisation keeps the row and its pseudonym, so the statistics (target-group periods, the exit
date and reason, referral states and dates, shortlist places) and every audit entry still point
at it; the audit log is append-only and refers to people by id only. What goes and what stays
is listed in docs/privacy.md ("Data subject rights and retention").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.settings import Settings
from matching.intake.rights_export import (
    EXPORT_SCHEMA_VERSION,
    PURPOSE_EXPORT,
    person_data_export,
    require_rights_handler,
)
from matching.intake.rights_pdf import person_data_pdf
from matching.models import (
    AuditAction,
    AuditEntry,
    ConsentEvent,
    CVDraft,
    Handover,
    ImportStatus,
    Jobseeker,
    Match,
    MatchReview,
    MatchRun,
    PersonImport,
    Referral,
    ShortlistEntry,
    StoredEmbedding,
    WorkflowEvent,
    utcnow,
)
from matching.rules.retention import Period, RetentionSubject, is_due, period_for

__all__ = [
    "EXPORT_SCHEMA_VERSION",
    "PurgeSummary",
    "anonymise_person",
    "erase_on_request",
    "left_register_since",
    "person_data_export",
    "person_data_pdf",
    "purge",
    "require_rights_handler",
    "PURPOSE_EXPORT",
    "retention_overrides",
]

ANONYMISED_NAME = "Anonymiseret"
PURPOSE_ERASURE = "sletning"
PURPOSE_RETENTION = "opbevaring"


# --- anonymisation and erasure (art. 17) ------------------------------------------------------


def anonymise_person(
    session: Session, actor: Actor, person: Jobseeker, *, reason: str, purpose: str = ""
) -> None:
    """Remove ``person``'s personal data, keeping the row under its pseudonym with the facts
    the statistics count. Only for a person who is no longer on the register (an active case
    is still handled); ValidationError otherwise, or when already anonymised.

    Gone: names (→ "Anonymiseret"), CPR (cipher text and look-up hash), birth day and month
    (1 January of the birth year is kept: the column is required, the age band is a
    statistic), e-mail, phone, street address, residence years, the exit note, the CV, CV
    drafts, stored embeddings, match lists and runs, and the free texts that may describe
    the person (notes of consents, referrals and their events, handovers, shortlist places,
    reasons of match reviews). Kept: pseudonym, postal code and municipality, a-kasse,
    target-group and responsibility periods, unemployment start, education level, the exit
    date and reason, consent events (without notes), referral states and dates, shortlist
    places, handovers. The vector index drops the embeddings at its next check (CHECK_INDEX
    reconciles with the stored embeddings, removing ids without a row).
    """
    require_rights_handler(actor)
    if person.anonymised_at is not None:
        raise ValidationError("Personens oplysninger er allerede anonymiseret.")
    if person.active:
        raise ValidationError(
            "Personen er stadig tilmeldt. Registrér først, at personen er afmeldt."
        )
    pid = person.id
    person.first_name = person.last_name = ANONYMISED_NAME
    person.cpr_encrypted = None
    person.cpr_lookup = None
    person.birth_date = date(person.birth_date.year, 1, 1)
    person.email = person.phone = person.street_address = None
    person.residence_years = None
    person.exit_note = None
    if person.cv is not None:
        session.delete(person.cv)
    session.execute(delete(CVDraft).where(CVDraft.jobseeker_id == pid))
    session.execute(
        delete(StoredEmbedding).where(
            StoredEmbedding.entity_kind == "jobseeker", StoredEmbedding.entity_id == pid
        )
    )
    session.execute(delete(Match).where(Match.jobseeker_id == pid))
    session.execute(
        delete(MatchRun).where(MatchRun.subject_kind == "jobseeker", MatchRun.subject_id == pid)
    )
    session.execute(update(MatchReview).where(MatchReview.jobseeker_id == pid).values(reason=""))
    session.execute(update(ConsentEvent).where(ConsentEvent.jobseeker_id == pid).values(note=""))
    session.execute(update(Handover).where(Handover.jobseeker_id == pid).values(note=""))
    session.execute(
        update(ShortlistEntry).where(ShortlistEntry.jobseeker_id == pid).values(note="")
    )
    referral_ids = select(Referral.id).where(Referral.jobseeker_id == pid).scalar_subquery()
    session.execute(update(Referral).where(Referral.jobseeker_id == pid).values(note=""))
    session.execute(
        update(WorkflowEvent).where(WorkflowEvent.referral_id.in_(referral_ids)).values(note="")
    )
    person.anonymised_at = utcnow()
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        "jobseeker",
        pid,
        jobseeker_id=pid,
        purpose=purpose or PURPOSE_RETENTION,
        details={"pseudonym": person.pseudonym, "anonymised": True},
        note=reason,
    )
    session.flush()
    session.expire(person)


def erase_on_request(session: Session, actor: Actor, person: Jobseeker, *, reason: str) -> None:
    """Erasure on the person's lawful request (art. 17): the anonymisation of
    :func:`anonymise_person`, with the request's reason recorded (purpose "sletning").
    ValidationError without a reason (it must not name or identify the person)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Skriv, hvilken anmodning sletningen sker på."})
    anonymise_person(session, actor, person, reason=reason, purpose=PURPOSE_ERASURE)


# --- the retention run -------------------------------------------------------------------------


def retention_overrides(settings: Settings) -> dict[RetentionSubject, Period]:
    """The deploying organisation's periods (JOBBRO_RETENTION_*) over the rules' defaults."""
    chosen = {
        RetentionSubject.LEFT_REGISTER: (settings.retention_left_months, "months"),
        RetentionSubject.CV_DRAFT: (settings.retention_cv_draft_days, "days"),
        RetentionSubject.IMPORT_FILE: (settings.retention_import_file_days, "days"),
        RetentionSubject.AUDIT_LOG: (settings.retention_audit_years, "years"),
    }
    return {s: Period(**{unit: n}) for s, (n, unit) in chosen.items() if n is not None}


def left_register_since(settings: Settings, today: date) -> date:
    """The earliest exit day whose person is still kept today (the retention period after
    leaving the register, with the deploying organisation's override)."""
    period = period_for(RetentionSubject.LEFT_REGISTER, today, retention_overrides(settings))
    day = period.starts_before(today)  # within a few days of the answer (month ends clamp)
    one = timedelta(days=1)
    while period.ends_on(day - one) > today:
        day -= one
    while period.ends_on(day) <= today:
        day += one
    return day


@dataclass
class PurgeSummary:
    today: date
    dry_run: bool
    anonymised: list[str] = field(default_factory=list)  # pseudonyms
    cv_drafts: int = 0
    import_files: int = 0
    audit_entries_past_period: int = 0  # reported, never deleted

    def to_dict(self) -> dict[str, object]:
        return {
            "today": self.today.isoformat(),
            "dry_run": self.dry_run,
            "anonymised": len(self.anonymised),
            "pseudonyms": list(self.anonymised),
            "cv_drafts": self.cv_drafts,
            "import_files": self.import_files,
            "audit_entries_past_period": self.audit_entries_past_period,
        }


def _length(period: Period, today: date) -> timedelta:
    """How long ``period`` is when counted back from ``today``."""
    return period.ends_on(today) - today


def purge(
    session: Session,
    *,
    today: date,
    dry_run: bool,
    now: datetime | None = None,
    overrides: dict[RetentionSubject, Period] | None = None,
) -> PurgeSummary:
    """Apply the retention rules in force on ``today``: anonymise the people whose period
    after leaving the register is over, delete expired CV drafts, delete the files of finished
    person imports; count the audit entries past their period. Idempotent: what is done is not
    found again. ``dry_run``: count and list, change nothing. Flushes, never commits."""
    now = now or utcnow()
    summary = PurgeSummary(today=today, dry_run=dry_run)
    system = Actor.system()

    left = period_for(RetentionSubject.LEFT_REGISTER, today, overrides)
    people = session.scalars(
        select(Jobseeker)
        .where(
            Jobseeker.active.is_(False),
            Jobseeker.left_on.is_not(None),
            Jobseeker.anonymised_at.is_(None),
            Jobseeker.left_on <= left.starts_before(today),
        )
        .order_by(Jobseeker.id)
    ).all()
    for person in people:
        assert person.left_on is not None
        if not is_due(RetentionSubject.LEFT_REGISTER, person.left_on, today, overrides):
            continue
        summary.anonymised.append(person.pseudonym)
        if not dry_run:
            reason = f"Opbevaringsperioden ({left.label_da} efter afmelding) er udløbet."
            anonymise_person(session, system, person, reason=reason)

    draft_period = period_for(RetentionSubject.CV_DRAFT, today, overrides)
    created_cutoff = now - _length(draft_period, today)
    drafts = session.execute(
        select(CVDraft.id, CVDraft.jobseeker_id).where(
            (CVDraft.expires_at <= now) | (CVDraft.created_at <= created_cutoff)
        )
    ).all()
    summary.cv_drafts = len(drafts)
    if drafts and not dry_run:
        session.execute(delete(CVDraft).where(CVDraft.id.in_([d.id for d in drafts])))
        for draft_id, jobseeker_id in drafts:
            audit.record(
                session,
                system,
                AuditAction.DELETE,
                "cv_draft",
                draft_id,
                jobseeker_id=jobseeker_id,
                purpose=PURPOSE_RETENTION,
            )

    file_period = period_for(RetentionSubject.IMPORT_FILE, today, overrides)
    file_cutoff = now - _length(file_period, today)
    imports = session.scalars(
        select(PersonImport).where(
            PersonImport.status.in_((ImportStatus.DONE, ImportStatus.FAILED)),
            PersonImport.file_encrypted.is_not(None),
            func.coalesce(PersonImport.finished_at, PersonImport.updated_at) <= file_cutoff,
        )
    ).all()
    summary.import_files = len(imports)
    if not dry_run:
        for person_import in imports:
            person_import.file_encrypted = None
            audit.record(
                session,
                system,
                AuditAction.DELETE,
                "person_import",
                person_import.id,
                purpose=PURPOSE_RETENTION,
                details={"file": True},
            )

    audit_period = period_for(RetentionSubject.AUDIT_LOG, today, overrides)
    audit_cutoff = now - _length(audit_period, today)
    summary.audit_entries_past_period = (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.at < audit_cutoff)
        )
        or 0
    )
    session.flush()
    return summary
