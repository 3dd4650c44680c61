"""An approver's approve and reject of one place at the same moment, with real commits on two
connections: exactly one decision wins, the other is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import InvalidTransition, ValidationError
from matching.core.security import hash_password
from matching.models import (
    OrgKind,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    WorkflowEvent,
)
from matching.vacancies import lifecycle
from tests.factories import PASSWORD, Factory


def test_approve_and_reject_at_once_one_wins(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed, expire_on_commit=False) as setup:
        make = Factory(setup, hash_password(PASSWORD))
        jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
        approver = make.user((jobcentre, Role.APPROVER))
        employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
        place = make.vacancy(
            employer, kind=VacancyKind.VIRKSOMHEDSPRAKTIK, status=VacancyStatus.PENDING_APPROVAL
        )
        place.ordinary_staff_fte = 12.5
        place.current_subsidised_count = 0
        place.employee_rep_statement = True
        place.duration_weeks = 4
        place.purpose = "Afklare om lagerarbejde passer."
        place.start_date = today_dk() + timedelta(days=30)
        setup.commit()
    actor = Actor(user_id=approver.id, organisation_id=jobcentre.id, role="approver")

    # Both decisions have read the pending place before either writes (two tabs, one click).
    both_read = threading.Barrier(2, timeout=10)
    read = lifecycle.get_vacancy_for

    def read_then_wait(*args: object) -> Vacancy:
        vacancy = read(*args)
        both_read.wait()
        return vacancy

    monkeypatch.setattr(lifecycle, "get_vacancy_for", read_then_wait)
    outcomes: dict[str, str] = {}

    def decide(decision: str) -> None:
        with Session(committed) as request:
            try:
                if decision == "approve":
                    lifecycle.approve_place(request, actor, place.id)
                else:
                    lifecycle.reject_place(request, actor, place.id, "Formålet er uklart.")
                request.commit()
                outcomes[decision] = "won"
            except (ValidationError, InvalidTransition) as exc:
                request.rollback()
                outcomes[decision] = type(exc).__name__

    threads = [threading.Thread(target=decide, args=(d,)) for d in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["VacancyChanged", "won"], outcomes
    winner = next(d for d, outcome in outcomes.items() if outcome == "won")
    with Session(committed) as check:
        stored = check.get(Vacancy, place.id)
        assert stored.status is (
            VacancyStatus.OPEN if winner == "approve" else VacancyStatus.REJECTED
        )
        decisions = check.scalar(
            select(func.count())
            .select_from(WorkflowEvent)
            .where(
                WorkflowEvent.vacancy_id == place.id, WorkflowEvent.event.in_(["approve", "reject"])
            )
        )
    assert decisions == 1
