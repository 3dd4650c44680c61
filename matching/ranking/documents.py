"""The texts that are embedded for vacancies and jobseekers.

Only job-relevant content goes in: titles, descriptions, skills, education, desired
occupations and driving licences. Left out on purpose, because they must not influence
ranking (docs/privacy.md): names, contact details, CPR, age and birth date, postal code,
a-kasse (may reveal union membership), languages and mother tongue (a proxy for ethnicity),
and employer names in the CV (they may contain people's names). Free text is further
scrubbed of personal data by the worker before encoding (``embeddings.pii.scrub``).
"""

from __future__ import annotations

import hashlib

from matching.models import CV, Jobseeker, Vacancy

# Bump when the composition below changes: every stored embedding is then recomputed.
DOCUMENT_VERSION = "doc-v1"
MAX_DOCUMENT_CHARS = 20_000


def vacancy_document(vacancy: Vacancy) -> str:
    """Text embedded for a vacancy or company place (the side that searches)."""
    parts = [vacancy.title]
    if vacancy.industry:
        parts.append(f"Branche: {vacancy.industry}.")
    parts.append(vacancy.description)
    if vacancy.requirements:
        parts.append(vacancy.requirements)
    return _join(parts)


def jobseeker_document(jobseeker: Jobseeker) -> str:
    """Text embedded for a jobseeker, from the CV (the side that is searched)."""
    cv: CV | None = jobseeker.cv
    if cv is None:
        return ""
    parts = [cv.headline, cv.summary]
    for exp in cv.experiences:
        parts.append(f"{exp.title}. {exp.description}".strip())
    for edu in cv.educations:
        parts.append(edu.title)
    if cv.skills:
        parts.append("Kompetencer: " + ", ".join(s.name for s in cv.skills) + ".")
    if cv.desired_occupations:
        parts.append("Søger job som: " + ", ".join(d.title for d in cv.desired_occupations) + ".")
    if cv.driving_licences:
        parts.append("Kørekort: " + ", ".join(d.category for d in cv.driving_licences) + ".")
    return _join(parts)


def personal_names(jobseeker: Jobseeker) -> list[str]:
    """The person's own names, for the scrubber to remove from free text."""
    return [n for n in (*jobseeker.first_name.split(), *jobseeker.last_name.split()) if n]


def text_fingerprint(text: str) -> str:
    """sha256 of the exact text that is embedded, with the document version mixed in."""
    return hashlib.sha256(f"{DOCUMENT_VERSION}\n{text}".encode()).hexdigest()


def _join(parts: list[str | None]) -> str:
    text = "\n".join(p.strip() for p in parts if p and p.strip())
    return text[:MAX_DOCUMENT_CHARS]
