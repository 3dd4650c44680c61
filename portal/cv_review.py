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
from collections.abc import Callable, Mapping, Sequence
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


def _offer(
    values: dict[str, str],
    section: str,
    drafted: Sequence[Any],
    held: Sequence[Any],
    key: Callable[[Any], object],
    fields: Callable[[Any], dict[str, str]],
) -> None:
    """The draft's rows of ``section`` as the page's values (``fields``: by field name, "" for
    a row that is one text), »Brug« checked for a row whose ``key`` the CV does not hold."""
    kept = {key(row) for row in held}
    for i, row in enumerate(drafted):
        p = f"{section}-{i}"
        values.update({f"{p}-{name}" if name else p: text for name, text in fields(row).items()})
        if key(row) not in kept:
            values[f"{p}-use"] = YES


def _by_title(row: Any) -> str:  # noqa: ANN401 - a draft's or a CV's row
    return _fold(row.title)


def initial(parsed: ParsedCV, current: CVData) -> dict[str, str]:
    """The page's first values: the draft's, with »Brug« checked where the CV is empty."""
    values: dict[str, str] = {"headline": parsed.headline, "summary": parsed.summary}
    if parsed.headline and not current.headline:
        values["headline-use"] = YES
    if parsed.summary and not current.summary:
        values["summary-use"] = YES
    _offer(
        values,
        "experiences",
        parsed.experiences,
        current.experiences,
        lambda e: (_fold(e.title), e.start_year),
        lambda e: {
            "title": e.title,
            "employer_name": e.employer or "",
            "start_year": _year_text(e.start_year),
            "end_year": _year_text(e.end_year),
            "description": e.description,
        },
    )
    _offer(
        values,
        "educations",
        parsed.educations,
        current.educations,
        _by_title,
        lambda e: {
            "title": e.title,
            "institution": e.institution or "",
            "completed_year": _year_text(e.completed_year),
        },
    )
    _offer(values, "skills", parsed.skills, current.skills, _fold, lambda s: {"": s})
    _offer(
        values,
        "languages",
        parsed.languages,
        current.languages,
        lambda x: _fold(x.language),
        lambda x: {"language": x.language, "level": x.level or ""},
    )
    _offer(
        values,
        "driving_licences",
        parsed.driving_licences,
        current.driving_licences,
        _fold,
        lambda d: {"": d},
    )
    _offer(
        values,
        "desired_occupations",
        parsed.desired_occupations,
        current.desired_occupations,
        _by_title,
        lambda d: {"title": d.title},
    )
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

    def take(section: str, drafted: Sequence[Any], build: Callable[[str, Any], Any]) -> Any:  # noqa: ANN401
        """The chosen rows of ``section`` built from the form (None: none chosen); a row that
        ``build`` makes nothing of (None) is not taken."""
        taken = []
        for i, row in enumerate(drafted):
            p = f"{section}-{i}"
            if used(p) and (made := build(p, row)) is not None:
                taken.append(made)
                rows[section].append(i)
        return taken or None

    def occupation(p: str, row: Any) -> tuple[str, str | None, str | None]:  # noqa: ANN401
        """The title as typed, with the draft's occupation while it is the draft's title."""
        title = _text(form, f"{p}-title")
        same = _fold(title) == _fold(row.title)
        return title, row.isco_code if same else None, row.esco_uri if same else None

    def experience(p: str, e: Any) -> ExperienceData:  # noqa: ANN401
        title, isco_code, esco_uri = occupation(p, e)
        return ExperienceData(
            title=title,
            employer_name=_text(form, f"{p}-employer_name") or None,
            start_year=_year(form, f"{p}-start_year", errors),
            end_year=_year(form, f"{p}-end_year", errors),
            description=_text(form, f"{p}-description"),
            isco_code=isco_code,
            esco_uri=esco_uri,
        )

    def education(p: str, _row: Any) -> EducationData:  # noqa: ANN401
        return EducationData(
            title=_text(form, f"{p}-title"),
            institution=_text(form, f"{p}-institution") or None,
            completed_year=_year(form, f"{p}-completed_year", errors),
        )

    def language(p: str, _row: Any) -> LanguageData:  # noqa: ANN401
        level = _text(form, f"{p}-level")
        if level not in LANGUAGE_LEVELS:
            errors[f"{p}-level"] = "Vælg hvor godt sproget beherskes."
        return LanguageData(language=_text(form, f"{p}-language"), level=level)

    def desired(p: str, d: Any) -> DesiredOccupationData:  # noqa: ANN401
        title, isco_code, esco_uri = occupation(p, d)
        return DesiredOccupationData(title=title, isco_code=isco_code, esco_uri=esco_uri)

    if used("headline"):
        chosen.headline = _text(form, "headline")
    if used("summary"):
        chosen.summary = _text(form, "summary")
    chosen.experiences = take("experiences", parsed.experiences, experience)
    chosen.educations = take("educations", parsed.educations, education)
    chosen.skills = take("skills", parsed.skills, lambda p, _s: _text(form, p) or None)
    chosen.languages = take("languages", parsed.languages, language)
    chosen.driving_licences = take(
        "driving_licences", parsed.driving_licences, lambda p, _d: _text(form, p)
    )
    chosen.desired_occupations = take("desired_occupations", parsed.desired_occupations, desired)
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
