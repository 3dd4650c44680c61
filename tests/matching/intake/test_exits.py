"""Leaving the register: referrals withdrawn, places on coming fairs taken, responsibility
closed, refused twice and for impossible days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.errors import OutOfScope, ValidationError
from matching.core.settings import Settings
from matching.intake.exits import ExitSummary, leave_register, preview_exit
from matching.intake.registration import create_person
from matching.models import (
    AuditAction,
    AuditEntry,
    ExitReason,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Referral,
    ReferralState,
    ShortlistEntry,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.models.workflow import WorkflowEvent
from matching.people.queries import caseload_count, get_jobseeker_for
from tests.factories.base import put_in_state
from tests.support.intake import IntakeWorld, build_intake_world, person_data

TODAY = today_dk()


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


@pytest.fixture
def person(session: Session, settings: Settings, world: IntakeWorld) -> Jobseeker:
    return create_person(
        session, world.actor(), person_data(), settings=settings, day=TODAY - timedelta(days=20)
    )


def _vacancy(session: Session, world: IntakeWorld, title: str) -> Vacancy:
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=VacancyStatus.OPEN,
        employer_id=world.employer.id,
        title=title,
        description="Vi søger en kollega.",
        postal_code="5000",
    )
    session.add(vacancy)
    session.flush()
    return vacancy


def _referral(
    session: Session, world: IntakeWorld, person: Jobseeker, state: ReferralState
) -> Referral:
    referral = Referral(
        vacancy_id=_vacancy(session, world, f"Job {state.value}").id,
        jobseeker_id=person.id,
        organisation_id=world.jobcentre.id,
    )
    session.add(referral)
    session.flush()
    if state is not ReferralState.PROPOSED:
        put_in_state(session, referral, state)
    return referral


def _place(
    session: Session, world: IntakeWorld, person: Jobseeker, held_in_days: int
) -> ShortlistEntry:
    fair = JobFair(
        organiser_id=world.jobcentre.id,
        name=f"Messe om {held_in_days} dage",
        held_on=TODAY + timedelta(days=held_in_days),
        place="Hallen",
    )
    session.add(fair)
    session.flush()
    fair_vacancy = JobFairVacancy(
        job_fair_id=fair.id, vacancy_id=_vacancy(session, world, "Messejob").id
    )
    session.add(fair_vacancy)
    session.flush()
    entry = ShortlistEntry(
        job_fair_vacancy_id=fair_vacancy.id,
        jobseeker_id=person.id,
        rank=1,
        invitation_code=f"EXIT{person.id}-{fair.id}",
    )
    session.add(entry)
    session.flush()
    return entry


def test_leaving_closes_open_referrals_places_on_coming_fairs_and_responsibility(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    proposed = _referral(session, world, person, ReferralState.PROPOSED)
    sent = _referral(session, world, person, ReferralState.SENT)
    interview = _referral(session, world, person, ReferralState.INTERVIEW)
    hired = _referral(session, world, person, ReferralState.HIRED)
    coming, today_fair, past = (
        _place(session, world, person, 10),
        _place(session, world, person, 0),
        _place(session, world, person, -3),
    )
    assert preview_exit(session, person) == ExitSummary(3, 2)

    summary = leave_register(
        session,
        world.actor(),
        person,
        left_on=TODAY - timedelta(days=1),
        reason=ExitReason.JOB,
        note="Fast job som lagermedarbejder",
    )

    assert summary == ExitSummary(referrals_closed=3, shortlist_places_closed=2)
    assert [r.state for r in (proposed, sent, interview, hired)] == [
        ReferralState.WITHDRAWN,
        ReferralState.WITHDRAWN,
        ReferralState.WITHDRAWN,
        ReferralState.HIRED,
    ]
    notes = session.scalars(
        select(WorkflowEvent.note).where(
            WorkflowEvent.referral_id == sent.id, WorkflowEvent.event == "withdraw"
        )
    ).all()
    assert notes == ["Personen er afmeldt: Job"]
    assert (coming.removed, today_fair.removed, past.removed) == (True, True, False)
    assert "Personen er afmeldt: Job" in coming.note
    assert (person.active, person.left_on, person.exit_reason, person.exit_note) == (
        False,
        TODAY - timedelta(days=1),
        ExitReason.JOB,
        "Fast job som lagermedarbejder",
    )
    [period] = person.responsibilities
    assert period.valid_to == TODAY + timedelta(days=1)
    # Still readable by the organisation today, gone tomorrow; out of the caseload list now.
    assert get_jobseeker_for(session, world.actor(), person.id).left_on is not None
    with pytest.raises(OutOfScope):
        get_jobseeker_for(session, world.actor(), person.id, today=TODAY + timedelta(days=1))
    assert caseload_count(session, world.actor()) == 0
    [entry] = session.scalars(
        select(AuditEntry).where(
            AuditEntry.jobseeker_id == person.id,
            AuditEntry.action == AuditAction.UPDATE,
        )
    )
    assert entry.details["event"] == "left_register"
    assert entry.details["referrals_closed"] == [proposed.id, sent.id, interview.id]


def test_leaving_twice_in_the_future_or_before_unemployment_is_refused(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    with pytest.raises(ValidationError) as future:
        leave_register(
            session, world.actor(), person, left_on=TODAY + timedelta(days=1), reason=ExitReason.JOB
        )
    assert "left_on" in future.value.errors
    with pytest.raises(ValidationError) as early:
        leave_register(
            session,
            world.actor(),
            person,
            left_on=person.unemployment_start - timedelta(days=1),
            reason=ExitReason.MOVED,
        )
    assert "ledighedens start" in early.value.errors["left_on"]
    assert person.active is True and person.left_on is None
    leave_register(session, world.actor(), person, left_on=TODAY, reason=ExitReason.EDUCATION)
    with pytest.raises(ValidationError) as twice:
        leave_register(session, world.actor(), person, left_on=TODAY, reason=ExitReason.JOB)
    assert "allerede afmeldt" in twice.value.errors[""]
    assert person.exit_reason is ExitReason.EDUCATION
