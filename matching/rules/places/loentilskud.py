"""Løntilskud, private and public: access after 6 months' unemployment (with exemptions) and
the longest duration, before and after the 2015 reform and LAB 2020. Sources: S12 (LAB § 69),
S13 (the 2015 reform) in domain.md §2.
"""

from __future__ import annotations

from datetime import date

from matching.core.dates import add_months, age_on, completed_months, format_date
from matching.models.enums import EducationLevel, TargetGroup, VacancyKind
from matching.rules.places.facts import (
    LAB_IN_FORCE,
    REFORM_2015,
    PersonFacts,
    PlaceFacts,
    Rule,
    Verdict,
    dated_rule,
    duration_verdict,
    months_da,
)

LOENTILSKUD = frozenset({VacancyKind.LOENTILSKUD_PRIVATE, VacancyKind.LOENTILSKUD_PUBLIC})


# The project's records start in 2009 (domain.md §1, "2009–14"). The pre-2015 public limit is
# only stated as "previously 6 months" (S13), so the earlier version starts there. NV.
_RECORDS_FROM = date(2009, 1, 1)


_WEEKS_4_MONTHS = 17  # 4 months ≈ 17.4 weeks: whole weeks within the limit


_WEEKS_6_MONTHS = 26


def _loentilskud_not_modelled(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    return Verdict(
        True,
        "Adgangsregler for løntilskud før 1.1.2015 er ikke modelleret",
        ("Løntilskud før 2015: tjek adgangsbetingelserne manuelt",),
    )


def _loentilskud_access(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    # Exemptions first: they make the unemployment start irrelevant (LAB § 69).
    age = age_on(person.birth_date, start)
    if age >= 50:
        return Verdict(True, f"Løntilskud fra første dag: fyldt 50 år (er {age})")
    if person.single_provider:
        return Verdict(True, "Løntilskud fra første dag: enlig forsørger")
    if person.education_level is EducationLevel.GRUNDSKOLE:
        return Verdict(
            True, "Løntilskud fra første dag: ingen gymnasial eller erhvervsfaglig uddannelse"
        )
    if person.unemployment_start is None:
        return Verdict(
            False, "Ledighedsstart ukendt: kan ikke se 6 måneders ledighed før løntilskud"
        )
    months = completed_months(person.unemployment_start, start)
    earliest = add_months(person.unemployment_start, 6)
    if start >= earliest:
        return Verdict(True, f"6 måneders ledighed opfyldt (ledig i {months_da(months)})")
    return Verdict(
        False,
        f"Mangler 6 måneders ledighed før løntilskud (ledig i {months_da(months)}, "
        f"tidligst {format_date(earliest)})",
    )


def _private_duration(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    return duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i privat løntilskud")


def _public_duration_before_2015(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    return duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i offentligt løntilskud")


def _public_duration(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    group = person.target_group
    if group is TargetGroup.DAGPENGE:
        return duration_verdict(
            place, _WEEKS_4_MONTHS, "4 måneder i offentligt løntilskud for dagpengemodtagere"
        )
    if group is None:
        # Without a target group the shorter dagpenge limit is the safe one.
        verdict = duration_verdict(
            place, _WEEKS_4_MONTHS, "4 måneder i offentligt løntilskud, målgruppe ukendt"
        )
        return Verdict(
            verdict.ok,
            verdict.message_da,
            ("Målgruppe ukendt: 4 måneders grænsen for dagpengemodtagere er brugt",),
            verdict.max_weeks,
        )
    # 6 months for the other groups is NV (domain.md gives only the dagpenge limit).
    return duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i offentligt løntilskud")


RULES: tuple[Rule, ...] = (
    dated_rule(
        "loentilskud-adgang-2009",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        _RECORDS_FROM,
        REFORM_2015,
        "S13; pre-2015 access rules not modelled; from-date NV (start of project records)",
        "Adgangsregler før 2015 ikke modelleret",
        _loentilskud_not_modelled,
    ),
    dated_rule(
        "loentilskud-adgang-2015",
        LOENTILSKUD,
        REFORM_2015,
        LAB_IN_FORCE,
        # The 6 months with these exemptions are verified for LAB § 69 (2020); that the 2015
        # reform already had the same requirement under the previous act is NV.
        "S12, S13; beskæftigelsesreformen 2015; NV: same 6-month rule as LAB § 69",
        "6 måneders ledighed før løntilskud (undtagen 50+, enlig forsørger, ingen uddannelse)",
        _loentilskud_access,
    ),
    dated_rule(
        "loentilskud-adgang-2020",
        LOENTILSKUD,
        LAB_IN_FORCE,
        None,
        "S12; LAB § 69; in force 1/1/2020",
        "6 måneders ledighed før løntilskud (undtagen 50+, enlig forsørger, ingen uddannelse)",
        _loentilskud_access,
    ),
    dated_rule(
        "loentilskud-privat-varighed-2015",
        {VacancyKind.LOENTILSKUD_PRIVATE},
        REFORM_2015,
        None,
        "S12, S13; private ≤ 6 months; in force 1/1/2015",
        "Privat løntilskud højst 6 måneder",
        _private_duration,
    ),
    dated_rule(
        "loentilskud-offentlig-varighed-2009",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        _RECORDS_FROM,
        REFORM_2015,
        "S13; public ≤ 6 months before 1/1/2015; from-date NV (start of project records)",
        "Offentligt løntilskud højst 6 måneder",
        _public_duration_before_2015,
    ),
    dated_rule(
        "loentilskud-offentlig-varighed-2015",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        # S13 applies the 4 months to offers *granted* from 1/1/2015; the start date is used
        # here as the nearest fact a place has.
        REFORM_2015,
        None,
        "S12, S13; public ≤ 4 months for dagpenge; in force 1/1/2015; NV: 6 months for others",
        "Offentligt løntilskud højst 4 måneder for dagpengemodtagere, ellers 6",
        _public_duration,
    ),
)
