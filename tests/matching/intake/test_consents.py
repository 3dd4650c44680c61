"""The consent ledger: events only added, the person's columns derived from the last one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.errors import PermissionDenied, ValidationError
from matching.core.settings import Settings
from matching.intake.consents import (
    consent_history,
    current_consents,
    derive_state,
    record_consent,
)
from matching.intake.registration import create_person
from matching.models import (
    AuditAction,
    AuditEntry,
    ConsentChannel,
    ConsentEvent,
    ConsentKind,
    ExitReason,
    Jobseeker,
)
from tests.support.intake import IntakeWorld, build_intake_world, person_data

TODAY = today_dk()
SHARE = ConsentKind.SHARE_WITH_EMPLOYERS
EMAIL = ConsentKind.CONTACT_BY_EMAIL


@pytest.fixture
def world(session: Session, password_hash: str) -> IntakeWorld:
    return build_intake_world(session, password_hash)


@pytest.fixture
def person(session: Session, settings: Settings, world: IntakeWorld) -> Jobseeker:
    return create_person(session, world.actor(), person_data(), settings=settings)


def test_derive_state_takes_the_last_recorded_event_per_kind() -> None:
    def event(kind: ConsentKind, given: bool, day: int) -> ConsentEvent:
        return ConsentEvent(
            kind=kind, given=given, given_on=date(2025, 1, day), channel=ConsentChannel.PAPER
        )

    given, withdrawn, email = event(SHARE, True, 9), event(SHARE, False, 2), event(EMAIL, True, 1)
    state = derive_state([given, email, withdrawn])
    # The ledger's order decides, not the day on the form: the withdrawal came last.
    assert state[SHARE] is withdrawn
    assert state[EMAIL] is email
    assert state[ConsentKind.JOINT_RECRUITMENT] is None
    assert derive_state([]) == dict.fromkeys(ConsentKind)


def test_giving_and_withdrawing_updates_the_derived_columns_at_once(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    assert person.consent_share_with_employers is False
    given = record_consent(
        session,
        world.actor(),
        person,
        SHARE,
        True,
        channel=ConsentChannel.PAPER,
        given_on=TODAY - timedelta(days=3),
        note="Underskrevet blanket",
    )
    assert person.consent_share_with_employers is True
    first_update = person.consent_updated_at
    assert first_update is not None
    stored = session.scalar(
        select(Jobseeker.consent_share_with_employers).where(Jobseeker.id == person.id)
    )
    assert stored is True  # flushed with the event
    withdrawn = record_consent(
        session, world.actor(), person, SHARE, False, channel=ConsentChannel.IN_PERSON
    )
    assert person.consent_share_with_employers is False
    assert withdrawn.given_on == TODAY
    assert withdrawn.recorded_by_id == world.counsellor.id
    assert withdrawn.organisation_id == world.jobcentre.id
    assert current_consents(person)[SHARE] is withdrawn
    assert current_consents(person)[EMAIL] is None
    assert consent_history(session, person) == [given, withdrawn]
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.jobseeker_id == person.id, AuditEntry.object_type == "consent_event")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.details["given"], e.details["previous"]) for e in entries] == [
        (AuditAction.UPDATE, True, False),
        (AuditAction.UPDATE, False, True),
    ]


def test_recording_the_same_state_again_is_a_new_event(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    for channel in (ConsentChannel.DIGITAL, ConsentChannel.PAPER):
        record_consent(session, world.actor(), person, EMAIL, True, channel=channel)
    history = consent_history(session, person)
    assert [(e.given, e.channel) for e in history] == [
        (True, ConsentChannel.DIGITAL),
        (True, ConsentChannel.PAPER),
    ]
    assert person.consent_contact_by_email is True


def test_a_future_date_a_long_note_and_other_roles_are_refused(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    with pytest.raises(ValidationError) as refused:
        record_consent(
            session,
            world.actor(),
            person,
            SHARE,
            True,
            channel=ConsentChannel.DIGITAL,
            given_on=TODAY + timedelta(days=1),
            note="x" * 501,
        )
    assert set(refused.value.errors) == {"given_on", "note"}
    with pytest.raises(PermissionDenied):
        record_consent(
            session,
            world.actor(world.employer_user),
            person,
            SHARE,
            True,
            channel=ConsentChannel.DIGITAL,
        )
    assert consent_history(session, person) == []
    assert person.consent_share_with_employers is False


def test_a_person_who_has_left_can_only_withdraw(
    session: Session, world: IntakeWorld, person: Jobseeker
) -> None:
    from matching.intake.exits import leave_register

    record_consent(session, world.actor(), person, SHARE, True, channel=ConsentChannel.DIGITAL)
    leave_register(session, world.actor(), person, left_on=TODAY, reason=ExitReason.JOB)
    with pytest.raises(ValidationError):
        record_consent(session, world.actor(), person, EMAIL, True, channel=ConsentChannel.DIGITAL)
    record_consent(session, world.actor(), person, SHARE, False, channel=ConsentChannel.DIGITAL)
    assert person.consent_share_with_employers is False


def test_after_a_withdrawal_a_new_export_has_no_name(session: Session, password_hash: str) -> None:
    from matching.fairs.exports.rows import rows_for_fair
    from tests.factories.fairs import build_world

    fair = build_world(session, people=2, employers=1, password_hash=password_hash)
    before = {r.jobseeker_id: r for r in rows_for_fair(session, fair.fair_id)}
    [consented_id] = [pid for pid, row in before.items() if row.consented]
    assert before[consented_id].name is not None
    person = session.get(Jobseeker, consented_id)
    record_consent(
        session, fair.actor("counsellor"), person, SHARE, False, channel=ConsentChannel.DIGITAL
    )
    after = {r.jobseeker_id: r for r in rows_for_fair(session, fair.fair_id)}
    assert after[consented_id].consented is False
    assert (after[consented_id].name, after[consented_id].first_name) == (None, None)
    assert after[consented_id].email is None and after[consented_id].phone is None
