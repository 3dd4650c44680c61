"""Stored match lists as a counsellor may see them: a vacancy's candidates (only the
people the counsellor's organisation is responsible for) and a person's suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.paging import Page, clamp_page
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    Match,
    MatchRun,
    ResponsibilityPeriod,
    Vacancy,
)
from matching.people.queries import require_in_caseload
from matching.vacancies.queries import _vacancy_scope, get_vacancy_for

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
    require_role(actor, COUNSELLORS, "see jobseekers")
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
                    ResponsibilityPeriod.valid_on(today),
                )
            )
        )
        if people
        else set()
    )
    mine = [match_id for match_id, jobseeker_id in listed if jobseeker_id in responsible]
    page = clamp_page(page, len(mine), per_page)
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
    require_in_caseload(session, actor, jobseeker_id)
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
