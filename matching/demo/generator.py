"""Deterministic demo data: Danish organisations, users, jobseekers with CVs, and vacancies.

Pure Python, no database: :func:`generate` returns plain frozen records that
:mod:`matching.demo.seed` persists. The same ``(seed, size, today, shared data presence)``
always gives identical data: every random choice comes from one ``random.Random(seed)``,
collections are iterated in a fixed order, and every date is relative to ``today``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar

from matching.demo import vocab
from matching.demo.vocab import MUNICIPALITIES, OCCUPATIONS, Municipality, OccupationProfile
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

T = TypeVar("T")

# Passwords of every demo user (≥ 10 characters, the platform minimum). Only two distinct
# values so the seeder hashes each once (argon2 is deliberately slow).
DEMO_PASSWORD = "demo-jobbro-1"
DEMO_ADMIN_PASSWORD = "demo-jobbro-admin"

# Fixed, documented demo logins: (e-mail, password, role description in Danish).
# They exist for every seed and size; other demo users share the same two passwords.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("raadgiver@jobcenter-odense.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter Odense"),
    (
        "godkender@jobcenter-odense.demo",
        DEMO_PASSWORD,
        "Godkender af virksomhedspladser, Jobcenter Odense",
    ),
    ("admin@jobcenter-odense.demo", DEMO_ADMIN_PASSWORD, "Administrator, Jobcenter Odense"),
    ("raadgiver@jobcenter-koebenhavn.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter København"),
    ("raadgiver@jobcenter-aalborg.demo", DEMO_PASSWORD, "Jobrådgiver, Jobcenter Aalborg"),
    ("raadgiver@3f-a-kasse.demo", DEMO_PASSWORD, "Jobrådgiver, 3F A-kasse"),
    ("raadgiver@foa-a-kasse.demo", DEMO_PASSWORD, "Jobrådgiver, FOA A-kasse"),
    ("admin@3f-a-kasse.demo", DEMO_ADMIN_PASSWORD, "Administrator, 3F A-kasse"),
    (
        "raadgiver@akademikernes-a-kasse.demo",
        DEMO_PASSWORD,
        "Jobrådgiver, Akademikernes A-kasse",
    ),
    (
        "arbejdsgiver@fynsk-lager-logistik.demo",
        DEMO_PASSWORD,
        "Virksomhedsbruger og administrator, Fynsk Lager & Logistik A/S (privat)",
    ),
    (
        "arbejdsgiver@odense-aeldrepleje.demo",
        DEMO_PASSWORD,
        "Virksomhedsbruger og administrator, Odense Kommune, Ældreplejen (offentlig)",
    ),
    ("arrangoer@jobmesse-fyn.demo", DEMO_PASSWORD, "Jobmessearrangør, Jobmesse Fyn"),
    ("admin@jobmesse-fyn.demo", DEMO_ADMIN_PASSWORD, "Administrator, Jobmesse Fyn"),
]

MIN_EMPLOYERS = 60
MIN_VACANCIES = 500


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

_TRANSLIT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})
_DISTRICT_SUFFIXES = {"C", "K", "V", "N", "S", "Ø", "NV", "SV", "SØ", "NØ", "M", "J", "Øst"}


def slugify(text: str) -> str:
    """ASCII slug: ``"Fynsk Lager & Logistik A/S"`` → ``fynsk-lager-logistik``."""
    text = text.translate(_TRANSLIT).lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"\b(a/s|aps|i/s|a\.m\.b\.a\.)", " ", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _town(postal_town: str) -> str:
    parts = postal_town.split()
    while len(parts) > 1 and parts[-1] in _DISTRICT_SUFFIXES:
        parts.pop()
    return " ".join(parts)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _a(noun: str) -> str:
    """English indefinite article: ``_a("engineer")`` → ``"an engineer"``."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


class _Fmt(dict):
    """format_map mapping that leaves unknown fields visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict[str, object]) -> str:
    return template.format_map(_Fmt(values))


def _cvr_valid(digits: str) -> bool:
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


# ---------------------------------------------------------------------------------------------
# Optional enrichment from the shared reference data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Enrichment:
    skill_phrases: tuple[str, ...] = ()
    # isco code -> sorted (Danish label, ESCO concept URI, the profile title it matched)
    esco_titles: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)


def _load_enrichment(shared_data_dir: Path | None) -> _Enrichment:
    if shared_data_dir is None:
        return _Enrichment()
    phrases: set[str] = set()
    for path in sorted((shared_data_dir / "kompetencer_da").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            span, _, label = line.partition("\t")
            span = " ".join(span.split())
            words = span.split()
            if (
                label[:1] == "S"
                and len(words) >= 2
                and 10 <= len(span) <= 45
                and span[:1].islower()
                and not any(ch.isdigit() for ch in span)
            ):
                phrases.add(span)

    esco: dict[str, set[tuple[str, str, str]]] = {}
    esco_path = shared_data_dir / "esco" / "occupations_da_en.tsv"
    if esco_path.is_file():
        wanted: dict[str, list[OccupationProfile]] = {}
        for profile in OCCUPATIONS:
            wanted.setdefault(profile.isco_code, []).append(profile)
        lines = esco_path.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            cols = line.split("\t")
            if len(cols) < 7 or cols[1] != "Occupation" or cols[2] not in wanted:
                continue
            labels = [cols[5], *(a.strip() for a in cols[6].split("|"))]
            labels = [lab for lab in labels if 3 <= len(lab) <= 60]
            for profile in wanted[cols[2]]:
                # Only concepts that really are the same job: a label shares the title's stem.
                stems = {profile.title_da.lower(), *(a.lower() for a in profile.alt_titles_da)}
                if any(s in lab.lower() or lab.lower() in s for s in stems for lab in labels):
                    for lab in labels:
                        esco.setdefault(cols[2], set()).add((lab, cols[0], profile.title_da))
    return _Enrichment(
        skill_phrases=tuple(sorted(phrases)),
        esco_titles={k: tuple(sorted(v)) for k, v in sorted(esco.items())},
    )


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------

_TARGET_GROUP_WEIGHTS: tuple[tuple[TargetGroup, int], ...] = (
    (TargetGroup.DAGPENGE, 64),
    (TargetGroup.KONTANTHJAELP_JOBPARAT, 11),
    (TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT, 7),
    (TargetGroup.SYGEDAGPENGE, 9),
    (TargetGroup.LEDIGHEDSYDELSE, 2),
    (TargetGroup.JOBAFKLARING, 1),
    (TargetGroup.SELVFORSOERGENDE, 1),
)
_SKILL_LEVEL_WEIGHTS = {"ufaglært": 38, "faglært": 36, "kvu_mvu": 15, "akademiker": 11}
_MIN_AGE_FOR_LEVEL = {"ufaglært": 18, "faglært": 20, "kvu_mvu": 23, "akademiker": 25}
_MUNICIPALITY_WEIGHTS = {461: 30, 101: 24, 147: 6, 751: 18, 851: 13, 561: 9}
_VACANCY_KIND_WEIGHTS: tuple[tuple[VacancyKind, int], ...] = (
    (VacancyKind.ORDINARY, 70),
    (VacancyKind.VIRKSOMHEDSPRAKTIK, 12),
    (VacancyKind.LOENTILSKUD_PRIVATE, 7),
    (VacancyKind.LOENTILSKUD_PUBLIC, 4),
    (VacancyKind.VOKSENLAERLING, 4),
    (VacancyKind.IGU, 3),
)
_PUBLIC_MARKERS = (
    "Kommune",
    "Region",
    "skolen",
    "Gymnasium",
    "Erhvervsskole",
    "Plejecenter",
    "Børnehuset",
    "Vuggestuen",
    "Bostedet",
    "Bibliotekerne",
    "Museum",
    "Sprogcenter",
    "Institutionen",
)
_CREDENTIAL_WORDS = ("kørekort", "certifikat", "bevis", "uddannelse")
# Where people in some occupations have worked, whatever the municipality.
_FIXED_EMPLOYERS = {
    "0310": "Forsvaret",
    "5412": "Rigspolitiet",
    "5413": "Kriminalforsorgen",
    "8311": "DSB",
}
# Occupations every kind of employer hires, whatever its industry.
_SUPPORT_ISCO = ("4110", "9112", "9333", "4226", "3313", "5153", "4222")


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, int]]) -> T:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=1)[0]


class _Generator:
    def __init__(self, seed: int, size: int, today: date, extra: _Enrichment) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = size
        self.today = today
        self.extra = extra
        self.munis = {m.code: m for m in MUNICIPALITIES}
        self.postal_muni = {pc: m for m in MUNICIPALITIES for pc, _ in m.postal_codes}
        self.by_level: dict[str, list[OccupationProfile]] = {}
        self.by_industry: dict[str, list[OccupationProfile]] = {}
        self.by_isco: dict[str, OccupationProfile] = {}
        for occ in OCCUPATIONS:
            self.by_level.setdefault(occ.skill_level, []).append(occ)
            self.by_industry.setdefault(occ.industry, []).append(occ)
            self.by_isco.setdefault(occ.isco_code, occ)
        self.used_cvr: set[str] = set()
        self.used_pnr: set[str] = set()
        self.used_cpr: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_org_names: set[str] = set()
        self.orgs: list[OrgRecord] = []
        self.users: list[UserRecord] = []
        self.jobcentre_by_muni: dict[int, str] = {}
        self.akasse_by_name: dict[str, str] = {}
        self.counsellors: dict[str, list[str]] = {}
        self.approvers: dict[str, str] = {}
        self.employer_user: dict[str, UserRecord] = {}

    # -- small random helpers ----------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def municipality(self) -> Municipality:
        codes = sorted(_MUNICIPALITY_WEIGHTS)
        code = self.rng.choices(codes, weights=[_MUNICIPALITY_WEIGHTS[c] for c in codes])[0]
        return self.munis[code]

    def person_name(self, background: str = "dansk", female: bool | None = None) -> tuple[str, str]:
        males, females, surnames = vocab.NAME_POOLS[background]
        if female is None:
            female = self.chance(0.5)
        return self.rng.choice(females if female else males), self.rng.choice(surnames)

    def phone(self) -> str:
        first = self.rng.choice("2345678")
        digits = first + "".join(self.rng.choice("0123456789") for _ in range(7))
        return " ".join(digits[i : i + 2] for i in range(0, 8, 2))

    def cvr(self) -> str:
        while True:
            digits = str(self.rng.randint(1, 4)) + "".join(
                self.rng.choice("0123456789") for _ in range(7)
            )
            if _cvr_valid(digits) and digits not in self.used_cvr:
                self.used_cvr.add(digits)
                return digits

    def pnr(self) -> str:
        while True:
            digits = str(self.rng.randint(1, 9)) + "".join(
                self.rng.choice("0123456789") for _ in range(9)
            )
            if digits not in self.used_pnr:
                self.used_pnr.add(digits)
                return digits

    def unique_email(self, local: str, domain: str) -> str:
        base = f"{local}@{domain}"
        email, n = base, 1
        while email in self.used_emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.used_emails.add(email)
        return email

    def address(self, muni: Municipality) -> tuple[str, str, str]:
        postal, postal_town = self.rng.choice(muni.postal_codes)
        street = self.rng.choice(muni.streets + vocab.COMMON_STREETS)
        return f"{street} {self.rng.randint(1, 180)}", postal, postal_town

    def title_variant(self, occ: OccupationProfile, alt_share: float = 0.35) -> str:
        if occ.alt_titles_da and self.chance(alt_share):
            return self.rng.choice(occ.alt_titles_da)
        return occ.title_da

    # -- organisations and users -------------------------------------------------------------

    def add_user(
        self,
        local: str,
        domain: str,
        memberships: tuple[tuple[str, Role], ...],
        *,
        admin: bool = False,
        name: str | None = None,
    ) -> UserRecord:
        if name is None:
            first, last = self.person_name()
            name = f"{first} {last}"
        user = UserRecord(
            email=self.unique_email(local, domain),
            name=name,
            password=DEMO_ADMIN_PASSWORD if admin else DEMO_PASSWORD,
            memberships=memberships,
        )
        self.users.append(user)
        return user

    def build_public_bodies(self) -> None:
        for muni in MUNICIPALITIES:
            key = f"jobcenter-{slugify(muni.name)}"
            street, postal, _ = self.address(muni)
            self.orgs.append(
                OrgRecord(
                    key=key,
                    kind=OrgKind.JOBCENTRE,
                    name=f"Jobcenter {muni.name}",
                    cvr=None,
                    municipality_code=muni.code,
                    industry_key="offentlig_admin",
                    industry_code="O",
                    industry=vocab.INDUSTRIES["offentlig_admin"][1],
                    email=f"jobcenter@{key}.demo",
                    phone=self.phone(),
                    is_public=True,
                )
            )
            domain = f"{key}.demo"
            self.add_user("admin", domain, ((key, Role.ADMIN),), admin=True)
            self.counsellors[key] = [
                self.add_user(local, domain, ((key, Role.COUNSELLOR),)).email
                for local in ("raadgiver", "raadgiver2", "raadgiver3", "raadgiver4")
            ]
            self.approvers[key] = self.add_user("godkender", domain, ((key, Role.APPROVER),)).email
            self.add_user("jobmesse", domain, ((key, Role.ORGANISER),))
            self.jobcentre_by_muni[muni.code] = key

        for name, slug, _levels in vocab.A_KASSER:
            key = slug
            self.orgs.append(
                OrgRecord(
                    key=key,
                    kind=OrgKind.A_KASSE,
                    name=name,
                    cvr=self.cvr(),
                    municipality_code=None,
                    industry_key=None,
                    industry_code=None,
                    industry=None,
                    email=f"kontakt@{slug}.demo",
                    phone=self.phone(),
                    is_public=False,
                )
            )
            domain = f"{slug}.demo"
            self.add_user("admin", domain, ((key, Role.ADMIN),), admin=True)
            self.counsellors[key] = [
                self.add_user(local, domain, ((key, Role.COUNSELLOR),)).email
                for local in ("raadgiver", "raadgiver2", "raadgiver3")
            ]
            self.akasse_by_name[name] = key

        fair_name, fair_slug = vocab.JOB_FAIR_ORGANISER
        self.orgs.append(
            OrgRecord(
                key=fair_slug,
                kind=OrgKind.JOB_FAIR_ORGANISER,
                name=fair_name,
                cvr=self.cvr(),
                municipality_code=461,
                industry_key=None,
                industry_code=None,
                industry=None,
                email=f"info@{fair_slug}.demo",
                phone=self.phone(),
                is_public=False,
            )
        )
        domain = f"{fair_slug}.demo"
        self.add_user("admin", domain, ((fair_slug, Role.ADMIN),), admin=True)
        self.add_user("arrangoer", domain, ((fair_slug, Role.ORGANISER),))

    def employer_name(self, industry: str, muni: Municipality, town: str) -> str:
        for _ in range(30):
            first_name, surname = self.person_name()
            pattern = self.rng.choice(vocab.EMPLOYER_NAME_PATTERNS[industry])
            name = _fill(
                pattern,
                {
                    "surname": surname,
                    "town": town,
                    "muni": muni.name,
                    "kommune": muni.kommune,
                    "region": muni.region,
                    "word": self.rng.choice(vocab.NAME_WORDS),
                },
            )
            if name not in self.used_org_names:
                self.used_org_names.add(name)
                return name
        name = f"{name} {self.rng.randint(2, 99)}"
        self.used_org_names.add(name)
        return name

    def add_employer(
        self,
        industry: str,
        muni: Municipality,
        *,
        name: str | None = None,
        slug: str | None = None,
    ) -> OrgRecord:
        street, postal, postal_town = self.address(muni)
        town = _town(postal_town)
        if name is None:
            name = self.employer_name(industry, muni, town)
        else:
            self.used_org_names.add(name)
        slug = slug or slugify(name)
        is_public = any(marker in name for marker in _PUBLIC_MARKERS)
        staff = float(self.rng.choice((4, 6, 9, 12, 18, 25, 35, 48, 60, 85, 120, 180, 260, 400)))
        p_numbers = [
            PNumberRecord(
                pnr=self.pnr(),
                name=name,
                address=street,
                postal_code=postal,
                town=town,
                municipality_code=muni.code,
                staff_fte=staff,
            )
        ]
        extra_units = 0 if staff < 20 else self.rng.choices((0, 1, 2), weights=(55, 30, 15))[0]
        for _ in range(extra_units):
            unit_muni = muni if self.chance(0.7) else self.municipality()
            u_street, u_postal, u_town = self.address(unit_muni)
            p_numbers.append(
                PNumberRecord(
                    pnr=self.pnr(),
                    name=f"{name}, afd. {_town(u_town)}",
                    address=u_street,
                    postal_code=u_postal,
                    town=_town(u_town),
                    municipality_code=unit_muni.code,
                    staff_fte=float(max(3, int(staff * self.rng.uniform(0.15, 0.6)))),
                )
            )
        section, label = vocab.INDUSTRIES[industry]
        key = f"emp-{slug}"
        while any(o.key == key for o in self.orgs):
            key += "-x"
        domain = f"{slug}.demo"
        org = OrgRecord(
            key=key,
            kind=OrgKind.EMPLOYER,
            name=name,
            cvr=self.cvr(),
            municipality_code=muni.code,
            industry_key=industry,
            industry_code=section,
            industry=label,
            email=f"job@{domain}",
            phone=self.phone(),
            is_public=is_public,
            p_numbers=tuple(p_numbers),
        )
        self.orgs.append(org)
        user = self.add_user("arbejdsgiver", domain, ((key, Role.ADMIN), (key, Role.EMPLOYER)))
        self.employer_user[key] = user
        return org

    def build_employers(self) -> list[OrgRecord]:
        employers = [
            self.add_employer(
                "transport_lager",
                self.munis[461],
                name="Fynsk Lager & Logistik A/S",
                slug="fynsk-lager-logistik",
            ),
            self.add_employer(
                "sundhed",
                self.munis[461],
                name="Odense Kommune, Ældreplejen",
                slug="odense-aeldrepleje",
            ),
        ]
        industries = sorted(vocab.INDUSTRIES)
        count = max(MIN_EMPLOYERS, self.size // 25)
        muni_codes = sorted(self.munis)
        for i in range(count - len(employers)):
            if i < len(industries):
                industry = industries[i]
            else:
                industry = self.rng.choices(
                    industries, weights=[len(self.by_industry.get(k, ())) + 2 for k in industries]
                )[0]
            muni = self.munis[muni_codes[i % len(muni_codes)]] if i < 12 else self.municipality()
            employers.append(self.add_employer(industry, muni))
        return employers

    # -- jobseekers --------------------------------------------------------------------------

    def cpr_for(self, birth: date) -> str:
        year = birth.year
        if year < 2000:
            firsts = "0123" + ("49" if year >= 1937 else "")
        else:
            firsts = "5678" + ("49" if year <= 2036 else "")
        while True:
            serial = self.rng.choice(firsts) + f"{self.rng.randint(0, 999):03d}"
            cpr = birth.strftime("%d%m%y") + serial
            if cpr not in self.used_cpr:
                self.used_cpr.add(cpr)
                return cpr

    def birth_date(self, min_age: int) -> date:
        ages = list(range(max(18, min_age), 68))
        weights = [3 if a < 25 else 5 if a < 60 else 3 for a in ages]
        age = self.rng.choices(ages, weights=weights)[0]
        latest = _years_before(self.today, age)  # turns `age` today
        earliest = _years_before(self.today, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def pick_akasse(self, occ: OccupationProfile) -> str:
        preferred = vocab.A_KASSE_BY_INDUSTRY.get(occ.industry)
        if occ.skill_level == "akademiker":
            preferred = "Ingeniørernes A-kasse" if occ.industry in ("it", "energi") else None
            preferred = preferred or "Akademikernes A-kasse"
        if preferred and self.chance(0.65):
            return self.akasse_by_name[preferred]
        fitting = [name for name, _, levels in vocab.A_KASSER if occ.skill_level in levels]
        return self.akasse_by_name[self.rng.choice(fitting)]

    def educations(
        self, occ: OccupationProfile, birth: date, muni: Municipality, refugee: bool
    ) -> tuple[list[EducationRecord], EducationLevel, int]:
        """Educations newest first, the highest level, and the year the career started."""
        gym, eud, sosu, academy, university = vocab.INSTITUTIONS[muni.code]
        this_year = self.today.year
        items: list[EducationRecord] = []
        if refugee:
            items.append(EducationRecord("Grundskole i hjemlandet", None, None, None))
        else:
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_BASIC),
                    f"{self.rng.choice(vocab.NAME_WORDS)}skolen",
                    EducationLevel.GRUNDSKOLE,
                    birth.year + 16,
                )
            )
        level = EducationLevel.GRUNDSKOLE
        career_start = birth.year + self.rng.randint(16, 19)
        gymnasial = occ.skill_level in ("kvu_mvu", "akademiker") or self.chance(0.2)
        if gymnasial and not refugee:
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_UPPER_SECONDARY),
                    gym,
                    EducationLevel.GYMNASIAL,
                    min(birth.year + 19, this_year),
                )
            )
            level = EducationLevel.GYMNASIAL
            career_start = birth.year + 19
        named = vocab.EDUCATION_BY_ISCO.get(occ.isco_code)
        if occ.skill_level == "faglært":
            done = min(birth.year + self.rng.randint(20, 27), this_year)
            school = sosu if occ.isco_code in ("5321", "5322", "5311") else eud
            if refugee and self.chance(0.5):
                school = "Uddannet i hjemlandet"
            title = named or f"Erhvervsuddannelse som {occ.title_da}"
            items.append(EducationRecord(title, school, EducationLevel.ERHVERVSFAGLIG, done))
            level, career_start = EducationLevel.ERHVERVSFAGLIG, done
        elif occ.skill_level == "kvu_mvu":
            done = min(birth.year + self.rng.randint(22, 28), this_year)
            title = named or f"Professionsbachelor ({occ.title_da})"
            level = EducationLevel.KVU if "erhvervsakademi" in title.lower() else EducationLevel.MVU
            items.append(EducationRecord(title, academy, level, done))
            career_start = done
        elif occ.skill_level == "akademiker":
            done = min(birth.year + self.rng.randint(24, 30), this_year)
            title = named or f"Kandidatuddannelse ({occ.title_en})"
            place = "Universitet i hjemlandet (vurderet i Danmark)" if refugee else university
            items.append(EducationRecord(title, place, EducationLevel.LVU, done))
            level, career_start = EducationLevel.LVU, done
        if refugee:
            items.append(
                EducationRecord(
                    self.rng.choice(("Danskuddannelse 2, modul 4", "Danskuddannelse 3, modul 6")),
                    f"Sprogcenter {muni.name}",
                    None,
                    this_year - self.rng.randint(0, 3),
                )
            )
        if occ.skill_level == "ufaglært" and self.chance(0.4):
            items.append(
                EducationRecord(
                    self.rng.choice(vocab.EDUCATION_SHORT_COURSES),
                    "AMU-center" if self.chance(0.5) else eud,
                    None,
                    this_year - self.rng.randint(0, 6),
                )
            )
        items.sort(key=lambda e: e.completed_year or 0, reverse=True)
        return items, level, min(career_start, this_year)

    def target_group(self, age: int, background: str, occ: OccupationProfile) -> TargetGroup:
        if background in vocab.REFUGEE_BACKGROUNDS and age <= 50 and self.chance(0.45):
            return TargetGroup.INTEGRATION
        group = _weighted(self.rng, _TARGET_GROUP_WEIGHTS)
        young_unskilled = age < 30 and occ.skill_level == "ufaglært"
        if young_unskilled and group in (
            TargetGroup.KONTANTHJAELP_JOBPARAT,
            TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
        ):
            return (
                TargetGroup.UDDANNELSESHJAELP_UDDANNELSESPARAT
                if group is TargetGroup.KONTANTHJAELP_JOBPARAT
                else TargetGroup.UDDANNELSESHJAELP_AKTIVITETSPARAT
            )
        return group

    def jobseeker(self, index: int) -> JobseekerRecord:
        rng = self.rng
        bg_names = sorted(vocab.BACKGROUNDS)
        background = rng.choices(bg_names, weights=[vocab.BACKGROUNDS[b][0] for b in bg_names])[0]
        refugee = background in vocab.REFUGEE_BACKGROUNDS
        female = self.chance(0.5)
        first, last = self.person_name(background, female)

        levels = sorted(_SKILL_LEVEL_WEIGHTS)
        level_weights = dict(_SKILL_LEVEL_WEIGHTS)
        if background == "international":
            level_weights.update(akademiker=45, kvu_mvu=25)
        skill_level = rng.choices(levels, weights=[level_weights[lv] for lv in levels])[0]
        occ = rng.choice(self.by_level[skill_level])
        birth = self.birth_date(_MIN_AGE_FOR_LEVEL[skill_level])
        age = age_on(birth, self.today)
        muni = self.municipality()
        postal, postal_town = rng.choice(muni.postal_codes)
        town = _town(postal_town)

        educations, edu_level, career_start = self.educations(occ, birth, muni, refugee)
        group = self.target_group(age, background, occ)
        days = min(728, max(7, int(rng.triangular(7, 729, 40))))
        start = self.today - timedelta(days=days)

        residence_years = None
        if background != "dansk":
            top = 9 if group is TargetGroup.INTEGRATION else 25
            residence_years = rng.randint(1, max(1, min(top, age - 16)))

        insured = {
            TargetGroup.DAGPENGE: 1.0,
            TargetGroup.SYGEDAGPENGE: 0.5,
            TargetGroup.LEDIGHEDSYDELSE: 0.6,
            TargetGroup.JOBAFKLARING: 0.4,
        }.get(group, 0.0)
        a_kasse = self.pick_akasse(occ) if self.chance(insured) else None
        chose_jobcentre = group is TargetGroup.DAGPENGE and self.chance(0.04)

        # Target group history: a share changed group during the unemployment spell.
        periods: list[TargetGroupRecord] = []
        previous = {
            TargetGroup.DAGPENGE: TargetGroup.SYGEDAGPENGE,
            TargetGroup.KONTANTHJAELP_JOBPARAT: TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
            TargetGroup.JOBAFKLARING: TargetGroup.SYGEDAGPENGE,
        }.get(group)
        if previous is not None and days >= 60 and self.chance(0.15):
            switch = start + timedelta(days=rng.randint(21, days - 14))
            periods.append(TargetGroupRecord(previous, start, switch))
            periods.append(TargetGroupRecord(group, switch, None))
        else:
            periods.append(TargetGroupRecord(group, start, None))

        jobcentre = self.jobcentre_by_muni[muni.code]

        def counsellor(org_key: str) -> str | None:
            return rng.choice(self.counsellors[org_key]) if self.chance(0.7) else None

        responsibilities: list[ResponsibilityRecord] = []
        if group is TargetGroup.DAGPENGE and a_kasse and not chose_jobcentre:
            # 1/1/2024 rule (domain.md §1): the a-kasse owns months 1-3, then the jobcentre.
            handover = add_months(start, 3)
            reason = "Dagpenge, måned 1-3: a-kassen har kontaktforløbet (LAB fra 1/1/2024)"
            if handover > self.today:
                responsibilities.append(
                    ResponsibilityRecord(a_kasse, start, None, reason, counsellor(a_kasse))
                )
            else:
                responsibilities.append(
                    ResponsibilityRecord(a_kasse, start, handover, reason, counsellor(a_kasse))
                )
                responsibilities.append(
                    ResponsibilityRecord(
                        jobcentre,
                        handover,
                        None,
                        "Overdraget til jobcenteret efter 3 måneders ledighed",
                        counsellor(jobcentre),
                    )
                )
        else:
            reason = (
                "Personen har valgt jobcenteret frem for a-kassen"
                if chose_jobcentre
                else f"{group.label_da}: bopælskommunens jobcenter"
            )
            responsibilities.append(
                ResponsibilityRecord(jobcentre, start, None, reason, counsellor(jobcentre))
            )

        english = (
            (background == "international" and self.chance(0.9))
            or (skill_level == "akademiker" and self.chance(0.4))
            or (occ.industry == "it" and self.chance(0.3))
            or (skill_level == "kvu_mvu" and self.chance(0.06))
        )
        cv = self.cv(
            occ=occ,
            background=background,
            birth=birth,
            start=start,
            career_start=career_start,
            educations=educations,
            town=town,
            english=english,
            residence_years=residence_years,
            searchable=group is not TargetGroup.SYGEDAGPENGE and self.chance(0.95),
        )

        consents = (self.chance(0.6), self.chance(0.75), self.chance(0.5))
        consent_at = (
            _at(min(self.today, start + timedelta(days=rng.randint(0, 14))), 10)
            if any(consents)
            else None
        )
        local = slugify(f"{first} {last}").replace("-", ".")
        email = self.unique_email(local, self.rng.choice(("example.dk", "example.com")))
        pseudonym = f"L-{self.seed % 100:02d}{index + 1:06d}"
        return JobseekerRecord(
            pseudonym=pseudonym,
            first_name=first,
            last_name=last,
            background=background,
            cpr=self.cpr_for(birth),
            birth_date=birth,
            email=email,
            phone=self.phone(),
            postal_code=postal,
            municipality_code=muni.code,
            a_kasse_key=a_kasse,
            unemployment_start=start,
            education_level=edu_level,
            skill_level=skill_level,
            main_isco_code=occ.isco_code,
            residence_years=residence_years,
            single_provider=self.chance(0.08),
            max_commute_km=rng.choice((10, 15, 20, 25, 30, 30, 40, 50, 60)),
            willing_to_switch_industry=self.chance(0.8),
            consent_share_with_employers=consents[0],
            consent_contact_by_email=consents[1],
            consent_joint_recruitment=consents[2] and a_kasse is not None,
            consent_updated_at=consent_at,
            chose_jobcentre=chose_jobcentre,
            target_groups=tuple(periods),
            responsibilities=tuple(responsibilities),
            cv=cv,
        )

    def skill_values(self, occ: OccupationProfile) -> dict[str, str]:
        skills = list(occ.skills)
        self.rng.shuffle(skills)
        # Licences and certificates read badly as tasks ("arbejde med kørekort C"): put last.
        skills.sort(key=lambda s: any(w in s.lower() for w in _CREDENTIAL_WORDS))
        soft = self.rng.sample(vocab.SOFT_SKILLS_DA, 2)
        return {
            "skill1": skills[0],
            "skill2": skills[1],
            "skill3": skills[2],
            "soft1": soft[0],
            "soft2": soft[1],
        }

    def cv(
        self,
        *,
        occ: OccupationProfile,
        background: str,
        birth: date,
        start: date,
        career_start: int,
        educations: list[EducationRecord],
        town: str,
        english: bool,
        residence_years: int | None,
        searchable: bool,
    ) -> CVRecord:
        rng = self.rng
        end_year = start.year
        career_start = min(career_start, end_year)
        # Work history, newest first.
        experiences: list[ExperienceRecord] = []
        used_occs: list[OccupationProfile] = [occ]
        cursor = end_year
        n_exp = rng.randint(1, 4)
        for i in range(n_exp):
            if i == 0 or self.chance(0.55):
                job = occ
            elif self.chance(0.6):
                job = rng.choice(self.by_industry[occ.industry])
            else:
                job = rng.choice(self.by_level["ufaglært"])
            used_occs.append(job)
            length = rng.randint(1, 7)
            first_year = max(career_start, cursor - length)
            industry_label = vocab.INDUSTRIES[job.industry][1]
            muni = self.municipality()
            employer = self.employer_name(job.industry, muni, _town(muni.postal_codes[0][1]))
            self.used_org_names.discard(employer)  # CV employers need not be unique
            employer = _FIXED_EMPLOYERS.get(job.isco_code, employer)
            values = {**self.skill_values(job)}
            if english:
                title = job.title_en
                description = _fill(rng.choice(vocab.EXPERIENCE_DESCRIPTIONS_EN), values)
            else:
                title = self.title_variant(job)
                description = _fill(rng.choice(vocab.EXPERIENCE_DESCRIPTIONS_DA), values)
            experiences.append(
                ExperienceRecord(
                    title=_cap(title),
                    employer_name=employer,
                    start_year=first_year,
                    end_year=cursor,
                    description=description,
                    isco_code=job.isco_code,
                    industry=industry_label,
                )
            )
            if first_year <= career_start:
                break
            cursor = first_year - (1 if self.chance(0.3) and first_year - 1 > career_start else 0)
        years = max(1, end_year - experiences[-1].start_year)

        # Skills: the occupation's own phrases first, then related and soft skills.
        wanted = rng.randint(4, 10)
        pool = list(occ.skills)
        rng.shuffle(pool)
        chosen: list[str] = pool[: min(len(pool), wanted - 1)]
        others = [s for o in used_occs[1:] for s in o.skills]
        if self.extra.skill_phrases and self.chance(0.7):
            others.extend(rng.sample(self.extra.skill_phrases, 2))
        others.extend(rng.sample(vocab.SOFT_SKILLS_DA, 2))
        rng.shuffle(others)
        seen = {s.lower() for s in chosen}
        for skill in others:
            if len(chosen) >= wanted:
                break
            if skill.lower() not in seen:
                seen.add(skill.lower())
                chosen.append(skill)

        # Languages.
        mother = vocab.BACKGROUNDS[background][1]
        languages = [LanguageRecord(mother, "Modersmål")]
        if mother != "Dansk":
            if background == "international":
                danish = rng.choice(("Begynder", "Rimeligt", "Godt"))
            elif (residence_years or 0) >= 6:
                danish = rng.choice(("Godt", "Flydende"))
            else:
                danish = rng.choice(("Begynder", "Rimeligt", "Godt"))
            languages.append(LanguageRecord("Dansk", danish))
        if mother != "Engelsk":
            if occ.skill_level == "akademiker":
                languages.append(LanguageRecord("Engelsk", "Flydende"))
            elif self.chance(0.85):
                languages.append(LanguageRecord("Engelsk", rng.choice(("Godt", "Rimeligt"))))
        if self.chance(0.2):
            extra = rng.choice(vocab.FOREIGN_LANGUAGES)
            if all(lang.language != extra for lang in languages):
                languages.append(LanguageRecord(extra, rng.choice(("Rimeligt", "Begynder"))))

        # Driving licences.
        licences: list[str] = []
        if self.chance(0.75):
            licences.append("B")
            if self.chance(0.15):
                licences.append("BE")
        special = {
            "8332": ("C", "CE"),
            "8331": ("D",),
            "3258": ("C",),
            "5411": ("C",),
            "9611": ("C",),
            "8341": ("T",),
            "8344": ("truck",),
            "9333": ("truck",),
        }.get(occ.isco_code, ())
        for category in special:
            if category == "truck" and not self.chance(0.6):
                continue
            if "B" not in licences and category in ("C", "CE", "D"):
                licences.insert(0, "B")
            licences.append(category)

        # Jobmål: the own occupation first, then often one in another industry (brancheskift).
        desired = [
            DesiredOccupationRecord(
                _cap(self.title_variant(occ, 0.25)), occ.isco_code, occ.industry
            )
        ]
        if self.chance(0.55):
            candidates = [
                o
                for o in self.by_level[occ.skill_level] + self.by_level["ufaglært"]
                if o.industry != occ.industry
            ]
            other = rng.choice(candidates)
            desired.append(
                DesiredOccupationRecord(_cap(other.title_da), other.isco_code, other.industry)
            )
        if self.chance(0.3):
            same = rng.choice(self.by_industry[occ.industry])
            if all(d.isco_code != same.isco_code for d in desired):
                desired.append(
                    DesiredOccupationRecord(_cap(same.title_da), same.isco_code, same.industry)
                )

        values: dict[str, object] = {
            **self.skill_values(occ),
            "title": occ.title_da,
            "Title": _cap(occ.title_da),
            "title_en": occ.title_en,
            "Title_en": _cap(occ.title_en),
            "years": years,
            "industry_lower": vocab.INDUSTRIES[occ.industry][1].lower(),
            "industry_en": vocab.INDUSTRY_LABELS_EN[occ.industry],
            "years_en": f"{years} year" + ("s" if years != 1 else ""),
            "employer": experiences[0].employer_name,
            "town": town,
            "desired": desired[-1].title.lower() if not english else desired[-1].title,
            "a_title_en": _a(occ.title_en),
            "a_desired_en": _a(self.by_isco.get(desired[-1].isco_code, occ).title_en),
        }
        newcomer = years <= 3 and age_on(birth, self.today) < 27
        skilled = occ.skill_level != "ufaglært"
        if english:
            headline = _fill(rng.choice(vocab.CV_HEADLINES_EN), values)
            sentences = [
                rng.choice(vocab.CV_SUMMARY_OPENERS_EN),
                *rng.sample(vocab.CV_SUMMARY_MIDDLE_EN, rng.randint(1, 2)),
                rng.choice(vocab.CV_SUMMARY_CLOSERS_EN),
            ]
        else:
            headlines = vocab.CV_HEADLINES_DA
            openers = vocab.CV_SUMMARY_OPENERS_DA
            if newcomer:
                # "Nyuddannet" only for people with a vocational or higher education.
                headlines = vocab.CV_HEADLINES_NEW_DA[0 if skilled else 1 :]
                openers = vocab.CV_SUMMARY_OPENERS_NEW_DA[0 if skilled else 1 :]
            headline = _fill(rng.choice(headlines), values)
            sentences = [
                rng.choice(openers),
                *rng.sample(vocab.CV_SUMMARY_MIDDLE_DA, rng.randint(0, 2)),
                rng.choice(vocab.CV_SUMMARY_CLOSERS_DA),
            ]
        summary = " ".join(_fill(s, values) for s in sentences)
        return CVRecord(
            headline=headline[:200],
            summary=summary,
            language="en" if english else "da",
            searchable=searchable,
            experiences=tuple(experiences),
            educations=tuple(educations),
            skills=tuple(chosen),
            languages=tuple(languages),
            driving_licences=tuple(dict.fromkeys(licences)),
            desired_occupations=tuple(desired),
        )

    # -- vacancies ---------------------------------------------------------------------------

    def vacancy_occupation(self, employer: OrgRecord, kind: VacancyKind) -> OccupationProfile:
        own = self.by_industry.get(employer.industry_key or "", [])
        if kind is VacancyKind.VOKSENLAERLING:
            pool = [o for o in own if o.skill_level == "faglært"] or self.by_level["faglært"]
        elif kind is VacancyKind.IGU:
            pool = [o for o in own if o.skill_level in ("ufaglært", "faglært")]
            pool = pool or self.by_level["ufaglært"]
        elif kind is VacancyKind.VIRKSOMHEDSPRAKTIK:
            pool = [o for o in own if o.skill_level != "akademiker"] or own
        else:
            pool = own
        if not pool or self.chance(0.12):
            pool = [self.by_isco[code] for code in _SUPPORT_ISCO]
        return self.rng.choice(pool)

    def vacancy(self, employers: list[OrgRecord], public: list[OrgRecord]) -> VacancyRecord:
        rng = self.rng
        kind = _weighted(rng, _VACANCY_KIND_WEIGHTS)
        if kind is VacancyKind.LOENTILSKUD_PUBLIC:
            employer = rng.choice(public)
        elif kind is VacancyKind.LOENTILSKUD_PRIVATE:
            employer = rng.choice([e for e in employers if not e.is_public])
        else:
            # The two fixed demo employers get a visible share of the vacancies.
            employer = employers[0] if self.chance(0.04) else rng.choice(employers)
            if self.chance(0.03):
                employer = employers[1]
        occ = self.vacancy_occupation(employer, kind)
        unit = rng.choice(employer.p_numbers)
        user = self.employer_user[employer.key]
        section, label = employer.industry_code or "", employer.industry or ""

        english = kind is VacancyKind.ORDINARY and (
            (occ.skill_level in ("akademiker", "kvu_mvu") and self.chance(0.3)) or self.chance(0.05)
        )
        esco_uri = None
        base_title = self.title_variant(occ, 0.3)
        variants = self.extra.esco_titles.get(occ.isco_code, ())
        variants = tuple(v for v in variants if v[2] == occ.title_da)
        if variants and self.chance(0.25):
            base_title, esco_uri, _ = rng.choice(variants)
        if english:
            base_title = occ.title_en
        prefix = {
            VacancyKind.VIRKSOMHEDSPRAKTIK: "Virksomhedspraktik som ",
            VacancyKind.LOENTILSKUD_PRIVATE: "Løntilskudsjob som ",
            VacancyKind.LOENTILSKUD_PUBLIC: "Løntilskudsjob som ",
            VacancyKind.VOKSENLAERLING: "Voksenlærling som ",
            VacancyKind.IGU: "IGU-elev som ",
        }.get(kind, "")
        title = prefix + base_title if prefix else _cap(base_title)
        if kind is VacancyKind.ORDINARY and not english and self.chance(0.3):
            title += rng.choice(
                (
                    f" til {employer.name}",
                    f" i {unit.town}",
                    " – fast stilling",
                    " (barselsvikariat)",
                )
            )
        title = title[:100]

        if kind is VacancyKind.IGU or kind is VacancyKind.VOKSENLAERLING:
            hours = 37.0
        elif kind is VacancyKind.VIRKSOMHEDSPRAKTIK:
            hours = float(rng.choice((15, 20, 25, 30, 37)))
        else:
            hours = float(rng.choices((37, 32, 30, 25, 20), weights=(65, 10, 12, 8, 5))[0])
        if occ.industry in ("hotel_restaurant", "sundhed"):
            working = rng.choice(
                (WorkingTime.SHIFTING, WorkingTime.EVENING, WorkingTime.WEEKEND, WorkingTime.NORMAL)
            )
        elif occ.industry in ("industri", "transport_lager"):
            working = rng.choice(
                (WorkingTime.NORMAL, WorkingTime.NORMAL, WorkingTime.SHIFTING, WorkingTime.NIGHT)
            )
        else:
            working = WorkingTime.NORMAL if self.chance(0.85) else WorkingTime.MORNING

        values: dict[str, object] = {
            **self.skill_values(occ),
            "title": occ.title_da,
            "title_en": occ.title_en,
            "a_title_en": _a(occ.title_en),
            "employer": employer.name,
            "town": unit.town,
            "staff": int(unit.staff_fte),
            "hours": f"{hours:g}",
            "industry_lower": label.lower(),
        }
        purpose = None
        if english:
            sentences = [
                rng.choice(vocab.AD_INTROS_EN),
                rng.choice(vocab.AD_TASKS_EN),
                *vocab.AD_OFFERS_EN,
            ]
            requirements = rng.sample(vocab.AD_REQUIREMENTS_EN, rng.randint(2, 3))
        else:
            sentences = [
                rng.choice(vocab.AD_INTROS_DA),
                rng.choice(vocab.AD_TASKS_DA),
                *rng.sample(vocab.AD_ABOUT_DA, rng.randint(0, 1)),
                *rng.sample(vocab.AD_OFFERS_DA, rng.randint(0, 0 if kind.is_company_place else 1)),
                rng.choice(vocab.AD_CLOSERS_DA),
            ]
            if kind.is_company_place:
                purpose = _fill(rng.choice(vocab.PLACE_TEXTS_DA[kind.value]), values)
                sentences.insert(1, purpose)
            requirements = rng.sample(vocab.AD_REQUIREMENTS_DA, rng.randint(2, 4))
        description = " ".join(_fill(s, values) for s in sentences)[:5000]
        requirements_text = "\n".join(_fill(s, values) for s in requirements)

        jobcentre = self.jobcentre_by_muni[unit.municipality_code]
        if kind.is_company_place:
            owner = jobcentre
        elif self.chance(0.35):
            owner = (
                jobcentre if self.chance(0.6) else rng.choice(sorted(self.akasse_by_name.values()))
            )
        else:
            owner = None

        # Status and dates, all relative to today.
        today = self.today
        published: date | None = None
        closed: date | None = None
        approval = ApprovalStatus.NOT_REQUIRED
        approved_by = approved_on = note = None
        if kind.is_company_place:
            approval = rng.choices(
                (ApprovalStatus.APPROVED, ApprovalStatus.PENDING, ApprovalStatus.REJECTED),
                weights=(80, 15, 5),
            )[0]
            if approval is ApprovalStatus.APPROVED:
                status = rng.choices(
                    (VacancyStatus.OPEN, VacancyStatus.FILLED, VacancyStatus.PAUSED),
                    weights=(75, 15, 10),
                )[0]
            elif approval is ApprovalStatus.PENDING:
                status = VacancyStatus.PENDING_APPROVAL
            else:
                status = VacancyStatus.REJECTED
        else:
            status = rng.choices(
                (
                    VacancyStatus.OPEN,
                    VacancyStatus.DRAFT,
                    VacancyStatus.PAUSED,
                    VacancyStatus.FILLED,
                    VacancyStatus.CLOSED,
                ),
                weights=(75, 6, 5, 8, 6),
            )[0]
        if status in (VacancyStatus.FILLED, VacancyStatus.CLOSED):
            published = today - timedelta(days=rng.randint(35, 120))
            deadline = published + timedelta(days=rng.randint(14, 28))
            closed = min(today, deadline + timedelta(days=rng.randint(1, 14)))
        elif status in (VacancyStatus.OPEN, VacancyStatus.PAUSED):
            published = today - timedelta(days=rng.randint(0, 40))
            deadline = max(
                published + timedelta(days=rng.randint(14, 45)),
                today + timedelta(days=rng.randint(3, 30)),
            )
        else:  # draft, pending approval, rejected
            deadline = today + timedelta(days=rng.randint(14, 60))
        start_date = None if self.chance(0.1) else deadline + timedelta(days=rng.randint(7, 45))
        if approval is ApprovalStatus.APPROVED:
            approved_by = self.approvers[jobcentre]
            approved_on = (published or today) - timedelta(days=rng.randint(1, 10))
            note = "Godkendt: rimelighedskravet er opfyldt, og udtalelsen foreligger."
        elif approval is ApprovalStatus.REJECTED:
            note = rng.choice(
                (
                    "Afvist: rimelighedskravet er ikke opfyldt på P-nummeret.",
                    "Afvist: udtalelse fra medarbejderrepræsentanten mangler.",
                )
            )

        staff = subsidised = rep_ok = rep_name = duration = None
        if kind.is_company_place:
            staff = unit.staff_fte
            allowed = max(1, int(min(staff, 50) // 5)) + int(max(0.0, staff - 50) // 10)
            subsidised = (
                allowed if approval is ApprovalStatus.REJECTED else rng.randint(0, allowed - 1)
            )
            rep_ok = approval is ApprovalStatus.APPROVED or self.chance(0.6)
            rep_first, rep_last = self.person_name()
            rep_name = f"{rep_first} {rep_last}"
            duration = {
                VacancyKind.VIRKSOMHEDSPRAKTIK: lambda: rng.choices((4, 8, 13), weights=(5, 2, 3))[
                    0
                ],
                VacancyKind.LOENTILSKUD_PRIVATE: lambda: rng.choice((8, 13, 26)),
                VacancyKind.LOENTILSKUD_PUBLIC: lambda: rng.choice((8, 13, 17)),
                VacancyKind.VOKSENLAERLING: lambda: rng.choice((104, 130, 156)),
                VacancyKind.IGU: lambda: 104,
            }[kind]()

        return VacancyRecord(
            kind=kind,
            status=status,
            employer_key=employer.key,
            owner_key=owner,
            pnr=unit.pnr,
            created_by_email=user.email,
            title=title,
            language="en" if english else "da",
            esco_uri=esco_uri,
            isco_code=occ.isco_code,
            industry_code=section,
            industry=label,
            description=description,
            requirements=requirements_text,
            address=unit.address,
            postal_code=unit.postal_code,
            weekly_hours=hours,
            working_time=working,
            start_date=start_date,
            deadline=deadline,
            positions=rng.choices((1, 2, 3, 5), weights=(70, 18, 8, 4))[0]
            if kind is VacancyKind.ORDINARY
            else rng.choice((1, 1, 2)),
            contact_name=user.name,
            contact_email=user.email,
            contact_phone=employer.phone or "",
            published_at=_at(published) if published else None,
            closed_at=_at(closed, 16) if closed else None,
            ordinary_staff_fte=staff,
            current_subsidised_count=subsidised,
            employee_rep_statement=rep_ok,
            employee_rep_name=rep_name,
            duration_weeks=duration,
            purpose=purpose,
            approval_status=approval,
            approved_by_email=approved_by,
            approved_at=_at(approved_on, 11) if approved_on else None,
            approval_note=note,
        )


DEMO_FAIR_DAYS_AHEAD = 21
DEMO_FAIR_EMPLOYERS = 5  # three accept, one has not answered, one declines
DEMO_FAIR_ACCEPTED = 3
DEMO_FAIR_VACANCIES_PER_EMPLOYER = 2


def _matchable(v: VacancyRecord) -> bool:
    return v.status is VacancyStatus.OPEN and v.approval_status in (
        ApprovalStatus.NOT_REQUIRED,
        ApprovalStatus.APPROVED,
    )


def build_fair(
    organisations: Sequence[OrgRecord], vacancies: Sequence[VacancyRecord], today: date
) -> FairRecord:
    """Jobmesse Fyn's upcoming fair in Odense: the two fixed demo employers and the next
    Odense employers (by key) that have open vacancies. Draws nothing from the random stream,
    so adding the fair leaves every other demo record as it was."""
    fair_name, fair_slug = vocab.JOB_FAIR_ORGANISER
    organiser = next(o for o in organisations if o.key == fair_slug)
    area = organiser.municipality_code or 461
    open_by_employer: dict[str, list[int]] = {}
    for index, v in enumerate(vacancies):
        if _matchable(v):
            open_by_employer.setdefault(v.employer_key, []).append(index)
    fixed = ["emp-fynsk-lager-logistik", "emp-odense-aeldrepleje"]
    others = sorted(
        o.key
        for o in organisations
        if o.kind is OrgKind.EMPLOYER
        and o.municipality_code == area
        and o.key not in fixed
        and open_by_employer.get(o.key)
    )
    chosen = [k for k in fixed if open_by_employer.get(k)] + others
    chosen = chosen[:DEMO_FAIR_EMPLOYERS]
    answered = _at(today - timedelta(days=2), 10)
    employers = []
    attached: list[int] = []
    for position, key in enumerate(chosen):
        if position < DEMO_FAIR_ACCEPTED:
            employers.append((key, "accepted", answered))
            attached += open_by_employer[key][:DEMO_FAIR_VACANCIES_PER_EMPLOYER]
        elif position == DEMO_FAIR_ACCEPTED:
            employers.append((key, "invited", None))
        else:
            employers.append((key, "declined", answered))
    return FairRecord(
        organiser_key=organiser.key,
        name=f"{fair_name}: job i lager, pleje og service",
        held_on=today + timedelta(days=DEMO_FAIR_DAYS_AHEAD),
        place="Odense Congress Center, Ørbækvej 350, 5220 Odense SØ",
        target_groups=(TargetGroup.DAGPENGE, TargetGroup.KONTANTHJAELP_JOBPARAT),
        municipality_codes=(area,),
        description=(
            "Mød virksomheder fra Odense, der søger nye kolleger nu. Kom til en kort samtale "
            "ved standene, og tag dit cv med. Dørene åbner kl. 10 og lukker kl. 14."
        ),
        employers=tuple(employers),
        vacancy_indexes=tuple(sorted(attached)),
    )


def generate(
    seed: int,
    size: int = 2000,
    *,
    shared_data_dir: Path | None = None,
    today: date | None = None,
) -> DemoData:
    """Generate the demo data set.

    ``size`` is the number of jobseekers; vacancies and company places number
    ``max(500, size // 4)``; employers ``max(60, size // 25)``. All dates are relative to
    ``today`` (default: the current date), so a fixed ``today`` makes the output identical for
    the same ``seed`` and ``size``. With ``shared_data_dir`` (the reference data folder) CVs also
    get real Danish skill phrases from ``kompetencer_da/*.tsv`` and vacancies ESCO Danish titles
    from ``esco/occupations_da_en.tsv``. Jobmesse Fyn gets one upcoming fair
    (:func:`build_fair`).
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    today = today or date.today()
    gen = _Generator(seed, size, today, _load_enrichment(shared_data_dir))
    gen.build_public_bodies()
    employers = gen.build_employers()
    jobseekers = [gen.jobseeker(i) for i in range(size)]
    public = [e for e in employers if e.is_public]
    vacancies = [gen.vacancy(employers, public) for _ in range(max(MIN_VACANCIES, size // 4))]
    return DemoData(
        seed=seed,
        size=size,
        today=today,
        organisations=gen.orgs,
        users=gen.users,
        jobseekers=jobseekers,
        vacancies=vacancies,
        fairs=[build_fair(gen.orgs, vacancies, today)],
        logins=list(DEMO_LOGINS),
    )
