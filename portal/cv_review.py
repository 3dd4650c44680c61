"""The review page of a CV draft: what it shows first, and reading the counsellor's choices.

Every field and row of the draft has a »Brug« checkbox and editable values. Field names:
``headline`` / ``headline-use``, ``summary`` / ``summary-use``, and per row of the draft
``experiences-3-title``, ``experiences-3-use``, … (3: the row's place in the draft). A box is
checked at first where the CV has nothing there yet (a row: where the CV does not already hold
it). An experience keeps the occupation the draft found for it only while its title is the
draft's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from matching.intake.cvs import (
    LANGUAGE_LEVELS,
    CVData,
    DesiredOccupationData,
    EducationData,
    ExperienceData,
    LanguageData,
)
from matching.intake.drafts import Chosen
from matching.people.documents.draft import ParsedCV
from portal.forms import clean_text, one_line

__all__ = ["LANGUAGE_LEVELS", "anything", "initial", "place_errors", "read", "summary_items"]

YES = "ja"
YEAR_RE = re.compile(r"\d{4}")
YEAR_MESSAGE = "Skriv året med fire cifre, fx 2019."
ROW_SECTIONS = ("experiences", "educations", "languages", "desired_occupations")
LIST_SECTIONS = (
    "experiences",
    "educations",
    "skills",
    "languages",
    "driving_licences",
    "desired_occupations",
)


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


def _year_text(year: int | None) -> str:
    return "" if year is None else str(year)


def initial(parsed: ParsedCV, current: CVData) -> dict[str, str]:
    """The page's first values: the draft's, with »Brug« checked where the CV is empty."""
    values: dict[str, str] = {"headline": parsed.headline, "summary": parsed.summary}
    if parsed.headline and not current.headline:
        values["headline-use"] = YES
    if parsed.summary and not current.summary:
        values["summary-use"] = YES
    held_jobs = {(_fold(e.title), e.start_year) for e in current.experiences}
    for i, e in enumerate(parsed.experiences):
        p = f"experiences-{i}"
        values.update(
            {
                f"{p}-title": e.title,
                f"{p}-employer_name": e.employer or "",
                f"{p}-start_year": _year_text(e.start_year),
                f"{p}-end_year": _year_text(e.end_year),
                f"{p}-description": e.description,
            }
        )
        if (_fold(e.title), e.start_year) not in held_jobs:
            values[f"{p}-use"] = YES
    held_schools = {_fold(e.title) for e in current.educations}
    for i, e in enumerate(parsed.educations):
        p = f"educations-{i}"
        values.update(
            {
                f"{p}-title": e.title,
                f"{p}-institution": e.institution or "",
                f"{p}-completed_year": _year_text(e.completed_year),
            }
        )
        if _fold(e.title) not in held_schools:
            values[f"{p}-use"] = YES
    held = {_fold(s) for s in current.skills}
    for i, skill in enumerate(parsed.skills):
        values[f"skills-{i}"] = skill
        if _fold(skill) not in held:
            values[f"skills-{i}-use"] = YES
    held = {_fold(x.language) for x in current.languages}
    for i, x in enumerate(parsed.languages):
        values[f"languages-{i}-language"] = x.language
        values[f"languages-{i}-level"] = x.level or ""
        if _fold(x.language) not in held:
            values[f"languages-{i}-use"] = YES
    held = {_fold(d) for d in current.driving_licences}
    for i, d in enumerate(parsed.driving_licences):
        values[f"driving_licences-{i}"] = d
        if _fold(d) not in held:
            values[f"driving_licences-{i}-use"] = YES
    held = {_fold(d.title) for d in current.desired_occupations}
    for i, d in enumerate(parsed.desired_occupations):
        values[f"desired_occupations-{i}-title"] = d.title
        if _fold(d.title) not in held:
            values[f"desired_occupations-{i}-use"] = YES
    return values


def _text(form: Mapping[str, str], name: str) -> str:
    """The field as typed, trimmed; a title on one line."""
    typed = form.get(name) or ""
    return one_line(typed) if name.endswith("title") else clean_text(typed)


def _year(form: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    if not YEAR_RE.fullmatch(text):
        errors[name] = YEAR_MESSAGE
        return None
    return int(text)


def read(
    form: Mapping[str, str], parsed: ParsedCV, current: CVData
) -> tuple[Chosen, dict[str, list[int]], dict[str, str]]:
    """The chosen fields as typed; per list the draft's index of each chosen row (for
    :func:`place_errors`); and the problems reading them (by field name)."""
    errors: dict[str, str] = {}
    chosen = Chosen()
    rows: dict[str, list[int]] = {name: [] for name in LIST_SECTIONS}

    def used(name: str) -> bool:
        return form.get(f"{name}-use") == YES

    if used("headline"):
        chosen.headline = _text(form, "headline")
    if used("summary"):
        chosen.summary = _text(form, "summary")
    experiences = []
    for i, e in enumerate(parsed.experiences):
        p = f"experiences-{i}"
        if not used(p):
            continue
        title = _text(form, f"{p}-title")
        same = _fold(title) == _fold(e.title)
        experiences.append(
            ExperienceData(
                title=title,
                employer_name=_text(form, f"{p}-employer_name") or None,
                start_year=_year(form, f"{p}-start_year", errors),
                end_year=_year(form, f"{p}-end_year", errors),
                description=_text(form, f"{p}-description"),
                isco_code=e.isco_code if same else None,
                esco_uri=e.esco_uri if same else None,
            )
        )
        rows["experiences"].append(i)
    educations = []
    for i, _e in enumerate(parsed.educations):
        p = f"educations-{i}"
        if not used(p):
            continue
        educations.append(
            EducationData(
                title=_text(form, f"{p}-title"),
                institution=_text(form, f"{p}-institution") or None,
                completed_year=_year(form, f"{p}-completed_year", errors),
            )
        )
        rows["educations"].append(i)
    skills = []
    for i, _s in enumerate(parsed.skills):
        if used(f"skills-{i}") and _text(form, f"skills-{i}"):
            skills.append(_text(form, f"skills-{i}"))
            rows["skills"].append(i)
    languages = []
    for i, _x in enumerate(parsed.languages):
        p = f"languages-{i}"
        if not used(p):
            continue
        level = _text(form, f"{p}-level")
        if level not in LANGUAGE_LEVELS:
            errors[f"{p}-level"] = "Vælg hvor godt sproget beherskes."
        languages.append(LanguageData(language=_text(form, f"{p}-language"), level=level))
        rows["languages"].append(i)
    licences = [
        _text(form, f"driving_licences-{i}")
        for i, _d in enumerate(parsed.driving_licences)
        if used(f"driving_licences-{i}")
    ]
    desired = []
    for i, d in enumerate(parsed.desired_occupations):
        p = f"desired_occupations-{i}"
        if not used(p):
            continue
        title = _text(form, f"{p}-title")
        same = _fold(title) == _fold(d.title)
        desired.append(
            DesiredOccupationData(
                title=title,
                isco_code=d.isco_code if same else None,
                esco_uri=d.esco_uri if same else None,
            )
        )
        rows["desired_occupations"].append(i)
    chosen.experiences = experiences or None
    chosen.educations = educations or None
    chosen.skills = skills or None
    chosen.languages = languages or None
    chosen.driving_licences = licences or None
    chosen.desired_occupations = desired or None
    return chosen, rows, errors


def anything(chosen: Chosen) -> bool:
    """Whether any field was chosen."""
    return any(
        getattr(chosen, name) is not None for name in ("headline", "summary", *LIST_SECTIONS)
    )


def place_errors(
    errors: dict[str, str], chosen: Chosen, rows: dict[str, list[int]], current: CVData
) -> dict[str, str]:
    """The domain's problems with the merged CV, by the review page's field names (a problem
    with the CV's own rows, or one without a field here, under "")."""
    placed: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split("-")
        target = ""
        if parts[0] in ("headline", "summary") and len(parts) == 1:
            target = parts[0] if getattr(chosen, parts[0]) is not None else ""
        elif parts[0] in ROW_SECTIONS and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1]) - len(getattr(current, parts[0]))
            drafted = rows.get(parts[0], [])
            if 0 <= index < len(drafted):
                target = f"{parts[0]}-{drafted[index]}-{parts[2]}"
        if target and target not in placed:
            placed[target] = message
        elif not target:
            prefix = "I det nuværende cv: " if key not in ("headline", "summary") else ""
            placed.setdefault("", prefix + message)
    return placed


def summary_items(errors: Mapping[str, str]) -> list[tuple[Any, str]]:
    """(anchor, message) pairs for the page's error summary."""
    return [(key or None, message) for key, message in errors.items()]
