"""Who answers for a person's data: the caseload today, and, after the person has left the
register, the organisation responsible last; the list of the people who have left."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import OutOfScope, PermissionDenied
from matching.core.settings import Settings
from matching.intake.rights import left_register_since
from matching.models import ExitReason, Jobseeker, OrgKind, ResponsibilityPeriod, Role, utcnow
from matching.people.queries import get_jobseeker_answered_for, people_who_left
from matching.rules.retention import RetentionSubject, is_due, period_for
from tests.factories import Factory

TODAY = today_dk()


def counsellor_of(make: Factory, org) -> Actor:  # noqa: ANN001
    user = make.user((org, Role.COUNSELLOR))
    return Actor(user.id, org.id, Role.COUNSELLOR.value)


def leave(person: Jobseeker, left_on: date, reason: ExitReason = ExitReason.JOB) -> None:
    """As the exit does: inactive, and the responsibility period closed the day after."""
    person.active, person.left_on, person.exit_reason = False, left_on, reason
    for period in person.responsibilities:
        if period.valid_to is None or period.valid_to > left_on:
            period.valid_to = left_on + timedelta(days=1)


def test_a_person_who_left_is_answered_for_by_the_organisation_responsible_last(
    session: Session, make: Factory
) -> None:
    odense = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    aarhus = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Aarhus")
    person = make.jobseeker(odense, responsible_from=TODAY - timedelta(days=200))
    # handed over to Aarhus, who took the person off the register
    person.responsibilities[0].valid_to = TODAY - timedelta(days=100)
    person.responsibilities.append(
        ResponsibilityPeriod(
            organisation=aarhus, valid_from=TODAY - timedelta(days=100), reason="flytning"
        )
    )
    leave(person, TODAY - timedelta(days=10))
    session.flush()
    odense_actor, aarhus_actor = counsellor_of(make, odense), counsellor_of(make, aarhus)

    assert get_jobseeker_answered_for(session, aarhus_actor, person.id) is person
    with pytest.raises(OutOfScope) as caught:
        get_jobseeker_answered_for(session, odense_actor, person.id)
    assert caught.value.exists
    with pytest.raises(OutOfScope) as unknown:
        get_jobseeker_answered_for(session, aarhus_actor, person.id + 10_000)
    assert not unknown.value.exists
    since = TODAY - timedelta(days=30)
    assert people_who_left(session, aarhus_actor, left_since=since).items == [person]
    assert people_who_left(session, odense_actor, left_since=since).items == []


def test_a_person_still_registered_is_answered_for_only_while_responsible(
    session: Session, make: Factory
) -> None:
    odense = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    aarhus = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Aarhus")
    person = make.jobseeker(odense, responsible_from=TODAY - timedelta(days=200))
    person.responsibilities[0].valid_to = TODAY - timedelta(days=5)
    person.responsibilities.append(
        ResponsibilityPeriod(organisation=aarhus, valid_from=TODAY - timedelta(days=5), reason="x")
    )
    session.flush()
    with pytest.raises(OutOfScope):  # handed over, still registered: Aarhus's case now
        get_jobseeker_answered_for(session, counsellor_of(make, odense), person.id)
    assert get_jobseeker_answered_for(session, counsellor_of(make, aarhus), person.id) is person


def test_the_list_of_people_who_left_is_newest_first_and_leaves_out_the_anonymised(
    session: Session, make: Factory
) -> None:
    odense = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    actor = counsellor_of(make, odense)
    make.jobseeker(odense)  # still registered
    since = TODAY - timedelta(days=500)
    early, late, old, erased = (make.jobseeker(odense, responsible_from=since) for _ in range(4))
    leave(early, TODAY - timedelta(days=40), ExitReason.EDUCATION)
    leave(late, TODAY - timedelta(days=2))
    leave(old, TODAY - timedelta(days=400))
    leave(erased, TODAY - timedelta(days=3))
    erased.anonymised_at = utcnow()
    session.flush()

    page = people_who_left(session, actor, left_since=TODAY - timedelta(days=365))
    assert page.items == [late, early] and page.total == 2


def test_only_counsellors_list_people_who_left(session: Session, make: Factory) -> None:
    company = make.organisation(OrgKind.EMPLOYER, "Fynsk Lager ApS")
    employer = Actor(make.user((company, Role.EMPLOYER)).id, company.id, Role.EMPLOYER.value)
    with pytest.raises(PermissionDenied):
        people_who_left(session, employer, left_since=TODAY)


@pytest.mark.parametrize("months", [None, 1, 7])
def test_left_register_since_is_the_first_exit_day_still_kept(
    settings: Settings, months: int | None
) -> None:
    from dataclasses import replace

    from matching.intake.rights import retention_overrides

    chosen = replace(settings, retention_left_months=months)
    overrides = retention_overrides(chosen)
    for today in (TODAY, date(2025, 3, 31), date(2024, 2, 29)):
        since = left_register_since(chosen, today)
        period_for(RetentionSubject.LEFT_REGISTER, today, overrides)  # a rule is in force
        assert not is_due(RetentionSubject.LEFT_REGISTER, since, today, overrides)
        assert is_due(RetentionSubject.LEFT_REGISTER, since - timedelta(days=1), today, overrides)
