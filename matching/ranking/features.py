"""Reading ranking features from the database and storing computed match lists.

Features are read with a handful of set-based queries per list (no ORM object graphs), so a
list of several hundred candidates is read in a few milliseconds on PostgreSQL. Storing a list
replaces it in one transaction: a reader sees the old list or the new one, never a mix.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.models import (
    CV,
    OPEN_REFERRAL_STATES,
    CVDesiredOccupation,
    CVDrivingLicence,
    CVEducation,
    CVExperience,
    CVSkill,
    Jobseeker,
    Organisation,
    Referral,
    TargetGroupPeriod,
    Vacancy,
)
from matching.models.enums import EducationLevel, TargetGroup
from matching.ranking.scoring import (
    CandidateFeatures,
    Desired,
    Experience,
    VacancyFeatures,
)
from matching.rules import eligibility

IN_CLAUSE_BATCH = 5_000


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CLAUSE_BATCH):
        yield ordered[start : start + IN_CLAUSE_BATCH]


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


@dataclass(frozen=True)
class PersonRow:
    """The person-level columns the matcher reads (one cheap query for many people)."""

    id: int
    birth_date: date
    postal_code: str | None
    max_commute_km: int
    active: bool
    willing_to_switch_industry: bool
    unemployment_start: date | None
    education_level: EducationLevel | None
    single_provider: bool
    residence_years: int | None
    cv_id: int | None
    searchable: bool
    cv_updated_at: datetime | None

    @property
    def listable(self) -> bool:
        return self.active and self.searchable and self.cv_id is not None


@dataclass(frozen=True)
class CVFeatures:
    """The CV content the ranker reads; cacheable while the CV is unchanged."""

    skills: tuple[str, ...] = ()
    experiences: tuple[Experience, ...] = ()
    employers: tuple[tuple[str | None, int | None], ...] = ()  # (name, end year), newest first
    desired: tuple[Desired, ...] = ()
    educations: tuple[str, ...] = ()
    driving_licences: tuple[str, ...] = ()


def load_people(session: Session, ids: Collection[int]) -> dict[int, PersonRow]:
    """Person-level facts by id (missing ids are left out)."""
    found: dict[int, PersonRow] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
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
                CV.updated_at.label("cv_updated_at"),
            )
            .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
            .where(Jobseeker.id.in_(chunk))
        )
        for row in rows:
            found[row.id] = PersonRow(
                id=row.id,
                birth_date=row.birth_date,
                postal_code=row.postal_code,
                max_commute_km=row.max_commute_km,
                active=bool(row.active),
                willing_to_switch_industry=bool(row.willing_to_switch_industry),
                unemployment_start=row.unemployment_start,
                education_level=row.education_level,
                single_provider=bool(row.single_provider),
                residence_years=row.residence_years,
                cv_id=row.cv_id,
                searchable=bool(row.searchable),
                cv_updated_at=row.cv_updated_at,
            )
    return found


def load_cv_features(session: Session, cv_ids: Collection[int]) -> dict[int, CVFeatures]:
    """CV content by CV id, read with one query per CV table."""
    parts: dict[str, dict[int, list]] = {
        name: defaultdict(list)
        for name in ("skills", "experiences", "employers", "desired", "educations", "licences")
    }
    for chunk in _chunks(cv_ids):
        for cv_id, name in session.execute(
            select(CVSkill.cv_id, CVSkill.name)
            .where(CVSkill.cv_id.in_(chunk))
            .order_by(CVSkill.cv_id, CVSkill.position)
        ):
            parts["skills"][cv_id].append(name)
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
            .where(CVExperience.cv_id.in_(chunk))
            .order_by(CVExperience.cv_id, CVExperience.position)
        ):
            parts["experiences"][row.cv_id].append(
                Experience(
                    title=row.title,
                    isco_code=row.isco_code,
                    industry=row.industry,
                    start_year=row.start_year,
                    end_year=row.end_year,
                    description=row.description or "",
                )
            )
            parts["employers"][row.cv_id].append((row.employer_name, row.end_year))
        for cv_id, title, isco in session.execute(
            select(
                CVDesiredOccupation.cv_id,
                CVDesiredOccupation.title,
                CVDesiredOccupation.isco_code,
            )
            .where(CVDesiredOccupation.cv_id.in_(chunk))
            .order_by(CVDesiredOccupation.cv_id, CVDesiredOccupation.position)
        ):
            parts["desired"][cv_id].append(Desired(title=title, isco_code=isco))
        for cv_id, title in session.execute(
            select(CVEducation.cv_id, CVEducation.title)
            .where(CVEducation.cv_id.in_(chunk))
            .order_by(CVEducation.cv_id, CVEducation.position)
        ):
            parts["educations"][cv_id].append(title)
        for cv_id, category in session.execute(
            select(CVDrivingLicence.cv_id, CVDrivingLicence.category)
            .where(CVDrivingLicence.cv_id.in_(chunk))
            .order_by(CVDrivingLicence.cv_id, CVDrivingLicence.category)
        ):
            parts["licences"][cv_id].append(category)
    return {
        cv_id: CVFeatures(
            skills=tuple(parts["skills"].get(cv_id, ())),
            experiences=tuple(parts["experiences"].get(cv_id, ())),
            employers=tuple(parts["employers"].get(cv_id, ())),
            desired=tuple(parts["desired"].get(cv_id, ())),
            educations=tuple(parts["educations"].get(cv_id, ())),
            driving_licences=tuple(parts["licences"].get(cv_id, ())),
        )
        for cv_id in cv_ids
    }


def load_rule_facts(
    session: Session, ids: Collection[int], *, day: date
) -> tuple[dict[int, TargetGroup], dict[int, int]]:
    """(target group on ``day``, number of open referrals) per person, for those that have one."""
    groups: dict[int, TargetGroup] = {}
    referrals: dict[int, int] = {}
    for chunk in _chunks(ids):
        groups.update(
            session.execute(
                select(TargetGroupPeriod.jobseeker_id, TargetGroupPeriod.target_group).where(
                    TargetGroupPeriod.jobseeker_id.in_(chunk),
                    TargetGroupPeriod.valid_on(day),
                )
            ).all()
        )
        referrals.update(
            session.execute(
                select(Referral.jobseeker_id, func.count())
                .where(Referral.jobseeker_id.in_(chunk), Referral.state.in_(OPEN_REFERRAL_STATES))
                .group_by(Referral.jobseeker_id)
            ).all()
        )
    return groups, referrals


def assemble_candidate(
    person: PersonRow,
    cv: CVFeatures,
    *,
    target_group: TargetGroup | None,
    open_referrals: int,
    day: date,
) -> CandidateFeatures:
    """Combine the person's row, their CV content and the rule facts into ranking features."""
    facts = eligibility.PersonFacts(
        birth_date=person.birth_date,
        target_group=target_group,
        unemployment_start=person.unemployment_start,
        education_level=person.education_level,
        single_provider=person.single_provider,
        residence_years=person.residence_years,
        has_work_experience=bool(cv.experiences),
        latest_employer=cv.employers[0][0] if cv.employers else None,
        recent_employers=frozenset(
            name for name, end in cv.employers if name and (end is None or end >= day.year)
        ),
    )
    return CandidateFeatures(
        id=person.id,
        person=facts,
        postal_code=person.postal_code,
        max_commute_km=person.max_commute_km,
        active=person.active,
        searchable=person.searchable,
        willing_to_switch_industry=person.willing_to_switch_industry,
        skills=cv.skills,
        experiences=cv.experiences,
        desired=cv.desired,
        educations=cv.educations,
        driving_licences=cv.driving_licences,
        open_referrals=open_referrals,
    )


def load_candidate_features(
    session: Session,
    ids: Collection[int],
    *,
    day: date,
    people: Mapping[int, PersonRow] | None = None,
    cv_cache: CVFeatureCache | None = None,
) -> dict[int, CandidateFeatures]:
    """Ranking features of people, by id: CV content, mobility, and the facts rules need.

    ``people`` may hold rows already read; ``cv_cache`` keeps CV content between lists.
    """
    rows = dict(people or {})
    missing = [i for i in ids if i not in rows]
    if missing:
        rows.update(load_people(session, missing))
    rows = {i: rows[i] for i in ids if i in rows}
    with_cv = [r for r in rows.values() if r.cv_id is not None]
    if cv_cache is not None:  # (an empty cache is falsy: it has a length)
        cvs = cv_cache.get_many(session, with_cv)
    else:
        cvs = load_cv_features(session, [r.cv_id for r in with_cv])
    groups, referrals = load_rule_facts(session, list(rows), day=day)
    return {
        i: assemble_candidate(
            row,
            cvs.get(row.cv_id, CVFeatures()) if row.cv_id is not None else CVFeatures(),
            target_group=groups.get(i),
            open_referrals=int(referrals.get(i, 0)),
            day=day,
        )
        for i, row in rows.items()
    }


class CVFeatureCache:
    """CV content kept in memory between lists, keyed by CV id and stamped with the CV's
    ``updated_at`` and the fingerprint of its embedded text (``fingerprint_of``), so an edited
    CV is read again. Least recently used entries go first beyond ``max_entries``."""

    def __init__(self, max_entries: int, fingerprint_of: Callable[[int], str | None]) -> None:
        self.max_entries = max_entries
        self.fingerprint_of = fingerprint_of  # jobseeker id → fingerprint
        self._entries: OrderedDict[int, tuple[tuple, CVFeatures]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, session: Session, people: Iterable[PersonRow]) -> dict[int, CVFeatures]:
        found: dict[int, CVFeatures] = {}
        stale: dict[int, tuple] = {}
        for person in people:
            assert person.cv_id is not None
            stamp = (person.cv_updated_at, self.fingerprint_of(person.id))
            entry = self._entries.get(person.cv_id)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(person.cv_id)
                found[person.cv_id] = entry[1]
                self.hits += 1
            else:
                stale[person.cv_id] = stamp
        if stale:
            self.misses += len(stale)
            for cv_id, features in load_cv_features(session, list(stale)).items():
                self._entries[cv_id] = (stale[cv_id], features)
                found[cv_id] = features
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return found
