"""The caseload: the people a counsellor's organisation is responsible for today; and the
people it answers for after they left the register (the organisation responsible last, for
their rights: the data export and erasure).

Looking up a person outside the caseload raises :class:`~matching.core.errors.OutOfScope`
(shown as "not found", audited by the portal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import OutOfScope
from matching.core.paging import DEFAULT_PAGE_SIZE, Page, count_rows, paginate
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    CV,
    Jobseeker,
    ResponsibilityPeriod,
    TargetGroup,
    TargetGroupPeriod,
)

MAX_SEARCH_CHARS = 100


def full_cv_options() -> list:
    """Loader options that fetch a jobseeker's whole CV in a few queries (no lazy loads)."""
    relations = (
        CV.experiences,
        CV.educations,
        CV.skills,
        CV.languages,
        CV.driving_licences,
        CV.desired_occupations,
    )
    return [selectinload(Jobseeker.cv).selectinload(relation) for relation in relations]


def responsible_on(
    organisation_id: int, day: date, person: ColumnElement[int] | None = None
) -> ColumnElement[bool]:
    """SQL: ``organisation_id`` is responsible on ``day`` for the person ``person`` points at
    (a jobseeker id column: :attr:`Jobseeker.id` unless given, e.g. ``Match.jobseeker_id``)."""
    return exists().where(
        ResponsibilityPeriod.jobseeker_id == (Jobseeker.id if person is None else person),
        ResponsibilityPeriod.organisation_id == organisation_id,
        ResponsibilityPeriod.valid_on(day),
    )


def responsible_last(
    organisation_id: int, person: ColumnElement[int] | None = None
) -> ColumnElement[bool]:
    """SQL: ``organisation_id`` holds the person's latest responsibility period (the one that
    began last; of two that began the same day, the later row)."""
    later = aliased(ResponsibilityPeriod)
    return exists().where(
        ResponsibilityPeriod.jobseeker_id == (Jobseeker.id if person is None else person),
        ResponsibilityPeriod.organisation_id == organisation_id,
        ~exists().where(
            later.jobseeker_id == ResponsibilityPeriod.jobseeker_id,
            or_(
                later.valid_from > ResponsibilityPeriod.valid_from,
                and_(
                    later.valid_from == ResponsibilityPeriod.valid_from,
                    later.id > ResponsibilityPeriod.id,
                ),
            ),
        ),
    )


def answers_for(organisation_id: int, day: date) -> ColumnElement[bool]:
    """SQL: ``organisation_id`` answers for the person's data on ``day``: it is responsible
    for them, or, for a person who has left the register, it was responsible last."""
    return or_(
        responsible_on(organisation_id, day),
        and_(Jobseeker.active.is_(False), responsible_last(organisation_id)),
    )


def _target_group_now(target_group: TargetGroup, today: date) -> ColumnElement[bool]:
    return exists().where(
        TargetGroupPeriod.jobseeker_id == Jobseeker.id,
        TargetGroupPeriod.target_group == target_group,
        TargetGroupPeriod.valid_on(today),
    )


def _jobseeker_search(text: str) -> ColumnElement[bool]:
    """Case-insensitive match on first/last/full name or pseudonym; prefix on postal code."""
    needle = text.strip()[:MAX_SEARCH_CHARS].lower()
    full_name = func.lower(Jobseeker.first_name + " " + Jobseeker.last_name)
    conditions = [
        full_name.contains(needle, autoescape=True),
        func.lower(Jobseeker.pseudonym).contains(needle, autoescape=True),
    ]
    if needle.isdigit():
        conditions.append(Jobseeker.postal_code.startswith(needle, autoescape=True))
    return or_(*conditions)


def visible_jobseekers_query(
    actor: Actor,
    *,
    search: str | None = None,
    target_group: TargetGroup | None = None,
    today: date | None = None,
) -> Select[tuple[Jobseeker]]:
    """The actor's caseload as a query (active jobseekers, newest first)."""
    require_role(actor, COUNSELLORS, "see jobseekers")
    assert actor.organisation_id is not None
    today = today or today_dk()
    query = select(Jobseeker).where(
        Jobseeker.active.is_(True), responsible_on(actor.organisation_id, today)
    )
    if search and search.strip():
        query = query.where(_jobseeker_search(search))
    if target_group is not None:
        query = query.where(_target_group_now(target_group, today))
    return query.order_by(Jobseeker.created_at.desc(), Jobseeker.id.desc())


def visible_jobseekers(
    session: Session,
    actor: Actor,
    *,
    search: str | None = None,
    target_group: TargetGroup | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
    today: date | None = None,
) -> Page[Jobseeker]:
    """One page of the actor's caseload, optionally searched and filtered by target group.

    A page number past the end is clamped to the last page.
    """
    query = visible_jobseekers_query(
        actor, search=search, target_group=target_group, today=today
    ).options(selectinload(Jobseeker.target_groups), selectinload(Jobseeker.responsibilities))
    return paginate(session, query, page, per_page)


def caseload_count(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """How many active jobseekers the actor's organisation is currently responsible for."""
    query = visible_jobseekers_query(actor, today=today).order_by(None)
    return count_rows(session, query)


def newest_jobseekers(
    session: Session, actor: Actor, *, limit: int = 5, today: date | None = None
) -> Sequence[Jobseeker]:
    """The most recently registered jobseekers in the actor's caseload."""
    return session.scalars(visible_jobseekers_query(actor, today=today).limit(limit)).all()


def require_in_caseload(
    session: Session, actor: Actor, jobseeker_id: int, *, today: date | None = None
) -> int:
    """``jobseeker_id``, if the actor's organisation is currently responsible for the person
    (the check of :func:`get_jobseeker_for` without loading the CV).

    Raises :class:`OutOfScope` (404) otherwise, whether or not the jobseeker exists.
    """
    require_role(actor, COUNSELLORS, "see jobseekers")
    assert actor.organisation_id is not None
    found = session.scalar(
        select(Jobseeker.id).where(
            Jobseeker.id == jobseeker_id,
            responsible_on(actor.organisation_id, today or today_dk()),
        )
    )
    if found is None:
        raise _out_of_scope(session, jobseeker_id)
    return found


def get_jobseeker_for(
    session: Session, actor: Actor, jobseeker_id: int, *, today: date | None = None
) -> Jobseeker:
    """The jobseeker with its CV, if the actor's organisation is currently responsible.

    Raises :class:`OutOfScope` (404) otherwise, whether or not the jobseeker exists.
    """
    require_role(actor, COUNSELLORS, "see jobseekers")
    assert actor.organisation_id is not None
    today = today or today_dk()
    jobseeker = session.scalar(
        select(Jobseeker)
        .where(Jobseeker.id == jobseeker_id, responsible_on(actor.organisation_id, today))
        .options(
            *full_cv_options(),
            selectinload(Jobseeker.target_groups),
            selectinload(Jobseeker.responsibilities).selectinload(
                ResponsibilityPeriod.organisation
            ),
        )
    )
    if jobseeker is None:
        raise _out_of_scope(session, jobseeker_id)
    return jobseeker


def _out_of_scope(session: Session, jobseeker_id: int) -> OutOfScope:
    found = session.get(Jobseeker, jobseeker_id) is not None
    return OutOfScope(
        "jobseeker", jobseeker_id, exists=found, jobseeker_id=jobseeker_id if found else None
    )


def get_jobseeker_answered_for(
    session: Session, actor: Actor, jobseeker_id: int, *, today: date | None = None
) -> Jobseeker:
    """The person, if the actor's organisation answers for their data (:func:`answers_for`):
    the caseload, and the people it was responsible for last who have left the register.

    Raises :class:`OutOfScope` (404) otherwise, whether or not the jobseeker exists.
    """
    require_role(actor, COUNSELLORS, "see jobseekers")
    assert actor.organisation_id is not None
    jobseeker = session.scalar(
        select(Jobseeker)
        .where(
            Jobseeker.id == jobseeker_id, answers_for(actor.organisation_id, today or today_dk())
        )
        .options(selectinload(Jobseeker.responsibilities))
    )
    if jobseeker is None:
        raise _out_of_scope(session, jobseeker_id)
    return jobseeker


def people_who_left(
    session: Session,
    actor: Actor,
    *,
    left_since: date,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
) -> Page[Jobseeker]:
    """One page of the people who left the register on ``left_since`` or later and whose
    last responsibility period was the actor's organisation's, latest exit first; people
    whose data has been anonymised are not listed (there is nothing left to show)."""
    require_role(actor, COUNSELLORS, "see jobseekers")
    assert actor.organisation_id is not None
    query = (
        select(Jobseeker)
        .where(
            Jobseeker.active.is_(False),
            Jobseeker.left_on.is_not(None),
            Jobseeker.left_on >= left_since,
            Jobseeker.anonymised_at.is_(None),
            responsible_last(actor.organisation_id),
        )
        .order_by(Jobseeker.left_on.desc(), Jobseeker.id.desc())
    )
    return paginate(session, query, page, per_page)
