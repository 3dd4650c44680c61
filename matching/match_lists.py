"""Reading ranking features from the database and storing computed match lists.

Features are read with a handful of set-based queries per list (no ORM object graphs), so a
list of several hundred candidates is read in a few milliseconds on PostgreSQL. Storing a list
replaces it in one transaction: a reader sees the old list or the new one, never a mix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from matching import eligibility
from matching.models import (
    CV,
    CVDesiredOccupation,
    CVDrivingLicence,
    CVEducation,
    CVExperience,
    CVSkill,
    Jobseeker,
    Match,
    MatchRun,
    Organisation,
    Referral,
    ReferralState,
    TargetGroupPeriod,
    Vacancy,
    VacancyStatus,
    utcnow,
)
from matching.models.enums import ApprovalStatus
from matching.ranking import (
    CandidateFeatures,
    Desired,
    Experience,
    RankedList,
    VacancyFeatures,
)

OPEN_REFERRAL_STATES = (ReferralState.PROPOSED, ReferralState.SENT, ReferralState.INTERVIEW)
IN_CLAUSE_BATCH = 5_000


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CLAUSE_BATCH):
        yield ordered[start : start + IN_CLAUSE_BATCH]


def matchable_vacancy_filter():  # noqa: ANN201 - a SQL expression
    """Open vacancies, and company places only once the jobcentre has approved them."""
    return and_(
        Vacancy.status == VacancyStatus.OPEN,
        or_(
            Vacancy.approval_status == ApprovalStatus.NOT_REQUIRED,
            Vacancy.approval_status == ApprovalStatus.APPROVED,
        ),
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


def load_vacancy_features(session: Session, ids: Collection[int]) -> dict[int, VacancyFeatures]:
    """Ranking features of vacancies and places, by id (missing ids are left out)."""
    found: dict[int, VacancyFeatures] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                Vacancy.id,
                Vacancy.kind,
                Vacancy.title,
                Vacancy.postal_code,
                Organisation.name,
                Vacancy.isco_code,
                Vacancy.industry,
                Vacancy.description,
                Vacancy.requirements,
                Vacancy.duration_weeks,
                Vacancy.start_date,
                Vacancy.weekly_hours,
            )
            .join(Organisation, Organisation.id == Vacancy.employer_id)
            .where(Vacancy.id.in_(chunk))
        )
        for row in rows:
            found[row.id] = VacancyFeatures(
                id=row.id,
                kind=row.kind,
                title=row.title,
                postal_code=row.postal_code,
                employer_name=row.name,
                isco_code=row.isco_code,
                industry=row.industry,
                description=row.description or "",
                requirements=row.requirements or "",
                duration_weeks=row.duration_weeks,
                start_date=row.start_date,
                weekly_hours=float(row.weekly_hours) if row.weekly_hours is not None else None,
            )
    return found


def load_commute_facts(
    session: Session, ids: Collection[int]
) -> dict[int, tuple[str | None, int, bool]]:
    """(postal code, max commute km, active and searchable) per person: the cheap first filter."""
    found: dict[int, tuple[str | None, int, bool]] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                Jobseeker.id,
                Jobseeker.postal_code,
                Jobseeker.max_commute_km,
                Jobseeker.active,
                CV.searchable,
            )
            .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
            .where(Jobseeker.id.in_(chunk))
        )
        for row in rows:
            found[row.id] = (
                row.postal_code,
                row.max_commute_km,
                bool(row.active and row.searchable),
            )
    return found


def load_candidate_features(
    session: Session, ids: Collection[int], *, day: date
) -> dict[int, CandidateFeatures]:
    """Ranking features of people, by id: CV content, mobility, and the facts rules need."""
    found: dict[int, CandidateFeatures] = {}
    for chunk in _chunks(ids):
        found.update(_load_candidate_chunk(session, chunk, day))
    return found


def _load_candidate_chunk(
    session: Session, ids: list[int], day: date
) -> dict[int, CandidateFeatures]:
    people = session.execute(
        select(
            Jobseeker.id,
            Jobseeker.birth_date,
            Jobseeker.postal_code,
            Jobseeker.max_commute_km,
            Jobseeker.active,
            Jobseeker.willing_to_switch_industry,
            Jobseeker.unemployment_start,
            Jobseeker.education_level,
            Jobseeker.single_provider,
            Jobseeker.residence_years,
            CV.id.label("cv_id"),
            CV.searchable,
        )
        .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
        .where(Jobseeker.id.in_(ids))
    ).all()
    cv_owner = {row.cv_id: row.id for row in people if row.cv_id is not None}
    cv_ids = list(cv_owner)

    groups = dict(
        session.execute(
            select(TargetGroupPeriod.jobseeker_id, TargetGroupPeriod.target_group).where(
                TargetGroupPeriod.jobseeker_id.in_(ids),
                TargetGroupPeriod.valid_from <= day,
                or_(TargetGroupPeriod.valid_to.is_(None), TargetGroupPeriod.valid_to > day),
            )
        ).all()
    )
    skills: dict[int, list[str]] = defaultdict(list)
    experiences: dict[int, list[Experience]] = defaultdict(list)
    employers: dict[int, list[tuple[str | None, int | None]]] = defaultdict(list)
    desired: dict[int, list[Desired]] = defaultdict(list)
    educations: dict[int, list[str]] = defaultdict(list)
    licences: dict[int, list[str]] = defaultdict(list)
    if cv_ids:
        for cv_id, name in session.execute(
            select(CVSkill.cv_id, CVSkill.name)
            .where(CVSkill.cv_id.in_(cv_ids))
            .order_by(CVSkill.cv_id, CVSkill.position)
        ):
            skills[cv_owner[cv_id]].append(name)
        for row in session.execute(
            select(
                CVExperience.cv_id,
                CVExperience.title,
                CVExperience.isco_code,
                CVExperience.industry,
                CVExperience.start_year,
                CVExperience.end_year,
                CVExperience.description,
                CVExperience.employer_name,
            )
            .where(CVExperience.cv_id.in_(cv_ids))
            .order_by(CVExperience.cv_id, CVExperience.position)
        ):
            owner = cv_owner[row.cv_id]
            experiences[owner].append(
                Experience(
                    title=row.title,
                    isco_code=row.isco_code,
                    industry=row.industry,
                    start_year=row.start_year,
                    end_year=row.end_year,
                    description=row.description or "",
                )
            )
            employers[owner].append((row.employer_name, row.end_year))
        for cv_id, title, isco in session.execute(
            select(
                CVDesiredOccupation.cv_id,
                CVDesiredOccupation.title,
                CVDesiredOccupation.isco_code,
            )
            .where(CVDesiredOccupation.cv_id.in_(cv_ids))
            .order_by(CVDesiredOccupation.cv_id, CVDesiredOccupation.position)
        ):
            desired[cv_owner[cv_id]].append(Desired(title=title, isco_code=isco))
        for cv_id, title in session.execute(
            select(CVEducation.cv_id, CVEducation.title)
            .where(CVEducation.cv_id.in_(cv_ids))
            .order_by(CVEducation.cv_id, CVEducation.position)
        ):
            educations[cv_owner[cv_id]].append(title)
        for cv_id, category in session.execute(
            select(CVDrivingLicence.cv_id, CVDrivingLicence.category).where(
                CVDrivingLicence.cv_id.in_(cv_ids)
            )
        ):
            licences[cv_owner[cv_id]].append(category)
    open_referrals = dict(
        session.execute(
            select(Referral.jobseeker_id, func.count())
            .where(Referral.jobseeker_id.in_(ids), Referral.state.in_(OPEN_REFERRAL_STATES))
            .group_by(Referral.jobseeker_id)
        ).all()
    )

    found: dict[int, CandidateFeatures] = {}
    for row in people:
        jobs = employers.get(row.id, [])
        person = eligibility.PersonFacts(
            birth_date=row.birth_date,
            target_group=groups.get(row.id),
            unemployment_start=row.unemployment_start,
            education_level=row.education_level,
            single_provider=bool(row.single_provider),
            residence_years=row.residence_years,
            has_work_experience=bool(jobs),
            latest_employer=jobs[0][0] if jobs else None,
            recent_employers=frozenset(
                name for name, end in jobs if name and (end is None or end >= day.year)
            ),
        )
        found[row.id] = CandidateFeatures(
            id=row.id,
            person=person,
            postal_code=row.postal_code,
            max_commute_km=row.max_commute_km,
            active=bool(row.active),
            searchable=bool(row.searchable),
            willing_to_switch_industry=bool(row.willing_to_switch_industry),
            skills=tuple(skills.get(row.id, ())),
            experiences=tuple(experiences.get(row.id, ())),
            desired=tuple(desired.get(row.id, ())),
            educations=tuple(educations.get(row.id, ())),
            driving_licences=tuple(licences.get(row.id, ())),
            open_referrals=int(open_referrals.get(row.id, 0)),
        )
    return found


# --- storing ----------------------------------------------------------------------------------


def _row_values(match, *, model_version: str, rules_version: str, now: datetime) -> dict:
    return {
        "score": match.score,
        "components": match.components,
        "explanation": list(match.explanation),
        "eligible": match.eligible,
        "cross_industry": match.cross_industry,
        "distance_km": match.distance_km,
        "model_version": model_version,
        "rules_version": rules_version,
        "computed_at": now,
    }


def _record_run(
    session: Session,
    kind: str,
    subject_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int,
    now: datetime,
) -> None:
    run = session.scalar(
        select(MatchRun).where(MatchRun.subject_kind == kind, MatchRun.subject_id == subject_id)
    )
    if run is None:
        run = MatchRun(subject_kind=kind, subject_id=subject_id)
        session.add(run)
    run.model_version = model_version
    run.rules_version = rules_version
    run.computed_at = now
    run.considered = ranked.considered if ranked else 0
    run.listed = len(ranked.matches) if ranked else 0
    run.excluded = dict(ranked.excluded) if ranked else {}
    run.duration_ms = duration_ms


def store_vacancy_list(
    session: Session,
    vacancy_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int = 0,
) -> None:
    """Replace the vacancy's candidate list (None: clear it). Flushes; the caller commits.

    Rows that are also in a person's own list (``person_rank``) are kept and only lose their
    place in this list; the others are deleted.
    """
    _store_list(
        session,
        "vacancy",
        vacancy_id,
        ranked,
        model_version=model_version,
        rules_version=rules_version,
        duration_ms=duration_ms,
    )


def store_jobseeker_list(
    session: Session,
    jobseeker_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int = 0,
) -> None:
    """Replace the person's list of vacancies and places (None: clear it). Flushes."""
    _store_list(
        session,
        "jobseeker",
        jobseeker_id,
        ranked,
        model_version=model_version,
        rules_version=rules_version,
        duration_ms=duration_ms,
    )


def _store_list(
    session: Session,
    kind: str,
    subject_id: int,
    ranked: RankedList | None,
    *,
    model_version: str,
    rules_version: str,
    duration_ms: int,
) -> None:
    # A row is shared by the vacancy's list (rank) and the person's list (person_rank).
    if kind == "vacancy":
        subject, other, own_rank, other_rank = (
            Match.vacancy_id, Match.jobseeker_id, Match.rank, Match.person_rank
        )  # fmt: skip
        cleared = {"rank": None, "promoted": False}
    else:
        subject, other, own_rank, other_rank = (
            Match.jobseeker_id, Match.vacancy_id, Match.person_rank, Match.rank
        )  # fmt: skip
        cleared = {"person_rank": None}
    other_id = (lambda m: m.jobseeker_id) if kind == "vacancy" else (lambda m: m.vacancy_id)
    now = utcnow()
    session.execute(delete(Match).where(subject == subject_id, other_rank.is_(None)))
    session.execute(update(Match).where(subject == subject_id).values(**cleared))
    matches = ranked.matches if ranked else []
    existing = dict(
        session.execute(
            select(other, Match.id).where(
                subject == subject_id, other.in_([other_id(m) for m in matches])
            )
        ).all()
    )
    inserts, updates = [], []
    for position, match in enumerate(matches, start=1):
        values = _row_values(
            match, model_version=model_version, rules_version=rules_version, now=now
        )
        values[own_rank.key] = position
        if kind == "vacancy":
            values["promoted"] = match.promoted
        elif match.promoted:
            values["components"] = {**match.components, "promoted_in_person_list": True}
        if other_id(match) in existing:
            updates.append({"id": existing[other_id(match)], **values})
        else:
            inserts.append(
                {"vacancy_id": match.vacancy_id, "jobseeker_id": match.jobseeker_id, **values}
            )
    if inserts:
        session.execute(Match.__table__.insert(), inserts)
    if updates:
        session.execute(update(Match), updates)
    _record_run(
        session,
        kind,
        subject_id,
        ranked,
        model_version=model_version,
        rules_version=rules_version,
        duration_ms=duration_ms,
        now=now,
    )
    session.flush()


def stale_subjects(
    session: Session, kind: str, *, model_version: str, rules_version: str, limit: int | None = None
) -> list[int]:
    """Ids whose stored list is missing or out of date: another model or rules version, or
    the vacancy/person changed after the list was computed. Only matchable vacancies and
    active people are returned."""
    if kind == "vacancy":
        subject = select(Vacancy.id.label("id"), Vacancy.updated_at.label("changed")).where(
            matchable_vacancy_filter()
        )
    elif kind == "jobseeker":
        subject = (
            select(
                Jobseeker.id.label("id"),
                func.coalesce(CV.updated_at, Jobseeker.updated_at).label("changed"),
            )
            .join(CV, CV.jobseeker_id == Jobseeker.id)
            .where(Jobseeker.active.is_(True), CV.searchable.is_(True))
        )
    else:
        raise ValueError(f"unknown subject kind {kind!r}")
    subject = subject.subquery()
    query = (
        select(subject.c.id)
        .outerjoin(
            MatchRun,
            and_(MatchRun.subject_kind == kind, MatchRun.subject_id == subject.c.id),
        )
        .where(
            or_(
                MatchRun.id.is_(None),
                MatchRun.model_version != model_version,
                MatchRun.rules_version != rules_version,
                MatchRun.computed_at < subject.c.changed,
            )
        )
        .order_by(subject.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
