"""The referral state machine: every allowed transition, every refused one, reminders, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.core.workflow import Transition, WorkflowBypass
from matching.models import (
    Jobseeker,
    Organisation,
    OrgKind,
    Referral,
    ReferralState,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.referrals import workflow
from tests.factories.base import put_in_state

S = ReferralState
COUNSELLOR = Actor(user_id=None, organisation_id=1, role="counsellor")
EMPLOYER = Actor(user_id=None, organisation_id=2, role="employer")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def referral(session: Session) -> Referral:
    akasse = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Test")
    employer = Organisation(kind=OrgKind.EMPLOYER, name="Virksomhed Test")
    session.add_all([akasse, employer])
    session.flush()
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=VacancyStatus.OPEN,
        employer_id=employer.id,
        title="Lagermedarbejder",
        description="Lager.",
        postal_code="5000",
    )
    person = Jobseeker(
        pseudonym="L-REF001",
        first_name="Anna",
        last_name="Test",
        birth_date=date(1990, 1, 1),
        postal_code="5000",
    )
    session.add_all([vacancy, person])
    session.flush()
    ref = Referral(vacancy_id=vacancy.id, jobseeker_id=person.id, organisation_id=akasse.id)
    session.add(ref)
    session.flush()
    return ref


def test_the_happy_path_is_a_list_of_events(session: Session, referral: Referral) -> None:
    workflow.apply(session, referral, "send", COUNSELLOR, now=NOW, respond_days=7)
    assert referral.state is S.SENT and referral.respond_by == date(2026, 12, 8)
    workflow.apply(session, referral, "invite", EMPLOYER, now=NOW)
    workflow.apply(session, referral, "hire", EMPLOYER, now=NOW)
    assert referral.state is S.HIRED
    assert [(e.from_state, e.to_state) for e in referral.events] == [
        ("proposed", "sent"), ("sent", "interview"), ("interview", "hired")
    ]  # fmt: skip
    assert all(e.at == NOW for e in referral.events)
    assert workflow.allowed_events(referral, "employer") == []  # final


@pytest.mark.parametrize(
    "transition", workflow.REFERRALS.transitions, ids=lambda t: f"{t.source}-{t.event}"
)
def test_every_transition_in_the_table_works_for_its_roles(
    session: Session, referral: Referral, transition: Transition[ReferralState]
) -> None:
    put_in_state(session, referral, transition.source)
    for role in sorted(transition.by):
        put_in_state(session, referral, transition.source)
        actor = Actor(user_id=None, organisation_id=1, role=role)
        workflow.apply(session, referral, transition.event, actor, reason="fordi", now=NOW)
        assert referral.state is transition.target
        event = referral.events[-1]
        assert (event.from_state, event.to_state) == (transition.source, transition.target)
        assert (event.workflow, event.event, event.note) == ("referral", transition.event, "fordi")


TABLE = {(t.source, t.event) for t in workflow.REFERRALS.transitions}
REFUSED = [
    (state, event)
    for state in ReferralState
    for event in sorted(workflow.EVENT_LABELS_DA)
    if (state, event) not in TABLE
]


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_everything_else_is_refused(
    session: Session, referral: Referral, state: ReferralState, event: str
) -> None:
    put_in_state(session, referral, state)
    system = Actor.system()
    for actor in (COUNSELLOR, EMPLOYER, system):
        with pytest.raises(InvalidTransition):
            workflow.apply(session, referral, event, actor, reason="x")
    assert referral.state is state and referral.events == []


def test_a_state_is_never_assigned_outside_the_workflow(
    session: Session, referral: Referral
) -> None:
    with pytest.raises(WorkflowBypass):
        referral.state = ReferralState.HIRED
    assert referral.events == []


def test_roles_and_reasons_are_checked(session: Session, referral: Referral) -> None:
    with pytest.raises(PermissionDenied):
        workflow.apply(session, referral, "send", EMPLOYER)  # only counsellors send
    workflow.apply(session, referral, "send", COUNSELLOR)
    with pytest.raises(PermissionDenied):
        workflow.apply(session, referral, "reject", COUNSELLOR, reason="nej")
    with pytest.raises(PermissionDenied):
        workflow.apply(session, referral, "expire", COUNSELLOR)  # the system's event
    with pytest.raises(ValidationError, match="Skriv en begrundelse"):
        workflow.apply(session, referral, "reject", EMPLOYER, reason="   ")
    with pytest.raises(ValidationError, match="højst være 2000 tegn"):
        workflow.apply(session, referral, "reject", EMPLOYER, reason="x" * 2001)
    assert referral.state is S.SENT
    workflow.apply(session, referral, "reject", EMPLOYER, reason="Stillingen er besat")
    assert referral.events[-1].note == "Stillingen er besat"
    assert workflow.allowed_events(referral, "counsellor") == []


def test_unanswered_referrals_are_reminded_then_expire(
    session: Session, referral: Referral
) -> None:
    workflow.apply(session, referral, "send", COUNSELLOR, now=NOW, respond_days=7)
    due = NOW + timedelta(days=7)  # respond_by's day
    assert workflow.process_overdue(session, now=due, reminder_days=7).reminded == []
    reminded_at = due + timedelta(days=1)
    first = workflow.process_overdue(session, now=reminded_at, reminder_days=7)
    assert first.reminded == [referral.id] and first.expired == []
    again = workflow.process_overdue(session, now=reminded_at, reminder_days=7)
    assert again.reminded == [] and again.expired == []  # idempotent
    early = workflow.process_overdue(session, now=reminded_at + timedelta(days=6), reminder_days=7)
    assert early.expired == [] and referral.state is S.SENT
    late = workflow.process_overdue(session, now=reminded_at + timedelta(days=7), reminder_days=7)
    assert late.expired == [referral.id] and referral.state is S.EXPIRED
    assert referral.events[-1].actor_id is None and referral.events[-1].to_state == "expired"


def test_answered_referrals_are_left_alone(session: Session, referral: Referral) -> None:
    workflow.apply(session, referral, "send", COUNSELLOR, now=NOW)
    workflow.apply(session, referral, "hire", EMPLOYER, now=NOW)
    result = workflow.process_overdue(session, now=NOW + timedelta(days=40), reminder_days=7)
    assert result.reminded == [] and result.expired == [] and referral.state is S.HIRED


def test_the_daily_job_uses_the_configured_reminder_period(engine, settings, tmp_path) -> None:  # noqa: ANN001
    from matching.core.db import make_session_factory, session_scope
    from matching.core.migrate import reset_schema_for_tests
    from workers import jobs, runtime

    rt = runtime.init(settings.with_overrides(referral_reminder_days=3, data_dir=tmp_path), engine)
    try:
        with session_scope(make_session_factory(engine)) as session:
            org = Organisation(kind=OrgKind.EMPLOYER, name="Job Test ApS")
            session.add(org)
            session.flush()
            vacancy = Vacancy(
                kind=VacancyKind.ORDINARY, status=VacancyStatus.OPEN, employer_id=org.id,
                title="Kok", description="Køkken.", postal_code="5000",
            )  # fmt: skip
            person = Jobseeker(
                pseudonym="L-REF002", first_name="Bo", last_name="Test",
                birth_date=date(1980, 1, 1), postal_code="5000",
            )  # fmt: skip
            session.add_all([vacancy, person])
            session.flush()
            ref = Referral(vacancy_id=vacancy.id, jobseeker_id=person.id, organisation_id=org.id)
            session.add(ref)
            session.flush()
            workflow.apply(session, ref, "send", COUNSELLOR, now=NOW, respond_days=1)
            ref_id = ref.id
        day2 = NOW + timedelta(days=2)
        assert jobs.process_overdue_referrals(now=day2) == {"reminded": [ref_id], "expired": []}
        assert jobs.process_overdue_referrals(now=day2 + timedelta(days=2))["expired"] == []
        assert jobs.process_overdue_referrals(now=day2 + timedelta(days=3))["expired"] == [ref_id]
        with session_scope(rt.session_factory) as session:
            assert session.get(Referral, ref_id).state is S.EXPIRED
    finally:
        reset_schema_for_tests(engine)
