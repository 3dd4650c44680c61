"""What an export holds: one row per person on a fair's shortlists, grouped by employer.

Identity only with consent to share with employers, never CPR or birth date; match reasons
limited to what an employer may see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from matching.core.errors import NotFound
from matching.models import (
    CV,
    CVExperience,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Organisation,
    ShortlistEntry,
    Vacancy,
)

# Match chips an employer may read. The matcher's chips are written for counsellors and some
# reveal benefit details (target group, weeks allowed, age over 50, years of residence) or
# other referrals, which disclosure.py keeps from employers. Allow-listed, so a chip added to
# the matcher later stays out of exports until someone decides it may go in.
EMPLOYER_CHIP_PREFIXES = (
    "Jobmål: ",
    "Samme faggruppe",
    "Beslægtet faggruppe",
    "Samme hovedområde",
    "Under 1 km fra bopæl",
    "Afstand ukendt",
    "Overlap: ",
    "Brancheskift: ",
    "Cv og stilling ligner hinanden",
    "Mangler måske: ",
)


_KM_CHIP = re.compile(r"^\d+ km fra bopæl$")


@dataclass(frozen=True)
class FairInfo:
    """The fair as printed on exports."""

    id: int
    name: str
    held_on: date
    place: str


@dataclass(frozen=True)
class ShortlistRow:
    """One person on one vacancy's shortlist, already reduced to what an export may show, and
    the person's id for the audit log of who was exported (no column reads it).

    Identifying fields are None unless ``consented``; constructing a row that breaks this
    raises, so no code path can hand a writer a name without consent.
    """

    fair: FairInfo
    employer_id: int
    employer: str
    vacancy: str
    invitation_id: str
    jobseeker_id: int  # for the audit log only
    postal_code: str
    district: str | None
    occupation: str | None
    score: int | None  # 0–100; None for a manual entry without a computed match
    reasons: str
    cross_industry: bool | None
    invited: bool
    consented: bool
    contact_by_email: bool = False
    first_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        identity = (self.first_name, self.name, self.email, self.phone)
        if not self.consented and any(v is not None for v in identity):
            raise ValueError("identifying data on a row without consent to share")


@dataclass(frozen=True)
class EmployerGroup:
    """The rows of one employer: one XLSX sheet, one PDF section."""

    employer_id: int
    employer: str
    rows: tuple[ShortlistRow, ...]

    @property
    def vacancies(self) -> tuple[str, ...]:
        """The employer's vacancy titles in row order, each once."""
        return tuple(dict.fromkeys(row.vacancy for row in self.rows))


def group_by_employer(rows: Iterable[ShortlistRow]) -> list[EmployerGroup]:
    """Rows grouped by employer id (two employers may share a name), in first-seen order."""
    grouped: dict[int, list[ShortlistRow]] = {}
    for row in rows:
        grouped.setdefault(row.employer_id, []).append(row)
    return [EmployerGroup(rs[0].employer_id, rs[0].employer, tuple(rs)) for rs in grouped.values()]


def employer_reasons(chips: Iterable[str]) -> str:
    """The match chips an employer may read, joined with "; " (see EMPLOYER_CHIP_PREFIXES)."""
    return "; ".join(
        chip for chip in chips if chip.startswith(EMPLOYER_CHIP_PREFIXES) or _KM_CHIP.match(chip)
    )


@cache
def _district_names() -> dict[str, str]:
    """``{postal code: district name}`` from the package geo.py takes its centroids from."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    names: dict[str, str] = {}
    for row in get_postcodes_of_country("DK"):
        if row.localityName:
            names.setdefault(str(row.code), row.localityName)
    return names


def district_name(postal_code: str | None) -> str | None:
    """The postal district ("Odense C") of a Danish postal code, None if unknown."""
    return _district_names().get(postal_code) if postal_code else None


def score_percent(score: float | None) -> int | None:
    """A match score (0–1) as a whole percentage (0–100); None without a computed match."""
    return None if score is None else max(0, min(100, round(score * 100)))


def latest_titles(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """``{person id: title}`` of each person's current job, else the one that ended last (it
    stands in for a CV's blank headline). People without experiences are left out."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    titles = session.execute(
        select(CV.jobseeker_id, CVExperience.title)
        .join(CV, CV.id == CVExperience.cv_id)
        .where(CV.jobseeker_id.in_(ids))
        # Each person's best last: the current job, the latest end, the latest start, the first
        # on the CV.
        .order_by(
            CVExperience.end_year.is_(None),
            CVExperience.end_year,
            CVExperience.start_year,
            CVExperience.position.desc(),
        )
    )
    return dict(titles.all())


def rows_for_fair(session: Session, fair_id: int) -> list[ShortlistRow]:
    """The fair's shortlist (removed entries left out), ordered by employer, vacancy and rank.

    Three queries whatever the list's length: the fair, the entries joined with vacancy,
    employer, person, CV headline and match, and the experiences of people whose CV has no
    headline. Only the columns an export may use are selected: CPR and birth date are never
    read.
    """
    job_fair = session.get(JobFair, fair_id)
    if job_fair is None:
        raise NotFound(f"job fair {fair_id}")
    fair = FairInfo(job_fair.id, job_fair.name, job_fair.held_on, job_fair.place)
    on_fair = and_(JobFairVacancy.job_fair_id == fair_id, ShortlistEntry.removed.is_(False))
    query = (
        select(
            ShortlistEntry.invitation_code,
            ShortlistEntry.invited,
            Organisation.id.label("employer_id"),
            Organisation.name.label("employer"),
            Vacancy.title.label("vacancy"),
            Jobseeker.id.label("person_id"),
            Jobseeker.first_name,
            Jobseeker.last_name,
            Jobseeker.email,
            Jobseeker.phone,
            Jobseeker.postal_code,
            Jobseeker.consent_share_with_employers,
            Jobseeker.consent_contact_by_email,
            CV.headline,
            Match.score,
            Match.explanation,
            Match.cross_industry,
        )
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .join(Vacancy, Vacancy.id == JobFairVacancy.vacancy_id)
        .join(Organisation, Organisation.id == Vacancy.employer_id)
        .join(Jobseeker, Jobseeker.id == ShortlistEntry.jobseeker_id)
        .outerjoin(CV, CV.jobseeker_id == Jobseeker.id)
        .outerjoin(Match, and_(Match.vacancy_id == Vacancy.id, Match.jobseeker_id == Jobseeker.id))
        .where(on_fair)
        .order_by(
            Organisation.name,
            Organisation.id,
            Vacancy.title,
            Vacancy.id,
            ShortlistEntry.rank.is_(None),  # unranked (manual) entries last, on any database
            ShortlistEntry.rank,
            ShortlistEntry.id,
        )
    )
    records = session.execute(query).all()

    # People with a CV but a blank headline: their latest job title stands in for it.
    titles = latest_titles(
        session, (r.person_id for r in records if r.headline is not None and not r.headline.strip())
    )
    rows: list[ShortlistRow] = []
    for r in records:
        consented = bool(r.consent_share_with_employers)
        occupation = (r.headline or "").strip() or titles.get(r.person_id)
        rows.append(
            ShortlistRow(
                fair=fair,
                employer_id=r.employer_id,
                employer=r.employer,
                vacancy=r.vacancy,
                invitation_id=r.invitation_code,
                jobseeker_id=r.person_id,
                postal_code=r.postal_code,
                district=district_name(r.postal_code),
                occupation=occupation,
                score=score_percent(r.score),
                reasons=employer_reasons(r.explanation or ()),
                cross_industry=r.cross_industry,
                invited=bool(r.invited),
                consented=consented,
                contact_by_email=bool(r.consent_contact_by_email),
                first_name=r.first_name if consented else None,
                name=f"{r.first_name} {r.last_name}" if consented else None,
                email=(r.email or None) if consented else None,
                phone=(r.phone or None) if consented else None,
            )
        )
    return rows
