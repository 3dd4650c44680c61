"""Persist the generated demo data through the models (``jobbro seed --demo``).

The session is passed in; this module flushes and never commits. Passwords are hashed once per
distinct demo password (argon2 is deliberately slow); CPR numbers are stored only encrypted with
a keyed look-up hash, exactly like real data.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from matching.core.errors import ValidationError
from matching.core.security import cpr_lookup_hash, encrypt_cpr, hash_password
from matching.core.settings import Settings
from matching.demo.generator import generate
from matching.demo.organisations import DEMO_LOGINS
from matching.demo.records import DemoData, JobseekerRecord
from matching.intake.cvs import new_cv
from matching.models import (
    CV,
    AuditEntry,
    Base,
    CVDesiredOccupation,
    CVDrivingLicence,
    CVEducation,
    CVExperience,
    CVLanguage,
    CVSkill,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    Membership,
    Organisation,
    PNumber,
    ResponsibilityPeriod,
    TargetGroupPeriod,
    User,
    Vacancy,
)

__all__ = ["DEMO_LOGINS", "SeedReport", "database_has_organisations", "seed_demo"]

BATCH_SIZE = 500  # jobseekers (with their CVs) per flush

# The tables the report counts, in the order they are filled.
COUNTED_MODELS: tuple[type[Base], ...] = (
    Organisation,
    PNumber,
    User,
    Membership,
    Jobseeker,
    TargetGroupPeriod,
    ResponsibilityPeriod,
    CV,
    CVExperience,
    CVEducation,
    CVSkill,
    CVLanguage,
    CVDrivingLicence,
    CVDesiredOccupation,
    Vacancy,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
)

# Tables whose rows are the platform's own reference data, never demo rows.
_KEEP_TABLES = {"audit_log", "taxonomy_versions", "occupations", "disco_groups", "alembic_version"}
_ROOT_TABLES = {"organisations", "users", "jobseekers"}


@dataclass(frozen=True)
class SeedReport:
    """What :func:`seed_demo` wrote: row counts per table, the demo logins and the time taken."""

    counts: dict[str, int]
    logins: list[tuple[str, str, str]]
    seconds: float
    seed: int
    size: int
    replaced: bool = False
    deleted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the CLI: the main row counts."""
        keys = ("organisations", "users", "jobseekers", "cvs", "vacancies")
        return ", ".join(f"{self.counts.get(k, 0)} {k}" for k in keys)


def database_has_organisations(session: Session) -> bool:
    """True if any organisation exists (the seeder then refuses unless told to replace)."""
    return session.execute(select(Organisation.id).limit(1)).first() is not None


def _demo_tables() -> list[Table]:
    """Tables holding demo rows: organisations, users, jobseekers and everything that refers
    to them (directly or transitively), children first so deletion is FK-safe."""
    tables = Base.metadata.sorted_tables  # parents before children
    selected: set[str] = set(_ROOT_TABLES)
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name in selected or table.name in _KEEP_TABLES:
                continue
            if any(fk.column.table.name in selected for fk in table.foreign_keys):
                selected.add(table.name)
                changed = True
    return [t for t in reversed(tables) if t.name in selected]


def _delete_demo_rows(session: Session) -> dict[str, int]:
    audit_rows = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    if audit_rows:
        raise ValidationError(
            {
                "replace": (
                    f"Databasen har {audit_rows} rækker i revisionsloggen (audit_log), som aldrig "
                    "må slettes. Demodata kan kun erstattes i en database uden revisionslog; "
                    "opret en ny, tom database i stedet."
                )
            }
        )
    session.flush()
    deleted: dict[str, int] = {}
    for table in _demo_tables():
        result = session.execute(delete(table))
        deleted[table.name] = result.rowcount or 0
    session.expire_all()
    return deleted


def seed_demo(
    session: Session,
    settings: Settings,
    *,
    seed: int = 1,
    size: int = 2000,
    today: date | None = None,
    replace: bool = False,
) -> SeedReport:
    """Generate demo data (:func:`matching.demo.generator.generate`) and add it to ``session``.

    Refuses (``ValidationError``) when the database already has organisations, unless
    ``replace=True``: then the existing organisations, users, jobseekers and every row that
    refers to them are deleted first — but never audit-log rows, so replacing is refused while
    the audit log has any. Flushes in batches; the caller commits.
    """
    started = time.perf_counter()
    deleted: dict[str, int] = {}
    if database_has_organisations(session):
        if not replace:
            raise ValidationError(
                {
                    "database": (
                        "Databasen indeholder allerede organisationer. Demodata indlæses kun i "
                        "en tom database; brug --replace for at erstatte de eksisterende data."
                    )
                }
            )
        deleted = _delete_demo_rows(session)

    data = generate(seed, size, shared_data_dir=settings.shared_data_dir, today=today)
    _persist(session, settings, data)
    counts = {
        model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in COUNTED_MODELS
    }
    return SeedReport(
        counts=counts,
        logins=list(data.logins),
        seconds=round(time.perf_counter() - started, 2),
        seed=seed,
        size=size,
        replaced=bool(deleted),
        deleted=deleted,
    )


def _add_in_batches(session: Session, rows: Iterable[Base]) -> None:
    """Add ``rows`` and flush, :data:`BATCH_SIZE` at a time."""
    rows = iter(rows)
    while batch := list(islice(rows, BATCH_SIZE)):
        session.add_all(batch)
        session.flush()


def _persist(session: Session, settings: Settings, data: DemoData) -> None:
    # Organisations and P-numbers.
    orgs: dict[str, Organisation] = {}
    pnumbers: dict[str, PNumber] = {}
    for rec in data.organisations:
        org = Organisation(
            kind=rec.kind,
            name=rec.name,
            cvr=rec.cvr,
            municipality_code=rec.municipality_code,
            industry_code=rec.industry_code,
            industry=rec.industry,
            email=rec.email,
            active=True,
        )
        for unit in rec.p_numbers:
            pnumber = PNumber(
                pnr=unit.pnr,
                name=unit.name,
                address=unit.address,
                postal_code=unit.postal_code,
            )
            org.p_numbers.append(pnumber)
            pnumbers[unit.pnr] = pnumber
        orgs[rec.key] = org
    session.add_all(orgs.values())

    # Users: each distinct password is hashed once.
    hashes = {pw: hash_password(pw) for pw in sorted({u.password for u in data.users})}
    users: dict[str, User] = {}
    for rec in data.users:
        user = User(email=rec.email.lower(), name=rec.name, password_hash=hashes[rec.password])
        for org_key, role in rec.memberships:
            user.memberships.append(Membership(organisation=orgs[org_key], role=role))
        users[rec.email] = user
    session.add_all(users.values())
    session.flush()

    # Jobseekers with histories and CVs, in batches.
    key = settings.cpr_key

    def jobseeker(rec: JobseekerRecord) -> Jobseeker:
        person = Jobseeker(
            pseudonym=rec.pseudonym,
            first_name=rec.first_name,
            last_name=rec.last_name,
            cpr_encrypted=encrypt_cpr(key, rec.cpr),
            cpr_lookup=cpr_lookup_hash(key, rec.cpr),
            birth_date=rec.birth_date,
            email=rec.email,
            phone=rec.phone,
            postal_code=rec.postal_code,
            municipality_code=rec.municipality_code,
            a_kasse=orgs[rec.a_kasse_key] if rec.a_kasse_key else None,
            unemployment_start=rec.unemployment_start,
            education_level=rec.education_level,
            residence_years=rec.residence_years,
            single_provider=rec.single_provider,
            max_commute_km=rec.max_commute_km,
            willing_to_switch_industry=rec.willing_to_switch_industry,
            consent_share_with_employers=rec.consent_share_with_employers,
            consent_contact_by_email=rec.consent_contact_by_email,
            consent_joint_recruitment=rec.consent_joint_recruitment,
            consent_updated_at=rec.consent_updated_at,
            chose_jobcentre=rec.chose_jobcentre,
            active=True,
        )
        person.target_groups = [
            TargetGroupPeriod(
                target_group=p.target_group, valid_from=p.valid_from, valid_to=p.valid_to
            )
            for p in rec.target_groups
        ]
        person.responsibilities = [
            ResponsibilityPeriod(
                organisation=orgs[r.org_key],
                counsellor_id=users[r.counsellor_email].id if r.counsellor_email else None,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                reason=r.reason,
            )
            for r in rec.responsibilities
        ]
        person.cv = new_cv(rec.cv)
        return person

    _add_in_batches(session, map(jobseeker, data.jobseekers))

    # Vacancies and company places.
    stored: list[Vacancy] = []
    for v in data.vacancies:
        stored.append(
            Vacancy(
                kind=v.kind,
                status=v.status,
                employer=orgs[v.employer_key],
                owner=orgs[v.owner_key] if v.owner_key else None,
                p_number=pnumbers[v.pnr],
                created_by=users[v.created_by_email],
                title=v.title,
                esco_uri=v.esco_uri,
                isco_code=v.isco_code,
                industry_code=v.industry_code,
                industry=v.industry,
                description=v.description,
                requirements=v.requirements,
                address=v.address,
                postal_code=v.postal_code,
                weekly_hours=v.weekly_hours,
                working_time=v.working_time,
                start_date=v.start_date,
                deadline=v.deadline,
                positions=v.positions,
                contact_name=v.contact_name,
                contact_email=v.contact_email,
                contact_phone=v.contact_phone,
                published_at=v.published_at,
                closed_at=v.closed_at,
                ordinary_staff_fte=v.ordinary_staff_fte,
                current_subsidised_count=v.current_subsidised_count,
                employee_rep_statement=v.employee_rep_statement,
                employee_rep_name=v.employee_rep_name,
                duration_weeks=v.duration_weeks,
                purpose=v.purpose,
                approval_status=v.approval_status,
                approved_by=users[v.approved_by_email] if v.approved_by_email else None,
                approved_at=v.approved_at,
                approval_note=v.approval_note,
            )
        )
    _add_in_batches(session, stored)

    # Job fairs with their employers and vacancies (shortlists are built in the portal once
    # the worker has computed the match lists).
    for rec in data.fairs:
        fair = JobFair(
            organiser=orgs[rec.organiser_key],
            name=rec.name,
            held_on=rec.held_on,
            place=rec.place,
            target_groups=[g.value for g in rec.target_groups],
            municipality_codes=list(rec.municipality_codes),
            description=rec.description,
        )
        session.add(fair)
        session.flush()
        session.add_all(
            JobFairEmployer(
                job_fair_id=fair.id,
                employer_id=orgs[key].id,
                status=status,
                responded_at=answered,
            )
            for key, status, answered in rec.employers
        )
        session.add_all(
            JobFairVacancy(job_fair_id=fair.id, vacancy_id=stored[index].id)
            for index in rec.vacancy_indexes
        )
    session.flush()
