"""Vacancies and company places the acting user may see, and which of them can be matched.

- An employer sees only its own organisation's vacancies and places, in any status.
- Counsellors see open vacancies and company places of confirmed employers; approvers
  (jobcentre) also see the company places waiting for approval. That covers forwarding
  without a rule of its own: a vacancy is forwarded only while it is open, and closing or
  filling it withdraws the forwardings.

Looking up a vacancy outside the actor's scope raises
:class:`~matching.core.errors.OutOfScope` (shown as "not found")."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from matching.accounts.verification import verified_employer
from matching.core.audit import Actor
from matching.core.errors import OutOfScope
from matching.core.paging import DEFAULT_PAGE_SIZE, Page, count_rows, paginate
from matching.core.permissions import APPROVERS, VACANCY_READERS, require_role
from matching.models import (
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.models.enums import ApprovalStatus


def _vacancy_scope(actor: Actor) -> ColumnElement[bool]:
    role = require_role(actor, VACANCY_READERS, "see vacancies")
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
    # Counsellors: open vacancies of employers the jobcentre has confirmed
    # (matching.accounts.verification).
    return and_(Vacancy.status == VacancyStatus.OPEN, verified_employer())


def vacancy_statuses_for(actor: Actor) -> list[VacancyStatus]:
    """The statuses the actor can ever see (to offer as filter choices)."""
    role = require_role(actor, VACANCY_READERS, "see vacancies")
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
    return paginate(session, query, page, per_page)


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
    return count_rows(session, query)


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
    require_role(actor, APPROVERS, "see the approval queue")
    query = (
        select(Vacancy)
        .where(
            Vacancy.status == VacancyStatus.PENDING_APPROVAL,
            Vacancy.kind != VacancyKind.ORDINARY,
        )
        .order_by(Vacancy.created_at, Vacancy.id)
        .options(selectinload(Vacancy.employer), selectinload(Vacancy.p_number))
    )
    return paginate(session, query, page, per_page)


def matchable_vacancy_filter():  # noqa: ANN201 - a SQL expression
    """Open vacancies of confirmed employers, and company places only once the jobcentre has
    approved them."""
    return and_(
        Vacancy.status == VacancyStatus.OPEN,
        or_(
            Vacancy.approval_status == ApprovalStatus.NOT_REQUIRED,
            Vacancy.approval_status == ApprovalStatus.APPROVED,
        ),
        verified_employer(),
    )


def matchable_vacancy_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Vacancy.id).where(matchable_vacancy_filter())))


def is_matchable(session: Session, vacancy_id: int) -> bool:
    return (
        session.scalar(
            select(Vacancy.id).where(Vacancy.id == vacancy_id, matchable_vacancy_filter())
        )
        is not None
    )
