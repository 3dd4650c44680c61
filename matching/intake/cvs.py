"""The CV editor's rules: a person's CV as typed values (:class:`CVData`), its validation and
saving it.

:func:`save_cv` creates or replaces the CV's content section by section, bumps the CV's
``updated_at`` (the nightly catch-up compares it with the list's ``computed_at``) and writes one
audit entry naming the sections that changed. Its caller enqueues the person's match list after
the commit. Titles chosen from the occupation suggestions carry their ISCO code and ESCO URI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import audit
from matching.core.audit import Actor
from matching.core.dates import aware, today_dk
from matching.core.errors import ValidationError
from matching.core.permissions import COUNSELLORS, require_role
from matching.models import (
    CV,
    AuditAction,
    CVDesiredOccupation,
    CVDrivingLicence,
    CVEducation,
    CVExperience,
    CVLanguage,
    CVSkill,
    EducationLevel,
    Jobseeker,
    MatchRun,
    utcnow,
)

PURPOSE = "sagsbehandling"
FIRST_YEAR = 1950
MAX_TEXT_CHARS = 10_000  # a summary or a description (the columns are unbounded text)
MAX_ROWS = 50  # rows of each list
CV_LANGUAGES = {"da": "Dansk", "en": "Engelsk"}
LANGUAGE_LEVELS = ("Modersmål", "Flydende", "Godt", "Rimeligt", "Basis", "Begynder")
# The usual Danish driving licence categories (færdselsstyrelsen) and the truck certificate.
DRIVING_LICENCES = ("AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D", "DE")
ISCO_RE = re.compile(r"\d{4}")
SECTIONS = (
    "headline",
    "summary",
    "language",
    "searchable",
    "experiences",
    "educations",
    "skills",
    "languages",
    "driving_licences",
    "desired_occupations",
)


@dataclass
class ExperienceData:
    title: str
    start_year: int | None
    employer_name: str | None = None
    end_year: int | None = None  # None: still employed
    description: str = ""
    industry: str | None = None
    isco_code: str | None = None
    esco_uri: str | None = None


@dataclass
class EducationData:
    title: str
    institution: str | None = None
    completed_year: int | None = None
    level: EducationLevel | None = None


@dataclass
class LanguageData:
    language: str
    level: str


@dataclass
class DesiredOccupationData:
    title: str
    isco_code: str | None = None
    esco_uri: str | None = None


@dataclass
class CVData:
    """A CV's content, mirroring :class:`~matching.models.CV` and its rows (in order)."""

    headline: str = ""
    summary: str = ""
    language: str = "da"
    searchable: bool = True
    experiences: list[ExperienceData] = field(default_factory=list)
    educations: list[EducationData] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    languages: list[LanguageData] = field(default_factory=list)
    driving_licences: list[str] = field(default_factory=list)
    desired_occupations: list[DesiredOccupationData] = field(default_factory=list)


@dataclass(frozen=True)
class FieldError:
    """A problem with one field; ``field`` names it as the editor's form does
    (``headline``, ``experiences-2-start_year``)."""

    field: str
    message: str


# --- reading ----------------------------------------------------------------------------------


def cv_data_of(person: Jobseeker) -> CVData:
    """The person's CV as :class:`CVData` (empty, without a headline, when there is none)."""
    cv = person.cv
    if cv is None:
        return CVData()
    return CVData(
        headline=cv.headline,
        summary=cv.summary or "",
        language=cv.language,
        searchable=cv.searchable,
        experiences=[
            ExperienceData(
                title=e.title,
                start_year=e.start_year,
                employer_name=e.employer_name,
                end_year=e.end_year,
                description=e.description or "",
                industry=e.industry,
                isco_code=e.isco_code,
                esco_uri=e.esco_uri,
            )
            for e in cv.experiences
        ],
        educations=[
            EducationData(
                title=e.title,
                institution=e.institution,
                completed_year=e.completed_year,
                level=e.level,
            )
            for e in cv.educations
        ],
        skills=[s.name for s in cv.skills],
        languages=[
            LanguageData(language=x.language, level=x.level)
            for x in sorted(cv.languages, key=lambda x: x.id or 0)
        ],
        driving_licences=sorted(d.category for d in cv.driving_licences),
        desired_occupations=[
            DesiredOccupationData(title=d.title, isco_code=d.isco_code, esco_uri=d.esco_uri)
            for d in cv.desired_occupations
        ],
    )


@dataclass(frozen=True)
class ListStatus:
    """When the person's list of vacancies was last computed (None: never), and whether the
    CV changed since (a new list is on its way)."""

    computed_at: datetime | None
    pending: bool


def list_status(session: Session, person: Jobseeker) -> ListStatus:
    computed_at = session.scalar(
        select(MatchRun.computed_at).where(
            MatchRun.subject_kind == "jobseeker", MatchRun.subject_id == person.id
        )
    )
    changed = person.cv.updated_at if person.cv is not None else None
    pending = (
        computed_at is not None and changed is not None and aware(changed) > aware(computed_at)
    )
    return ListStatus(computed_at=computed_at, pending=pending)


# --- validation -------------------------------------------------------------------------------


def _strip(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def clean_cv(data: CVData) -> CVData:
    """``data`` with texts trimmed (empty optional texts as None) and licences in capitals."""
    return CVData(
        headline=(data.headline or "").strip(),
        summary=(data.summary or "").strip(),
        language=(data.language or "").strip(),
        searchable=bool(data.searchable),
        experiences=[
            ExperienceData(
                title=(e.title or "").strip(),
                start_year=e.start_year,
                employer_name=_strip(e.employer_name),
                end_year=e.end_year,
                description=(e.description or "").strip(),
                industry=_strip(e.industry),
                isco_code=_strip(e.isco_code),
                esco_uri=_strip(e.esco_uri),
            )
            for e in data.experiences
        ],
        educations=[
            EducationData(
                title=(e.title or "").strip(),
                institution=_strip(e.institution),
                completed_year=e.completed_year,
                level=e.level,
            )
            for e in data.educations
        ],
        skills=[(s or "").strip() for s in data.skills],
        languages=[
            LanguageData(language=(x.language or "").strip(), level=(x.level or "").strip())
            for x in data.languages
        ],
        driving_licences=sorted({(d or "").strip().upper() for d in data.driving_licences}),
        desired_occupations=[
            DesiredOccupationData(
                title=(d.title or "").strip(),
                isco_code=_strip(d.isco_code),
                esco_uri=_strip(d.esco_uri),
            )
            for d in data.desired_occupations
        ],
    )


def _length(errors: list[FieldError], name: str, value: str | None, limit: int, what: str) -> None:
    if value and len(value) > limit:
        errors.append(FieldError(name, f"{what} må højst være {limit} tegn."))


def _required(errors: list[FieldError], name: str, value: str | None, message: str) -> None:
    if not value:
        errors.append(FieldError(name, message))


def _year(errors: list[FieldError], name: str, year: int | None, what: str) -> None:
    this_year = today_dk().year
    if year is not None and not FIRST_YEAR <= year <= this_year:
        errors.append(
            FieldError(name, f"{what} skal være et årstal mellem {FIRST_YEAR} og {this_year}.")
        )


def _occupation(errors: list[FieldError], prefix: str, isco: str | None, uri: str | None) -> None:
    if isco is not None and not ISCO_RE.fullmatch(isco):
        errors.append(FieldError(f"{prefix}-title", "ISCO-koden skal være fire cifre."))
    _length(errors, f"{prefix}-title", uri, 200, "Erhvervets adresse (ESCO)")


def _unique(errors: list[FieldError], section: str, values: list[str], message: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        key = value.casefold()
        if key in seen:
            errors.append(FieldError(f"{section}-{i}", message.format(value=value)))
        seen.add(key)


def validate_cv(data: CVData) -> list[FieldError]:
    """Every problem of ``data`` (cleaned with :func:`clean_cv`), in the order of the editor."""
    errors: list[FieldError] = []
    _required(errors, "headline", data.headline, "Skriv en overskrift til cv'et.")
    _length(errors, "headline", data.headline, 200, "Overskriften")
    _length(errors, "summary", data.summary, MAX_TEXT_CHARS, "Profilen")
    if data.language not in CV_LANGUAGES:
        errors.append(FieldError("language", "Vælg det sprog, cv'et er skrevet på."))
    for section in ("experiences", "educations", "skills", "languages", "desired_occupations"):
        if len(getattr(data, section)) > MAX_ROWS:
            errors.append(FieldError(section, f"Højst {MAX_ROWS} linjer i hver liste."))
    for i, e in enumerate(data.experiences):
        p = f"experiences-{i}"
        _required(errors, f"{p}-title", e.title, "Skriv stillingens titel.")
        _length(errors, f"{p}-title", e.title, 200, "Titlen")
        _length(errors, f"{p}-employer_name", e.employer_name, 200, "Arbejdsgiveren")
        if e.start_year is None:
            errors.append(FieldError(f"{p}-start_year", "Skriv hvilket år ansættelsen begyndte."))
        _year(errors, f"{p}-start_year", e.start_year, "Startåret")
        _year(errors, f"{p}-end_year", e.end_year, "Slutåret")
        if e.start_year is not None and e.end_year is not None and e.end_year < e.start_year:
            errors.append(FieldError(f"{p}-end_year", "Slutåret kan ikke ligge før startåret."))
        _length(errors, f"{p}-description", e.description, MAX_TEXT_CHARS, "Beskrivelsen")
        _length(errors, f"{p}-industry", e.industry, 120, "Branchen")
        _occupation(errors, p, e.isco_code, e.esco_uri)
    for i, e in enumerate(data.educations):
        p = f"educations-{i}"
        _required(errors, f"{p}-title", e.title, "Skriv uddannelsens navn.")
        _length(errors, f"{p}-title", e.title, 200, "Uddannelsens navn")
        _length(errors, f"{p}-institution", e.institution, 200, "Uddannelsesstedet")
        _year(errors, f"{p}-completed_year", e.completed_year, "Afslutningsåret")
    for i, skill in enumerate(data.skills):
        _required(errors, f"skills-{i}", skill, "Skriv kompetencen eller fjern linjen.")
        _length(errors, f"skills-{i}", skill, 200, "Kompetencen")
    _unique(errors, "skills", data.skills, "Kompetencen »{value}« står der to gange.")
    for i, x in enumerate(data.languages):
        p = f"languages-{i}"
        _required(errors, f"{p}-language", x.language, "Skriv sproget.")
        _length(errors, f"{p}-language", x.language, 60, "Sproget")
        _required(errors, f"{p}-level", x.level, "Vælg hvor godt sproget beherskes.")
        _length(errors, f"{p}-level", x.level, 30, "Niveauet")
    _unique(
        errors,
        "languages",
        [x.language for x in data.languages],
        "Sproget »{value}« står der to gange.",
    )
    for d in data.driving_licences:
        _required(errors, "driving_licences", d, "Vælg kørekortets kategori.")
        _length(errors, "driving_licences", d, 10, "Kørekortets kategori")
    for i, d in enumerate(data.desired_occupations):
        p = f"desired_occupations-{i}"
        _required(errors, f"{p}-title", d.title, "Skriv jobmålet eller fjern linjen.")
        _length(errors, f"{p}-title", d.title, 200, "Jobmålet")
        _occupation(errors, p, d.isco_code, d.esco_uri)
    return errors


# --- saving -----------------------------------------------------------------------------------


def changed_sections(before: CVData, after: CVData) -> list[str]:
    """The sections (:data:`SECTIONS`) whose content differs."""
    return [name for name in SECTIONS if getattr(before, name) != getattr(after, name)]


def replace_cv_content(session: Session, person: Jobseeker, data: CVData) -> tuple[CV, list[str]]:
    """Write ``data`` (cleaned and valid) into ``person``'s CV, creating the CV when there is
    none: the CV's own fields, and the rows of each section that differs, replaced. Bumps
    ``updated_at`` (the nightly catch-up compares it with the list's ``computed_at``). Returns
    the CV and the sections that changed; the caller writes the audit entry."""
    sections = changed_sections(cv_data_of(person), data)
    cv = person.cv
    if cv is None:
        cv = CV(jobseeker=person, headline=data.headline)
        person.cv = cv
        session.add(cv)
    cv.headline = data.headline
    cv.summary = data.summary
    cv.language = data.language
    cv.searchable = data.searchable
    replaced = [s for s in sections if s in ROW_SECTIONS]
    if replaced:  # the old rows go first: the unique constraints see no doubles
        for name in replaced:
            getattr(cv, name).clear()
        session.flush()
    for name, rows in cv_rows(data, replaced).items():
        getattr(cv, name).extend(rows)
    cv.updated_at = utcnow()  # also when only rows changed: the stale check reads it
    return cv, sections


def save_cv(session: Session, actor: Actor, person: Jobseeker, data: CVData) -> bool:
    """Create or replace ``person``'s CV content with ``data``; whether anything changed.

    Raises :class:`ValidationError` with every problem (keys as :class:`FieldError.field`).
    The caller has checked that the person is the actor's (``get_jobseeker_for``) and enqueues
    the match list after the commit when this returns True.
    """
    if actor.role != "system":
        require_role(actor, COUNSELLORS, "edit CVs")
    data = clean_cv(data)
    problems = validate_cv(data)
    if problems:
        messages: dict[str, str] = {}
        for problem in problems:
            messages.setdefault(problem.field, problem.message)
        raise ValidationError(messages)
    created = person.cv is None
    if not created and not changed_sections(cv_data_of(person), data):
        return False
    cv, sections = replace_cv_content(session, person, data)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        "cv",
        cv.id,
        jobseeker_id=person.id,
        purpose=PURPOSE,
        details={"sections": sections},
    )
    return True


ROW_MODELS: dict[str, type] = {
    "experiences": CVExperience,
    "educations": CVEducation,
    "skills": CVSkill,
    "languages": CVLanguage,
    "driving_licences": CVDrivingLicence,
    "desired_occupations": CVDesiredOccupation,
}
ROW_SECTIONS = tuple(ROW_MODELS)


def row_values(data: CVData, section: str) -> list[dict[str, object]]:
    """The column values of the CV's rows of ``section`` (without ``cv_id``), in order.
    ``data`` is a :class:`CVData` or anything of its shape (the demo's ``CVRecord``)."""
    if section == "experiences":
        return [
            {
                "position": i, "title": e.title, "employer_name": e.employer_name,
                "start_year": e.start_year, "end_year": e.end_year,
                "description": e.description, "industry": e.industry,
                "isco_code": e.isco_code, "esco_uri": e.esco_uri,
            }
            for i, e in enumerate(data.experiences)
        ]  # fmt: skip
    if section == "educations":
        return [
            {
                "position": i, "title": e.title, "institution": e.institution,
                "completed_year": e.completed_year, "level": e.level,
            }
            for i, e in enumerate(data.educations)
        ]  # fmt: skip
    if section == "skills":
        return [{"position": i, "name": s} for i, s in enumerate(data.skills)]
    if section == "languages":
        return [{"language": x.language, "level": x.level} for x in data.languages]
    if section == "driving_licences":
        return [{"category": d} for d in data.driving_licences]
    if section == "desired_occupations":
        return [
            {"position": i, "title": d.title, "isco_code": d.isco_code, "esco_uri": d.esco_uri}
            for i, d in enumerate(data.desired_occupations)
        ]
    raise ValueError(f"not a section of CV rows: {section!r}")


def cv_rows(data: CVData, sections: Iterable[str] = ROW_SECTIONS) -> dict[str, list]:
    """The CV's rows of ``sections`` as new model objects (see :func:`row_values`)."""
    return {name: [ROW_MODELS[name](**v) for v in row_values(data, name)] for name in sections}


def new_cv(data: CVData) -> CV:
    """A new :class:`~matching.models.CV` holding ``data`` (not added to a session)."""
    return CV(
        headline=data.headline,
        summary=data.summary,
        language=data.language,
        searchable=data.searchable,
        **cv_rows(data),
    )
