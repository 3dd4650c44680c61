"""Queries scoped to the acting user: what a user in one organisation and role may see.

Every read of jobseekers or vacancies from the portal goes through these functions, so scoping is
the default rather than something each view has to remember. Rules:

- A counsellor (jobrådgiver) sees the jobseekers whose *current* responsibility period
  (``valid_from <= today < valid_to``, open-ended when ``valid_to`` is NULL) belongs to the
  counsellor's organisation.
- An employer sees only its own organisation's vacancies and places, in any status.
- Counsellors see open vacancies and company places; approvers (jobcentre) also see the company
  places waiting for approval. That covers forwarding (matching.forwarding) without a rule of
  its own: a vacancy is forwarded only while it is open, closing or filling it withdraws the
  forwardings, and a receiving organisation's counsellors see the vacancy and, on its candidate
  list, their own people like any other counsellor.

Looking up a single object outside the actor's scope raises :class:`OutOfScope` (a
:class:`~matching.errors.NotFound`): callers cannot tell "does not exist" from "not yours", and
the portal writes an ``ACCESS_DENIED`` audit entry from the exception's fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from matching.audit import Actor
from matching.errors import NotFound, PermissionDenied
from matching.models import (
    CV,
    Handover,
    Jobseeker,
    Match,
    MatchRun,
    Membership,
    Referral,
    ReferralState,
    ResponsibilityPeriod,
    Role,
    TargetGroup,
    TargetGroupPeriod,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.verification import verified_employer

DANISH_TZ = ZoneInfo("Europe/Copenhagen")
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH_CHARS = 100

JOBSEEKER_ROLES = frozenset({Role.COUNSELLOR})
VACANCY_ROLES = frozenset({Role.EMPLOYER, Role.COUNSELLOR, Role.APPROVER})

T = TypeVar("T")


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


class OutOfScope(NotFound):
    """An object the actor may not see (or that does not exist): shown as "not found"."""

    def __init__(
        self,
        object_type: str,
        object_id: int | str,
        *,
        exists: bool,
        jobseeker_id: int | None = None,
    ) -> None:
        self.object_type = object_type
        self.object_id = object_id
        self.exists = exists
        self.jobseeker_id = jobseeker_id
        super().__init__(f"{object_type} {object_id} not found or outside the actor's scope")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items, the total count and the page arithmetic."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first item on this page (0 when the list is empty)."""
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


def today_dk() -> date:
    """Today's date in Denmark: responsibility and target group periods are Danish dates."""
    return datetime.now(DANISH_TZ).date()


def _require_role(actor: Actor, allowed: frozenset[Role]) -> Role:
    try:
        role = Role(actor.role) if actor.role else None
    except ValueError:
        role = None
    if role is None or role not in allowed or actor.organisation_id is None:
        raise PermissionDenied(f"role {actor.role!r} may not do this")
    return role


def _paginate(session: Session, query: Select, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- Jobseekers ------------------------------------------------------------------------------


def _responsible_now(organisation_id: int, today: date) -> ColumnElement[bool]:
    """The jobseeker's current responsibility period belongs to ``organisation_id``."""
    return exists().where(
        ResponsibilityPeriod.jobseeker_id == Jobseeker.id,
        ResponsibilityPeriod.organisation_id == organisation_id,
        ResponsibilityPeriod.valid_from <= today,
        or_(ResponsibilityPeriod.valid_to.is_(None), ResponsibilityPeriod.valid_to > today),
    )


def _target_group_now(target_group: TargetGroup, today: date) -> ColumnElement[bool]:
    return exists().where(
        TargetGroupPeriod.jobseeker_id == Jobseeker.id,
        TargetGroupPeriod.target_group == target_group,
        TargetGroupPeriod.valid_from <= today,
        or_(TargetGroupPeriod.valid_to.is_(None), TargetGroupPeriod.valid_to > today),
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
    _require_role(actor, JOBSEEKER_ROLES)
    assert actor.organisation_id is not None
    today = today or today_dk()
    query = select(Jobseeker).where(
        Jobseeker.active.is_(True), _responsible_now(actor.organisation_id, today)
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
    return _paginate(session, query, page, per_page)


def caseload_count(session: Session, actor: Actor, *, today: date | None = None) -> int:
    """How many active jobseekers the actor's organisation is currently responsible for."""
    query = visible_jobseekers_query(actor, today=today).order_by(None)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def newest_jobseekers(
    session: Session, actor: Actor, *, limit: int = 5, today: date | None = None
) -> Sequence[Jobseeker]:
    """The most recently registered jobseekers in the actor's caseload."""
    return session.scalars(visible_jobseekers_query(actor, today=today).limit(limit)).all()


def get_jobseeker_for(
    session: Session, actor: Actor, jobseeker_id: int, *, today: date | None = None
) -> Jobseeker:
    """The jobseeker with its CV, if the actor's organisation is currently responsible.

    Raises :class:`OutOfScope` (404) otherwise, whether or not the jobseeker exists.
    """
    _require_role(actor, JOBSEEKER_ROLES)
    assert actor.organisation_id is not None
    today = today or today_dk()
    jobseeker = session.scalar(
        select(Jobseeker)
        .where(Jobseeker.id == jobseeker_id, _responsible_now(actor.organisation_id, today))
        .options(
            *full_cv_options(),
            selectinload(Jobseeker.target_groups),
            selectinload(Jobseeker.responsibilities).selectinload(
                ResponsibilityPeriod.organisation
            ),
        )
    )
    if jobseeker is None:
        found = session.get(Jobseeker, jobseeker_id) is not None
        raise OutOfScope(
            "jobseeker",
            jobseeker_id,
            exists=found,
            jobseeker_id=jobseeker_id if found else None,
        )
    return jobseeker


# --- Vacancies and company places -------------------------------------------------------------


def _vacancy_scope(actor: Actor) -> ColumnElement[bool]:
    role = _require_role(actor, VACANCY_ROLES)
    if role is Role.EMPLOYER:
        return Vacancy.employer_id == actor.organisation_id
    if role is Role.APPROVER:
        return or_(
            Vacancy.status == VacancyStatus.OPEN,
            and_(
                Vacancy.status == VacancyStatus.PENDING_APPROVAL,
                Vacancy.kind != VacancyKind.ORDINARY,
            ),
        )
    # Counsellors: open vacancies of employers the jobcentre has confirmed (matching.verification).
    return and_(Vacancy.status == VacancyStatus.OPEN, verified_employer())


def vacancy_statuses_for(actor: Actor) -> list[VacancyStatus]:
    """The statuses the actor can ever see (to offer as filter choices)."""
    role = _require_role(actor, VACANCY_ROLES)
    if role is Role.EMPLOYER:
        return list(VacancyStatus)
    if role is Role.APPROVER:
        return [VacancyStatus.OPEN, VacancyStatus.PENDING_APPROVAL]
    return [VacancyStatus.OPEN]


def visible_vacancies_query(
    actor: Actor,
    *,
    kind: VacancyKind | None = None,
    status: VacancyStatus | None = None,
) -> Select[tuple[Vacancy]]:
    """Vacancies and places the actor may see, newest first."""
    query = select(Vacancy).where(_vacancy_scope(actor))
    if kind is not None:
        query = query.where(Vacancy.kind == kind)
    if status is not None:
        query = query.where(Vacancy.status == status)
    return query.order_by(Vacancy.created_at.desc(), Vacancy.id.desc())


def visible_vacancies(
    session: Session,
    actor: Actor,
    *,
    kind: VacancyKind | None = None,
    status: VacancyStatus | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
) -> Page[Vacancy]:
    """One page of the vacancies and places the actor may see."""
    query = visible_vacancies_query(actor, kind=kind, status=status).options(
        selectinload(Vacancy.employer)
    )
    return _paginate(session, query, page, per_page)


def count_vacancies(
    session: Session,
    actor: Actor,
    *,
    kind: VacancyKind | None = None,
    status: VacancyStatus | None = None,
    company_places_only: bool = False,
) -> int:
    """Count the visible vacancies (optionally one kind/status, or company places only)."""
    query = visible_vacancies_query(actor, kind=kind, status=status).order_by(None)
    if company_places_only:
        query = query.where(Vacancy.kind != VacancyKind.ORDINARY)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def get_vacancy_for(session: Session, actor: Actor, vacancy_id: int) -> Vacancy:
    """The vacancy, if the actor may see it; raises :class:`OutOfScope` (404) otherwise."""
    vacancy = session.scalar(
        select(Vacancy)
        .where(Vacancy.id == vacancy_id, _vacancy_scope(actor))
        .options(selectinload(Vacancy.employer), selectinload(Vacancy.p_number))
    )
    if vacancy is None:
        found = session.get(Vacancy, vacancy_id) is not None
        raise OutOfScope("vacancy", vacancy_id, exists=found)
    return vacancy


def vacancy_counts_by_employer(session: Session, employer_ids: Sequence[int]) -> dict[int, int]:
    """Number of vacancies and places per employer (one grouped query)."""
    if not employer_ids:
        return {}
    rows = session.execute(
        select(Vacancy.employer_id, func.count())
        .where(Vacancy.employer_id.in_(employer_ids))
        .group_by(Vacancy.employer_id)
    )
    return {employer_id: count for employer_id, count in rows}


def open_vacancy_ids_of(session: Session, employer_id: int) -> list[int]:
    """The employer's open vacancies and places (to compute their lists once it is confirmed)."""
    return list(
        session.scalars(
            select(Vacancy.id)
            .where(Vacancy.employer_id == employer_id, Vacancy.status == VacancyStatus.OPEN)
            .order_by(Vacancy.id)
        )
    )


def pending_places(
    session: Session, actor: Actor, *, page: int = 1, per_page: int = DEFAULT_PAGE_SIZE
) -> Page[Vacancy]:
    """Company places waiting for a jobcentre's approval, oldest first (approvers only)."""
    _require_role(actor, frozenset({Role.APPROVER}))
    query = (
        select(Vacancy)
        .where(
            Vacancy.status == VacancyStatus.PENDING_APPROVAL,
            Vacancy.kind != VacancyKind.ORDINARY,
        )
        .order_by(Vacancy.created_at, Vacancy.id)
        .options(selectinload(Vacancy.employer), selectinload(Vacancy.p_number))
    )
    return _paginate(session, query, page, per_page)


def referred_counts(session: Session, actor: Actor, vacancy_ids: Sequence[int]) -> dict[int, int]:
    """Referrals sent to each of the employer's own vacancies, in one grouped query (a
    proposal not yet sent stays internal; other employers' vacancies count nothing)."""
    _require_role(actor, frozenset({Role.EMPLOYER}))
    if not vacancy_ids:
        return {}
    rows = session.execute(
        select(Referral.vacancy_id, func.count())
        .join(Vacancy, Vacancy.id == Referral.vacancy_id)
        .where(
            Referral.vacancy_id.in_(vacancy_ids),
            Referral.state != ReferralState.PROPOSED,
            Vacancy.employer_id == actor.organisation_id,
        )
        .group_by(Referral.vacancy_id)
    )
    return {vacancy_id: count for vacancy_id, count in rows}


# --- Match lists ------------------------------------------------------------------------------

CANDIDATE_PAGE_SIZE = 25


@dataclass(frozen=True)
class CandidateList:
    """The part of a vacancy's stored candidate list the actor may see, and what is hidden."""

    vacancy: Vacancy
    page: Page[Match]
    run: MatchRun | None  # None: the list has not been computed yet
    elsewhere: int  # listed candidates another organisation is responsible for


def candidate_list_for(
    session: Session,
    actor: Actor,
    vacancy_id: int,
    *,
    page: int = 1,
    per_page: int = CANDIDATE_PAGE_SIZE,
    today: date | None = None,
) -> CandidateList:
    """A counsellor's view of the stored candidate list: only people their organisation is
    responsible for today, in list order, with the number of listed people it is not.

    The vacancy must be visible to the actor (404 otherwise). Reads stored rows only: the
    list is computed by the worker, never while the counsellor waits.
    """
    _require_role(actor, JOBSEEKER_ROLES)
    assert actor.organisation_id is not None
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    today = today or today_dk()
    # A list holds at most a few hundred people: read its order, keep the actor's people, and
    # load only the page. (A join with the responsibility periods made PostgreSQL hash every
    # period of a large organisation on each page view.)
    listed = session.execute(
        select(Match.id, Match.jobseeker_id)
        .where(Match.vacancy_id == vacancy_id, Match.rank.is_not(None))
        .order_by(Match.rank)
    ).all()
    people = [jobseeker_id for _, jobseeker_id in listed]
    responsible = (
        set(
            session.scalars(
                select(ResponsibilityPeriod.jobseeker_id).where(
                    ResponsibilityPeriod.jobseeker_id.in_(people),
                    ResponsibilityPeriod.organisation_id == actor.organisation_id,
                    ResponsibilityPeriod.valid_from <= today,
                    or_(
                        ResponsibilityPeriod.valid_to.is_(None),
                        ResponsibilityPeriod.valid_to > today,
                    ),
                )
            )
        )
        if people
        else set()
    )
    mine = [match_id for match_id, jobseeker_id in listed if jobseeker_id in responsible]
    pages = max(1, math.ceil(len(mine) / per_page))
    page = min(max(1, page), pages)
    shown = mine[(page - 1) * per_page : page * per_page]
    by_id = {
        m.id: m
        for m in session.scalars(
            select(Match).where(Match.id.in_(shown)).options(selectinload(Match.jobseeker))
        )
    }
    result = Page(items=[by_id[i] for i in shown], total=len(mine), page=page, per_page=per_page)
    total = len(listed)
    run = session.scalar(
        select(MatchRun).where(
            MatchRun.subject_kind == "vacancy", MatchRun.subject_id == vacancy_id
        )
    )
    return CandidateList(vacancy, result, run, total - result.total)


PERSON_SUGGESTIONS = 10


def suggestions_for(
    session: Session, actor: Actor, jobseeker_id: int, *, limit: int = PERSON_SUGGESTIONS
) -> Sequence[Match]:
    """The top of a person's stored list of vacancies and places, for their counsellor.

    Only vacancies the actor may see and that are still matchable are shown; the person must
    be in the actor's caseload (raises :class:`OutOfScope` otherwise).
    """
    get_jobseeker_for(session, actor, jobseeker_id)
    return session.scalars(
        select(Match)
        .join(Vacancy, Vacancy.id == Match.vacancy_id)
        .where(
            Match.jobseeker_id == jobseeker_id,
            Match.person_rank.is_not(None),
            _vacancy_scope(actor),
        )
        .order_by(Match.person_rank)
        .limit(limit)
        .options(selectinload(Match.vacancy).selectinload(Vacancy.employer))
    ).all()


def referrals_for_employer(session: Session, actor: Actor, vacancy_id: int) -> list[Referral]:
    """Referrals sent to the employer's own vacancy (a proposal not yet sent stays internal).

    Raises :class:`OutOfScope` for another employer's vacancy.
    """
    role = _require_role(actor, frozenset({Role.EMPLOYER}))
    assert role is Role.EMPLOYER
    vacancy = get_vacancy_for(session, actor, vacancy_id)
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.vacancy_id == vacancy.id, Referral.state != ReferralState.PROPOSED)
            .order_by(Referral.id)
            .options(
                selectinload(Referral.organisation),
                *(
                    selectinload(Referral.jobseeker).selectinload(Jobseeker.cv).selectinload(rel)
                    for rel in (
                        CV.experiences,
                        CV.educations,
                        CV.skills,
                        CV.languages,
                        CV.driving_licences,
                    )
                ),
            )
        )
    )


def get_referral_for_employer(session: Session, actor: Actor, referral_id: int) -> Referral:
    """One sent referral to the actor's own vacancy; :class:`OutOfScope` otherwise."""
    _require_role(actor, frozenset({Role.EMPLOYER}))
    referral = session.scalar(
        select(Referral)
        .join(Vacancy, Vacancy.id == Referral.vacancy_id)
        .where(
            Referral.id == referral_id,
            Referral.state != ReferralState.PROPOSED,
            Vacancy.employer_id == actor.organisation_id,
        )
    )
    if referral is None:
        raise OutOfScope(
            "referral", referral_id, exists=session.get(Referral, referral_id) is not None
        )
    return referral


def referrals_for_jobseeker(session: Session, actor: Actor, jobseeker_id: int) -> list[Referral]:
    """A person's referrals, newest first, for a counsellor whose organisation is responsible
    for the person now (referrals follow the person, not the organisation that made them).

    Raises :class:`OutOfScope` for a person outside the caseload.
    """
    person = get_jobseeker_for(session, actor, jobseeker_id)
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.jobseeker_id == person.id)
            .order_by(Referral.id.desc())
            .options(
                selectinload(Referral.vacancy).selectinload(Vacancy.employer),
                selectinload(Referral.organisation),
                selectinload(Referral.events),
            )
        )
    )


def get_referral_for_counsellor(
    session: Session, actor: Actor, jobseeker_id: int, referral_id: int
) -> Referral:
    """One referral of a person in the actor's caseload; :class:`OutOfScope` otherwise."""
    person = get_jobseeker_for(session, actor, jobseeker_id)
    referral = session.scalar(
        select(Referral).where(Referral.id == referral_id, Referral.jobseeker_id == person.id)
    )
    if referral is None:
        raise OutOfScope(
            "referral",
            referral_id,
            exists=session.get(Referral, referral_id) is not None,
            jobseeker_id=person.id,
        )
    return referral


# --- Organisation -----------------------------------------------------------------------------


def organisation_member_count(session: Session, actor: Actor) -> int:
    """Number of distinct users with a role in the actor's organisation."""
    if actor.organisation_id is None:
        raise PermissionDenied("no organisation")
    return (
        session.scalar(
            select(func.count(func.distinct(Membership.user_id))).where(
                Membership.organisation_id == actor.organisation_id
            )
        )
        or 0
    )


# --- Handovers --------------------------------------------------------------------------------

HANDOVER_LIST_DAYS = 90


def handovers_for_jobseeker(session: Session, actor: Actor, jobseeker_id: int) -> list[Handover]:
    """Every handover of a person, newest first, for a counsellor whose organisation is
    responsible for the person now (the notes follow the person, like the referrals).

    Raises :class:`OutOfScope` for a person outside the caseload.
    """
    person = get_jobseeker_for(session, actor, jobseeker_id)
    return list(
        session.scalars(
            select(Handover)
            .where(Handover.jobseeker_id == person.id)
            .order_by(Handover.effective_date.desc(), Handover.id.desc())
            .options(
                selectinload(Handover.from_organisation), selectinload(Handover.to_organisation)
            )
        )
    )


def handovers_from_organisation(
    session: Session,
    actor: Actor,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PAGE_SIZE,
    today: date | None = None,
    days: int = HANDOVER_LIST_DAYS,
) -> Page[Handover]:
    """The handovers *from* the actor's organisation in the last ``days`` days, newest first.

    The organisation is no longer responsible for these people: only the pseudonym is loaded
    with each row (no name, no CV), and the note stays with the receiving organisation.
    """
    _require_role(actor, JOBSEEKER_ROLES)
    today = today or today_dk()
    query = (
        select(Handover)
        .where(
            Handover.from_organisation_id == actor.organisation_id,
            Handover.effective_date >= today - timedelta(days=days),
        )
        .order_by(Handover.effective_date.desc(), Handover.id.desc())
        .options(
            selectinload(Handover.jobseeker).load_only(Jobseeker.id, Jobseeker.pseudonym),
            selectinload(Handover.to_organisation),
        )
    )
    return _paginate(session, query, page, per_page)
