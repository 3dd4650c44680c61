"""Leaving the register (afgang): the day, the reason and a note are kept (the results
dashboards count the reasons), the person is no longer active, their undecided referrals are
withdrawn through the referral workflow, their places on the shortlists of fairs not yet held
are taken off (kept, marked removed, so a rebuild does not re-add them), and the responsibility
period is closed.

The organisation keeps the person until the end of the day the exit is recorded (the period
ends the day after the later of ``left_on`` and today), so the counsellor can still read the
person's page that day; from the next day the person is outside every caseload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.dates import format_date, today_dk
from matching.core.errors import ValidationError
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    OPEN_REFERRAL_STATES,
    AuditAction,
    ExitReason,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Referral,
    ShortlistEntry,
)
from matching.referrals import workflow as referral_workflow

PURPOSE = "sagsbehandling"
NOTE_MAX_CHARS = 2000


@dataclass(frozen=True)
class ExitSummary:
    referrals_closed: int
    shortlist_places_closed: int


def exit_message(reason: ExitReason) -> str:
    """The note written on each referral and shortlist place the exit closes."""
    return f"Personen er afmeldt: {reason.label_da}"


def open_referrals(session: Session, person: Jobseeker) -> list[Referral]:
    """The person's undecided referrals (proposed, sent or at interview)."""
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.jobseeker_id == person.id,
                Referral.state.in_(OPEN_REFERRAL_STATES),
            )
            .order_by(Referral.id)
        )
    )


def open_shortlist_places(
    session: Session, person: Jobseeker, *, today: date | None = None
) -> list[ShortlistEntry]:
    """The person's places on shortlists of fairs held today or later (not removed)."""
    today = today or today_dk()
    return list(
        session.scalars(
            select(ShortlistEntry)
            .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
            .join(JobFair, JobFair.id == JobFairVacancy.job_fair_id)
            .where(
                ShortlistEntry.jobseeker_id == person.id,
                ShortlistEntry.removed.is_(False),
                JobFair.held_on >= today,
            )
            .order_by(ShortlistEntry.id)
        )
    )


def preview_exit(session: Session, person: Jobseeker, *, today: date | None = None) -> ExitSummary:
    """What :func:`leave_register` would close now (for the confirmation page)."""
    return ExitSummary(
        len(open_referrals(session, person)),
        len(open_shortlist_places(session, person, today=today)),
    )


def check_exit(
    person: Jobseeker, left_on: date | None, note: str, *, today: date
) -> dict[str, str]:
    """The problems with leaving the register on ``left_on`` (empty when it may be done)."""
    errors: dict[str, str] = {}
    if person.left_on is not None or not person.active:
        errors[""] = (
            f"Personen er allerede afmeldt den {format_date(person.left_on)}."
            if person.left_on
            else "Personen er ikke aktiv."
        )
    if left_on is None:
        errors["left_on"] = "Angiv afmeldingsdatoen."
    elif left_on > today:
        errors["left_on"] = f"Datoen kan ikke ligge efter i dag ({format_date(today)})."
    elif person.unemployment_start is not None and left_on < person.unemployment_start:
        start = format_date(person.unemployment_start)
        errors["left_on"] = f"Datoen kan ikke ligge før ledighedens start ({start})."
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = f"Højst {NOTE_MAX_CHARS} tegn."
    return errors


def leave_register(
    session: Session,
    actor: Actor,
    person: Jobseeker,
    *,
    left_on: date,
    reason: ExitReason,
    note: str = "",
    today: date | None = None,
) -> ExitSummary:
    """Take the person off the register on ``left_on`` for ``reason``.

    The caller has checked the person is in the actor's caseload. Raises
    :class:`ValidationError` for a person who has left already and for a day after today or
    before the unemployment began. Flushes; the caller commits.
    """
    require_role(actor, COUNSELLORS, "take people off the register")
    today = today or today_dk()
    note = (note or "").strip()
    errors = check_exit(person, left_on, note, today=today)
    if errors:
        raise ValidationError(errors)
    message = exit_message(reason)
    referrals = open_referrals(session, person)
    for referral in referrals:
        referral_workflow.apply(session, referral, "withdraw", actor, reason=message)
    places = open_shortlist_places(session, person, today=today)
    for entry in places:
        entry.removed = True
        entry.note = f"{entry.note}\n{message}".strip()
    person.left_on = left_on
    person.exit_reason = reason
    person.exit_note = note or None
    person.active = False
    ends = max(left_on, today) + timedelta(days=1)
    for period in person.responsibilities:
        if period.valid_from < ends and (period.valid_to is None or period.valid_to > ends):
            period.valid_to = ends
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "jobseeker",
        person.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={
            "event": "left_register",
            "left_on": left_on.isoformat(),
            "reason": reason.value,
            "referrals_closed": [r.id for r in referrals],
            "shortlist_entries_closed": [e.id for e in places],
        },
    )
    return ExitSummary(len(referrals), len(places))
