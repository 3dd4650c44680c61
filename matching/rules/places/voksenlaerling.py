"""Voksenlærling: the age limit and the wage subsidy rate by education and unemployment
(source S14 in domain.md §2)."""

from __future__ import annotations

from datetime import date

from matching.core.dates import age_on, completed_months
from matching.models.enums import VacancyKind
from matching.rules.places.facts import (
    REFORM_2015,
    SKILLED,
    PersonFacts,
    PlaceFacts,
    Rule,
    Verdict,
    dated_rule,
    months_da,
)

VOKSENLAERLING = frozenset({VacancyKind.VOKSENLAERLING})


_APPLY_NOTE = "søg senest 1 måned efter start"


def _subsidy(rate: int, why: str) -> Verdict:
    return Verdict(
        True,
        f"Voksenlærlingetilskud {rate} kr./t",
        (f"Voksenlærlingetilskud {rate} kr./t ({why}) – {_APPLY_NOTE}",),
    )


def _unknown_education() -> Verdict:
    return Verdict(
        True,
        "Tilskudssats ukendt",
        ("Uddannelsesniveau ukendt: voksenlærlingetilskuddet kan ikke fastlægges",),
    )


def _ledig_months(person: PersonFacts, start: date) -> int | None:
    """Completed months of unemployment at start; None if not registered unemployed."""
    if person.unemployment_start is None or person.unemployment_start > start:
        return None
    return completed_months(person.unemployment_start, start)


def _voksenlaerling_age(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    age = age_on(person.birth_date, start)
    if age < 25:
        return Verdict(False, f"For ung: voksenlærlinge skal være fyldt 25 år ved start (er {age})")
    return Verdict(True, f"Fyldt 25 år ved start (er {age})")


def _subsidy_2015(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    if person.education_level is None:
        return _unknown_education()
    months = _ledig_months(person, start) or 0
    if person.education_level in SKILLED:
        if months >= 12:
            return _subsidy(40, f"faglært, ledig i {months_da(months)}")
        return _subsidy(30, "faglært under 12 måneders ledighed")
    if months >= 2:
        return _subsidy(40, f"ufaglært, ledig i {months_da(months)}")
    return _subsidy(30, "ufaglært under 2 måneders ledighed")


def _subsidy_2024(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    if person.education_level is None:
        return _unknown_education()
    months = _ledig_months(person, start)
    if person.education_level not in SKILLED:
        if months is not None:
            return _subsidy(45, "ufaglært ledig, fra første dag")
        return _subsidy(30, "ufaglært i beskæftigelse, kun positivlisten, højst 2 år")
    if months is not None and months >= 6:
        return _subsidy(45, f"faglært, ledig i {months_da(months)}")
    ledig = "i beskæftigelse" if months is None else f"ledig i {months_da(months)}"
    return Verdict(
        True,
        "Intet voksenlærlingetilskud",
        (
            f"Intet voksenlærlingetilskud: faglærte skal have 6 måneders ledighed ({ledig}), "
            "medmindre uddannelsen er forældet",
        ),
    )


RULES: tuple[Rule, ...] = (
    dated_rule(
        "voksenlaerling-alder-2015",
        VOKSENLAERLING,
        # Agreements made from 1/1/2015 follow the 2015 reform (cabiweb, S14); the 25-year
        # age limit is older, but no earlier version is modelled.
        REFORM_2015,
        None,
        "S14; fyldt 25 år ved uddannelsesaftalens start; in force 1/1/2015",
        "Fyldt 25 år ved start",
        _voksenlaerling_age,
    ),
    dated_rule(
        "voksenlaerling-tilskud-2015",
        VOKSENLAERLING,
        REFORM_2015,
        date(2024, 1, 1),
        # NV: sources mention adjustments from 1/3/2017 and a 2021-22 trial within this span.
        "S14; 40/30 kr./t; 2015-2023; NV: changes 2017-2023 not modelled",
        "Tilskudssats 2015-2023",
        _subsidy_2015,
    ),
    dated_rule(
        "voksenlaerling-tilskud-2024",
        VOKSENLAERLING,
        # domain.md gives the year only; 1 January is the usual in-force day (NV).
        date(2024, 1, 1),
        None,
        "S14; 45 kr./t; from 1/1/2024 (day NV)",
        "Tilskudssats fra 2024",
        _subsidy_2024,
    ),
)
