"""What an employer may see of a person referred to its vacancy.

A referral lets the employer judge the person's fit, so the CV's working content is shown:
headline, job titles with years, education, skills, languages and driving licences, and the
postal code. Who the person is — name, e-mail, phone, previous employers' names (which, with
years, identify people in a small labour market) and the free-text summary — is shown only
when the person has consented to share with employers (``consent_share_with_employers``).
Until then the person appears under their pseudonym and the employer contacts the counsellor.
Birth date, CPR and benefit details are never shown to employers.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.models import Referral


@dataclass(frozen=True)
class ExperienceLine:
    title: str
    years: str
    employer: str | None  # only with consent


@dataclass(frozen=True)
class EmployerProfile:
    """The person as the employer sees them on one referral."""

    consented: bool
    heading: str  # the name with consent, "Kandidat <pseudonym>" without
    headline: str | None
    postal_code: str
    experiences: tuple[ExperienceLine, ...]
    educations: tuple[str, ...]
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    driving_licences: tuple[str, ...]
    summary: str | None = None  # free text: only with consent
    email: str | None = None
    phone: str | None = None
    contact_via: str | None = None  # the referring organisation, without consent


def _years(start: int, end: int | None) -> str:
    if end is None:
        return f"{start}–nu"
    return str(start) if end == start else f"{start}–{end}"


def employer_profile(referral: Referral) -> EmployerProfile:
    """The profile an employer may see for ``referral`` (the caller has checked scope)."""
    person = referral.jobseeker
    consented = bool(person.consent_share_with_employers)
    cv = person.cv
    experiences: tuple[ExperienceLine, ...] = ()
    educations: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    if cv is not None:
        experiences = tuple(
            ExperienceLine(
                title=e.title,
                years=_years(e.start_year, e.end_year),
                employer=e.employer_name if consented else None,
            )
            for e in sorted(cv.experiences, key=lambda e: e.position)
        )
        educations = tuple(e.title for e in sorted(cv.educations, key=lambda e: e.position))
        skills = tuple(s.name for s in sorted(cv.skills, key=lambda s: s.position))
        languages = tuple(f"{lang.language} ({lang.level})" for lang in cv.languages)
        licences = tuple(d.category for d in cv.driving_licences)
    return EmployerProfile(
        consented=consented,
        heading=person.display_name if consented else f"Kandidat {person.pseudonym}",
        headline=cv.headline if cv is not None else None,
        postal_code=person.postal_code,
        experiences=experiences,
        educations=educations,
        skills=skills,
        languages=languages,
        driving_licences=licences,
        summary=(cv.summary or None) if consented and cv is not None else None,
        email=person.email if consented else None,
        phone=person.phone if consented else None,
        contact_via=None if consented else referral.organisation.name,
    )
