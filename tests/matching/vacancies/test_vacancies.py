"""Employers' vacancies and places: validation, the lifecycle table, approval, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import InvalidTransition, OutOfScope, PermissionDenied, ValidationError
from matching.models import (
    ApprovalStatus,
    AuditAction,
    AuditEntry,
    Organisation,
    OrgKind,
    PNumber,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.rules import eligibility
from matching.vacancies import editing, lifecycle
from matching.vacancies.editing import VacancyInput
from matching.vacancies.queries import is_matchable
from tests.factories import Factory
from tests.factories.base import put_in_state

S = VacancyStatus
TODAY = today_dk()


def actor_for(org: Organisation, role: Role, user_id: int | None = None) -> Actor:
    return Actor(user_id=user_id, organisation_id=org.id, role=role.value)


@pytest.fixture
def employer(make: Factory) -> tuple[Organisation, Actor]:
    org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    user = make.user((org, Role.EMPLOYER))
    return org, actor_for(org, Role.EMPLOYER, user.id)


@pytest.fixture
def approver(make: Factory) -> Actor:
    org = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    user = make.user((org, Role.APPROVER))
    return actor_for(org, Role.APPROVER, user.id)


def ordinary(**changes: object) -> VacancyInput:
    data = VacancyInput(
        kind=VacancyKind.ORDINARY,
        title="Lagermedarbejder",
        description="Pluk og pak på vores lager i Odense.",
        postal_code="5000",
        start_date=TODAY + timedelta(days=30),
        deadline=TODAY + timedelta(days=14),
    )
    return replace(data, **changes)


def place(kind: VacancyKind = VacancyKind.VIRKSOMHEDSPRAKTIK, **changes: object) -> VacancyInput:
    data = ordinary(
        kind=kind,
        title="Praktik på lageret",
        ordinary_staff_fte=Decimal("12.5"),
        current_subsidised_count=0,
        employee_rep_statement=True,
        duration_weeks=4,
        purpose="Afklare om lagerarbejde passer til personen.",
    )
    return replace(data, **changes)


def errors_of(call) -> dict[str, str]:  # noqa: ANN001
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


def audit_details(session: Session, vacancy: Vacancy) -> list[dict]:
    return [
        e.details
        for e in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "vacancy", AuditEntry.object_id == str(vacancy.id))
            .order_by(AuditEntry.id)
        )
    ]


# --- the transition table ---------------------------------------------------------------------

EVENTS = sorted(
    {t.event for t in lifecycle.VACANCIES.transitions if lifecycle.RULE_CHANGE not in t.by}
)


@pytest.mark.parametrize("status", list(VacancyStatus))
@pytest.mark.parametrize("is_place", [False, True])
def test_every_event_in_every_state_follows_the_table(
    session: Session, make: Factory, employer, approver, status: VacancyStatus, is_place: bool
) -> None:
    org, employer_actor = employer
    kind = VacancyKind.VIRKSOMHEDSPRAKTIK if is_place else VacancyKind.ORDINARY
    expected = {
        "publish": {S.DRAFT: S.OPEN} if not is_place else {},
        "submit": {S.DRAFT: S.PENDING_APPROVAL, S.REJECTED: S.PENDING_APPROVAL} if is_place else {},
        "approve": {S.PENDING_APPROVAL: S.OPEN} if is_place else {},
        "reject": {S.PENDING_APPROVAL: S.REJECTED} if is_place else {},
        "pause": {S.OPEN: S.PAUSED},
        "resume": {S.PAUSED: S.OPEN},
        "close": {S.OPEN: S.CLOSED, S.PAUSED: S.CLOSED},
        "reopen": {S.CLOSED: S.OPEN},
        "fill": {S.OPEN: S.FILLED, S.PAUSED: S.FILLED},
    }
    assert set(expected) == set(EVENTS)
    for event in EVENTS:
        vacancy = make.vacancy(org, kind=kind, status=status)
        vacancy.employee_rep_statement = True
        actor = approver if event in ("approve", "reject") else employer_actor
        target = expected[event].get(status)
        allowed = lifecycle.allowed_events(vacancy, actor.role or "")
        assert (event in allowed) == (target is not None), (status, event)
        if target is None:
            # Refused; approvers do not even see drafts, closed vacancies and the like.
            with pytest.raises((InvalidTransition, OutOfScope)):
                lifecycle.change_status(session, actor, vacancy.id, event, reason="x")
            assert vacancy.status is status
        else:
            lifecycle.change_status(session, actor, vacancy.id, event, reason="Nej tak")
            assert vacancy.status is target, (status, event)


def test_allowed_events_for_buttons(make: Factory, employer) -> None:
    org, _ = employer
    draft = make.vacancy(org, status=S.DRAFT)
    assert lifecycle.allowed_events(draft, "employer") == ["publish"]
    opened = make.vacancy(org, status=S.OPEN)
    assert lifecycle.allowed_events(opened, "employer") == ["pause", "close", "fill"]
    pending = make.vacancy(org, kind=VacancyKind.IGU, status=S.PENDING_APPROVAL)
    assert lifecycle.allowed_events(pending, "employer") == []
    assert lifecycle.allowed_events(pending, "approver") == ["approve", "reject"]


def test_publish_sets_published_at_and_close_and_reopen_set_closed_at(
    session: Session, employer
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary(), publish=True)
    assert vacancy.status is S.OPEN and vacancy.published_at is not None
    published = vacancy.published_at
    lifecycle.change_status(session, actor, vacancy.id, "close")
    assert vacancy.status is S.CLOSED and vacancy.closed_at is not None
    lifecycle.change_status(session, actor, vacancy.id, "reopen")
    assert vacancy.status is S.OPEN and vacancy.closed_at is None
    assert vacancy.published_at == published  # first publication is kept
    assert [d.get("event") for d in audit_details(session, vacancy)] == [
        None,
        "publish",
        "close",
        "reopen",
    ]


def test_reopen_after_the_deadline_asks_to_move_it(session: Session, employer) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary(), publish=True)
    lifecycle.change_status(session, actor, vacancy.id, "close")
    vacancy.deadline = TODAY - timedelta(days=1)
    errors = errors_of(lambda: lifecycle.change_status(session, actor, vacancy.id, "reopen"))
    assert "Flyt ansøgningsfristen" in errors["deadline"]
    assert vacancy.status is S.CLOSED
    vacancy.deadline = TODAY
    lifecycle.change_status(session, actor, vacancy.id, "reopen")
    assert vacancy.status is S.OPEN


def test_another_employer_cannot_touch_the_vacancy(session: Session, make: Factory, employer):
    org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary())
    other = make.organisation(OrgKind.EMPLOYER)
    intruder = actor_for(other, Role.EMPLOYER)
    with pytest.raises(OutOfScope):
        lifecycle.change_status(session, intruder, vacancy.id, "publish")
    with pytest.raises(OutOfScope):
        editing.update_vacancy(session, intruder, vacancy.id, ordinary(title="Hacket"))
    counsellor = actor_for(make.organisation(OrgKind.A_KASSE), Role.COUNSELLOR)
    with pytest.raises(PermissionDenied):
        editing.update_vacancy(session, counsellor, vacancy.id, ordinary())
    assert vacancy.title == "Lagermedarbejder" and vacancy.status is S.DRAFT


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Skriv en titel"),
        ({"title": "x" * 101}, "title", "højst være 100 tegn (du har skrevet 101)"),
        ({"description": ""}, "description", "Skriv en beskrivelse"),
        ({"description": "x" * 5001}, "description", "højst være 5000 tegn"),
        ({"postal_code": "50000"}, "postal_code", "fire cifre"),
        ({"postal_code": "0001"}, "postal_code", "Postnummeret 0001 findes ikke"),
        ({"weekly_hours": Decimal(0)}, "weekly_hours", "mellem 1 og 80"),
        ({"weekly_hours": Decimal(81)}, "weekly_hours", "mellem 1 og 80"),
        ({"weekly_hours": None}, "weekly_hours", "Skriv antal timer"),
        ({"positions": 0}, "positions", "mellem 1 og 999"),
        ({"positions": 1000}, "positions", "mellem 1 og 999"),
        ({"start_date": TODAY - timedelta(days=1)}, "start_date", "før i dag"),
        ({"deadline": TODAY - timedelta(days=1)}, "deadline", "før i dag"),
        ({"deadline": TODAY + timedelta(days=31)}, "deadline", "senest på tiltrædelsesdagen"),
        ({"contact_email": "navn@"}, "contact_email", "gyldig e-mail"),
        ({"contact_phone": "12"}, "contact_phone", "mindst 8 cifre"),
        ({"esco_uri": "http://example.org/nope"}, "esco_uri", "findes ikke"),
    ],
)
def test_vacancy_validation_messages(
    session: Session, employer, changes: dict, field: str, message: str
) -> None:
    _org, actor = employer
    errors = errors_of(lambda: editing.create_vacancy(session, actor, ordinary(**changes)))
    assert message in errors[field]
    assert session.scalar(select(Vacancy.id)) is None


def test_every_problem_is_reported_at_once(session: Session, employer) -> None:
    """What the form could not read comes back with the rules' own complaints, not hidden by
    a rule's "required"."""
    _org, actor = employer
    unreadable = {"weekly_hours": "Skriv antal timer som et tal, fx 37."}
    data = VacancyInput(
        kind=VacancyKind.ORDINARY,
        title="",
        description="",
        postal_code="abc",
        weekly_hours=None,
        positions=None,
        unreadable=unreadable,
    )
    errors = errors_of(lambda: editing.create_vacancy(session, actor, data))
    assert errors["weekly_hours"] == "Skriv antal timer som et tal, fx 37."  # not "required"
    assert {"title", "description", "postal_code", "weekly_hours", "positions"} <= set(errors)


def test_p_number_must_belong_to_the_employer(session: Session, make: Factory, employer) -> None:
    org, actor = employer
    mine = PNumber(organisation_id=org.id, pnr="1000000001", name="Lager Odense")
    other_org = make.organisation(OrgKind.EMPLOYER)
    theirs = PNumber(organisation_id=other_org.id, pnr="1000000002", name="Andet lager")
    session.add_all([mine, theirs])
    session.flush()
    errors = errors_of(
        lambda: editing.create_vacancy(session, actor, ordinary(p_number_id=theirs.id))
    )
    assert errors == {"p_number_id": "Vælg et af virksomhedens egne P-numre."}
    vacancy = editing.create_vacancy(session, actor, ordinary(p_number_id=mine.id))
    assert vacancy.p_number_id == mine.id


def test_past_dates_may_stay_when_editing(session: Session, employer) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary(), publish=True)
    vacancy.start_date = TODAY - timedelta(days=10)  # it started meanwhile
    vacancy.deadline = TODAY - timedelta(days=20)
    data = ordinary(start_date=vacancy.start_date, deadline=vacancy.deadline, title="Ny titel")
    editing.update_vacancy(session, actor, vacancy.id, data)
    assert vacancy.title == "Ny titel"
    moved = replace(data, start_date=TODAY - timedelta(days=5))
    errors = errors_of(lambda: editing.update_vacancy(session, actor, vacancy.id, moved))
    assert "før i dag" in errors["start_date"]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        (VacancyKind.VIRKSOMHEDSPRAKTIK, {"ordinary_staff_fte": None}, "ordinary_staff_fte", ""),
        (
            VacancyKind.VIRKSOMHEDSPRAKTIK,
            {"ordinary_staff_fte": Decimal(-1)},
            "ordinary_staff_fte",
            "mellem 0",
        ),
        (VacancyKind.IGU, {"current_subsidised_count": None}, "current_subsidised_count", ""),
        (VacancyKind.IGU, {"employee_rep_statement": None}, "employee_rep_statement", "Svar"),
        (VacancyKind.VOKSENLAERLING, {"purpose": ""}, "purpose", "formålet"),
        (VacancyKind.VOKSENLAERLING, {"duration_weeks": None}, "duration_weeks", "uger"),
        (VacancyKind.VOKSENLAERLING, {"start_date": None}, "start_date", "starter"),
        (VacancyKind.IGU, {"duration_weeks": 105}, "duration_weeks", "mellem 1 og 104"),
        (
            VacancyKind.VIRKSOMHEDSPRAKTIK,
            {"duration_weeks": 14},
            "duration_weeks",
            "Praktikken varer 14 uger – højst 13 uger for",
        ),
        (
            VacancyKind.LOENTILSKUD_PUBLIC,
            {"duration_weeks": 27},
            "duration_weeks",
            "højst 26 uger (6 måneder i offentligt løntilskud). Vælg højst 26 uger.",
        ),
        (
            VacancyKind.IGU,
            {"weekly_hours": Decimal(20)},
            "weekly_hours",
            "IGU-praktik skal være mindst 25 timer/uge (pladsen har 20)",
        ),
        (
            VacancyKind.IGU,
            {"start_date": date(2028, 1, 3), "deadline": None},
            "start_date",
            "Ingen regler for IGU i kraft den 03.01.2028",
        ),
    ],
)
def test_place_validation_uses_the_rules(
    session: Session, employer, kind: VacancyKind, changes: dict, field: str, message: str
) -> None:
    _org, actor = employer
    data = place(kind, **changes)
    errors = errors_of(lambda: editing.create_vacancy(session, actor, data))
    assert message in errors[field], errors
    assert set(errors) == {field}


def test_allowed_durations_pass(session: Session, employer) -> None:
    _org, actor = employer
    for kind, weeks in [
        (VacancyKind.VIRKSOMHEDSPRAKTIK, 13),
        (VacancyKind.LOENTILSKUD_PRIVATE, 26),
        (VacancyKind.LOENTILSKUD_PUBLIC, 26),
        (VacancyKind.IGU, 104),
        (VacancyKind.VOKSENLAERLING, 156),
    ]:
        editing.create_vacancy(session, actor, place(kind, duration_weeks=weeks))


def test_place_refusals_take_the_most_permissive_limit() -> None:
    start = date(2026, 3, 2)
    facts = eligibility.PlaceFacts(VacancyKind.VIRKSOMHEDSPRAKTIK, "Firma", 14, start, 37)
    [refusal] = eligibility.place_refusals(facts, start)
    assert refusal.rule_id == "praktik-varighed-2020" and refusal.max_weeks == 13
    assert eligibility.place_refusals(replace(facts, duration_weeks=13), start) == ()


def test_statement_from_employee_representative_is_needed_to_submit(
    session: Session, employer
) -> None:
    _org, actor = employer
    data = place(employee_rep_statement=False)
    draft = editing.create_vacancy(session, actor, data)  # a draft may wait for it
    assert draft.status is S.DRAFT
    errors = errors_of(lambda: lifecycle.change_status(session, actor, draft.id, "submit"))
    assert "tillidsrepræsentanten" in errors["employee_rep_statement"]
    errors = errors_of(lambda: editing.create_vacancy(session, actor, data, publish=True))
    assert "rimelighedskravet" in errors["employee_rep_statement"]
    # Voksenlærling and IGU are outside the rimelighedskrav.
    igu = editing.create_vacancy(
        session, actor, place(VacancyKind.IGU, employee_rep_statement=False), publish=True
    )
    assert igu.status is S.PENDING_APPROVAL


# --- approval ---------------------------------------------------------------------------------


def test_submitted_place_is_matchable_only_after_approval(
    session: Session, employer, approver
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    assert vacancy.status is S.PENDING_APPROVAL
    assert vacancy.approval_status is ApprovalStatus.PENDING
    assert not is_matchable(session, vacancy.id)
    lifecycle.approve_place(session, approver, vacancy.id)
    assert vacancy.status is S.OPEN and vacancy.approval_status is ApprovalStatus.APPROVED
    assert vacancy.approved_by_id == approver.user_id and vacancy.approved_at is not None
    assert vacancy.published_at is not None
    assert is_matchable(session, vacancy.id)


def test_reject_needs_a_reason_and_the_employer_may_resubmit(
    session: Session, employer, approver
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    errors = errors_of(lambda: lifecycle.reject_place(session, approver, vacancy.id, "  "))
    assert errors == {"reason": "Skriv en begrundelse."}
    errors = errors_of(lambda: lifecycle.reject_place(session, approver, vacancy.id, "x" * 2001))
    assert "2000 tegn" in errors["reason"]
    lifecycle.reject_place(session, approver, vacancy.id, "Formålet er for uklart.")
    assert vacancy.status is S.REJECTED and vacancy.approval_status is ApprovalStatus.REJECTED
    assert vacancy.approval_note == "Formålet er for uklart."
    better = place(purpose="Afprøve truckkørsel og pluk med scanner i fire uger.")
    editing.update_vacancy(session, actor, vacancy.id, better, publish=True)
    assert (
        vacancy.status is S.PENDING_APPROVAL and vacancy.approval_status is ApprovalStatus.PENDING
    )
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.note == "Formålet er for uklart.")
    ).one()
    assert entry.action is AuditAction.UPDATE and entry.details["event"] == "reject"


def test_only_a_jobcentre_approver_approves_and_never_its_own_place(
    session: Session, make: Factory, employer
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    akasse = make.organisation(OrgKind.A_KASSE)
    with pytest.raises(PermissionDenied):
        lifecycle.approve_place(session, actor_for(akasse, Role.APPROVER), vacancy.id)
    with pytest.raises(PermissionDenied):  # the employer itself
        lifecycle.change_status(session, actor, vacancy.id, "approve")
    # A municipality offering a place of its own may not approve it itself.
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    own = editing.create_vacancy(
        session, actor_for(jobcentre, Role.EMPLOYER), place(), publish=True
    )
    with pytest.raises(PermissionDenied):
        lifecycle.approve_place(session, actor_for(jobcentre, Role.APPROVER), own.id)
    assert vacancy.status is S.PENDING_APPROVAL and own.status is S.PENDING_APPROVAL


def test_editing_rule_fields_of_an_approved_place_needs_a_new_approval(
    session: Session, employer, approver
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    lifecycle.approve_place(session, approver, vacancy.id)
    editing.update_vacancy(session, actor, vacancy.id, place(title="Lagerpraktik"))
    assert vacancy.status is S.OPEN and vacancy.approval_status is ApprovalStatus.APPROVED
    for changes in (
        {"duration_weeks": 3},
        {"ordinary_staff_fte": Decimal(20)},
        {"current_subsidised_count": 1},
        {"start_date": TODAY + timedelta(days=40)},
        {"kind": VacancyKind.LOENTILSKUD_PRIVATE},
        {"weekly_hours": Decimal(10)},
        {"purpose": "Noget helt andet end det, der blev godkendt."},
    ):
        data = place(title="Lagerpraktik", **changes)
        editing.update_vacancy(session, actor, vacancy.id, data)
        assert vacancy.status is S.PENDING_APPROVAL, changes
        assert vacancy.approval_status is ApprovalStatus.PENDING and vacancy.approved_at is None
        assert not is_matchable(session, vacancy.id)
        lifecycle.approve_place(session, approver, vacancy.id)
        editing.update_vacancy(session, actor, vacancy.id, data)  # unchanged: stays
        assert vacancy.status is S.OPEN
    assert audit_details(session, vacancy)[-1] == {
        "fields": [],
        "from": "open",
        "to": "open",
        "reapproval": False,
    }


def test_a_vacancy_cannot_become_a_place(session: Session, employer) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary())
    errors = errors_of(lambda: editing.update_vacancy(session, actor, vacancy.id, place()))
    assert "Opret en ny" in errors["kind"]


def test_rimelighedskrav_verdict_does_not_block_submission(session: Session, employer) -> None:
    _org, actor = employer
    data = place(ordinary_staff_fte=Decimal(4), current_subsidised_count=1)
    vacancy = editing.create_vacancy(session, actor, data, publish=True)
    verdict = editing.rimelighedskrav(vacancy)
    assert vacancy.status is S.PENDING_APPROVAL
    assert verdict is not None and not verdict.fulfilled and verdict.capacity == 1


# --- the match job fills a missing occupation -------------------------------------------------


def test_match_job_fills_a_missing_occupation_with_the_hybrid_normaliser(
    session: Session, engine, settings, employer, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.orm import sessionmaker

    from matching.ranking.taxonomy.importer import import_taxonomy
    from tests.factories.vacancies import TINY_TAXONOMY, WAREHOUSE
    from workers import occupation_service, runtime

    import_taxonomy(session, TINY_TAXONOMY)
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, ordinary(title="Lagermand søges"))
    chosen = editing.create_vacancy(
        session, actor, ordinary(title="Kok", esco_uri="http://example.org/occupation/cook")
    )
    session.commit()
    # The worker's sessions join the test's transaction, so everything is rolled back after.
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    fake = settings.with_overrides(encoder="fake", data_dir=tmp_path)
    monkeypatch.setattr(runtime, "_runtime", runtime.Runtime(fake, engine, factory))
    monkeypatch.setattr(occupation_service, "_occupations", None)

    assert occupation_service.fill_vacancy_occupation(vacancy.id) == WAREHOUSE
    session.refresh(vacancy)
    assert vacancy.esco_uri == WAREHOUSE and vacancy.isco_code == "9333"
    assert occupation_service.fill_vacancy_occupation(vacancy.id) is None  # filled: left alone
    assert (
        occupation_service.fill_vacancy_occupation(chosen.id) is None
    )  # the employer's choice stands
    session.refresh(chosen)
    assert chosen.isco_code == "5120"
    system = session.scalars(
        select(AuditEntry).where(AuditEntry.actor_id.is_(None), AuditEntry.object_type == "vacancy")
    ).one()
    assert system.details["occupation"] == WAREHOUSE


def test_a_paused_closed_or_filled_place_is_not_reopened_by_an_edit(
    session: Session, employer, approver
) -> None:
    _org, actor = employer
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    lifecycle.approve_place(session, approver, vacancy.id)
    for event, status in (("pause", S.PAUSED), ("fill", S.FILLED)):
        if vacancy.status is not S.OPEN:
            put_in_state(session, vacancy, S.OPEN)
        lifecycle.change_status(session, actor, vacancy.id, event)
        errors = errors_of(
            lambda: editing.update_vacancy(session, actor, vacancy.id, place(duration_weeks=3))
        )
        assert "Genoptag eller genåbn pladsen" in errors[""]
        assert vacancy.duration_weeks == 4  # nothing was changed
        assert vacancy.status is status and vacancy.approval_status is ApprovalStatus.APPROVED


def test_an_approver_never_approves_a_place_of_an_employer_they_also_work_for(
    session: Session, make: Factory, employer
) -> None:
    org, actor = employer
    jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Dobbeltrolle")
    both = make.user((jobcentre, Role.APPROVER), (org, Role.EMPLOYER))
    vacancy = editing.create_vacancy(session, actor, place(), publish=True)
    as_approver = actor_for(jobcentre, Role.APPROVER, both.id)
    with pytest.raises(PermissionDenied):
        lifecycle.approve_place(session, as_approver, vacancy.id)
    assert vacancy.status is S.PENDING_APPROVAL
