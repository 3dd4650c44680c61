"""The plain frozen records of the demo data set, in the order the seeder inserts them.

:func:`matching.demo.generator.generate` returns them in a :class:`DemoData`, and
:mod:`matching.demo.seed` persists them through the models; they reference each other by
organisation ``key`` and e-mail, never by database id, so they need no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from matching.models.enums import (
    ApprovalStatus,
    EducationLevel,
    OrgKind,
    Role,
    TargetGroup,
    VacancyKind,
    VacancyStatus,
    WorkingTime,
)


@dataclass(frozen=True)
class PNumberRecord:
    """A production unit (P-nummer) of an employer."""

    pnr: str
    name: str
    address: str
    postal_code: str
    town: str
    municipality_code: int
    staff_fte: float  # ordinary staff, used for the rimelighedskrav on company places


@dataclass(frozen=True)
class OrgRecord:
    """An organisation; ``key`` is a stable reference used by the other records."""

    key: str
    kind: OrgKind
    name: str
    cvr: str | None
    municipality_code: int | None
    industry_key: str | None
    industry_code: str | None
    industry: str | None
    email: str | None
    phone: str | None
    is_public: bool
    p_numbers: tuple[PNumberRecord, ...] = ()


@dataclass(frozen=True)
class UserRecord:
    """A user and their (organisation key, role) memberships."""

    email: str
    name: str
    password: str
    memberships: tuple[tuple[str, Role], ...]


@dataclass(frozen=True)
class ExperienceRecord:
    title: str
    employer_name: str
    start_year: int
    end_year: int | None
    description: str
    isco_code: str
    industry: str
    esco_uri: str | None = None  # the demo names occupations by ISCO code only


@dataclass(frozen=True)
class EducationRecord:
    title: str
    institution: str | None
    level: EducationLevel | None
    completed_year: int | None


@dataclass(frozen=True)
class LanguageRecord:
    language: str
    level: str


@dataclass(frozen=True)
class DesiredOccupationRecord:
    title: str
    isco_code: str
    industry_key: str
    esco_uri: str | None = None  # the demo names occupations by ISCO code only


@dataclass(frozen=True)
class CVRecord:
    headline: str
    summary: str
    language: str  # "da" or "en"
    searchable: bool
    experiences: tuple[ExperienceRecord, ...]
    educations: tuple[EducationRecord, ...]
    skills: tuple[str, ...]
    languages: tuple[LanguageRecord, ...]
    driving_licences: tuple[str, ...]
    desired_occupations: tuple[DesiredOccupationRecord, ...]


@dataclass(frozen=True)
class TargetGroupRecord:
    target_group: TargetGroup
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class ResponsibilityRecord:
    org_key: str
    valid_from: date
    valid_to: date | None
    reason: str
    counsellor_email: str | None


@dataclass(frozen=True)
class JobseekerRecord:
    """A ledig with their dated histories and CV. ``cpr`` is plain here; the seeder encrypts it."""

    pseudonym: str
    first_name: str
    last_name: str
    background: str
    cpr: str
    birth_date: date
    email: str
    phone: str
    postal_code: str
    municipality_code: int
    a_kasse_key: str | None
    unemployment_start: date
    education_level: EducationLevel
    skill_level: str
    main_isco_code: str
    residence_years: int | None
    single_provider: bool
    max_commute_km: int
    willing_to_switch_industry: bool
    consent_share_with_employers: bool
    consent_contact_by_email: bool
    consent_joint_recruitment: bool
    consent_updated_at: datetime | None
    chose_jobcentre: bool
    target_groups: tuple[TargetGroupRecord, ...]
    responsibilities: tuple[ResponsibilityRecord, ...]
    cv: CVRecord

    @property
    def current_target_group(self) -> TargetGroup:
        return self.target_groups[-1].target_group


@dataclass(frozen=True)
class VacancyRecord:
    """An ordinary vacancy or a company place (``kind``)."""

    kind: VacancyKind
    status: VacancyStatus
    employer_key: str
    owner_key: str | None
    pnr: str
    created_by_email: str
    title: str
    language: str
    esco_uri: str | None
    isco_code: str
    industry_code: str
    industry: str
    description: str
    requirements: str
    address: str
    postal_code: str
    weekly_hours: float
    working_time: WorkingTime
    start_date: date | None
    deadline: date | None
    positions: int
    contact_name: str
    contact_email: str
    contact_phone: str
    published_at: datetime | None
    closed_at: datetime | None
    ordinary_staff_fte: float | None
    current_subsidised_count: int | None
    employee_rep_statement: bool | None
    employee_rep_name: str | None
    duration_weeks: int | None
    purpose: str | None
    approval_status: ApprovalStatus
    approved_by_email: str | None
    approved_at: datetime | None
    approval_note: str | None


@dataclass(frozen=True)
class FairRecord:
    """A job fair of the demo organiser: invited employers with their answers, and attached
    vacancies (indexes into :attr:`DemoData.vacancies`)."""

    organiser_key: str
    name: str
    held_on: date
    place: str
    target_groups: tuple[TargetGroup, ...]
    municipality_codes: tuple[int, ...]
    description: str
    employers: tuple[tuple[str, str, datetime | None], ...]  # (key, status, answered at)
    vacancy_indexes: tuple[int, ...]


@dataclass
class DemoData:
    """Everything :func:`generate` produces, in insertion order."""

    seed: int
    size: int
    today: date
    organisations: list[OrgRecord] = field(default_factory=list)
    users: list[UserRecord] = field(default_factory=list)
    jobseekers: list[JobseekerRecord] = field(default_factory=list)
    vacancies: list[VacancyRecord] = field(default_factory=list)
    fairs: list[FairRecord] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def organisation(self, key: str) -> OrgRecord:
        for org in self.organisations:
            if org.key == key:
                return org
        raise KeyError(key)
